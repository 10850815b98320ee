// The JSON Schema shipped for editors is generated from the TypeBox schema start-up uses, and the
// complete example of README passes both.
import { expect, test } from "bun:test";
import Ajv from "ajv";
import { resolve } from "node:path";
import { configJsonSchema } from "../../scripts/settings-json-schema.ts";
import { builtinPlugins } from "../../plugins/index.ts";
import { checkSettings } from "../../src/settings-file.ts";

const ROOT = resolve(import.meta.dir, "../..");

test("schema/ollaix-config.schema.json is up to date (bun run schema)", async () => {
  expect(await Bun.file(`${ROOT}/schema/ollaix-config.schema.json`).text()).toBe(configJsonSchema());
});

test("the complete example passes the JSON Schema and start-up's check; mistakes fail the JSON Schema", async () => {
  const example = Bun.YAML.parse(await Bun.file(`${ROOT}/examples/ollaix.yaml`).text()) as Record<string, unknown>;
  const validate = new Ajv({ strict: false }).compile(JSON.parse(configJsonSchema()));
  expect(validate(example)).toBe(true);
  expect(checkSettings({ path: "examples/ollaix.yaml", data: example }, builtinPlugins.map((p) => p.name)).problems).toEqual([]);
  expect(validate({ ...example, route: [] })).toBe(false);
  expect(validate({ plugins: { "openai-compatible": { upstreams: [{ name: "x", base_url: "http://x/v1", api_key: "k" }] } } })).toBe(false);
  expect(validate({ keys: [{ name: "a", key_env: "A", rpm: "ten" }] })).toBe(false);
});

test("the complete example starts as compose.yaml runs it: the variables it names set, OPENAI_API_KEY's own instance beside it", async () => {
  const { createGateway } = await import("../../src/server.ts");
  const env = {
    PORT: "0",
    LOG_LEVEL: "error",
    OLLAIX_CONFIG: `${ROOT}/examples/ollaix.yaml`,
    OPENAI_API_KEY: "sk-example-openai-000001",
    GROQ_API_KEY: "gsk-example-groq-000001",
    TEAM_A_KEY: "sk-example-team-a-00001",
    OLLAMA_BASE_URL: "http://127.0.0.1:9",
  };
  const gateway = await createGateway({ env, discover: false, write: () => undefined });
  try {
    expect(gateway.instances.map((i) => i.provider.name).sort()).toEqual(["groq", "ollama", "openai"]);
  } finally {
    await gateway.shutdown();
  }
});
