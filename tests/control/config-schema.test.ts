// The JSON Schema shipped for editors is generated from the TypeBox schema start-up uses, and the
// complete example of README passes both.
import { expect, test } from "bun:test";
import Ajv from "ajv";
import { dirname, resolve } from "node:path";
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

// A probe: README and compose.yaml copy the example to ./ollaix.yaml, where its `../schema/…` path
// points outside the repository; the comment under it says what the path becomes there.
test("the example's schema path reaches the schema from examples/, and the path its comment gives for ./ollaix.yaml from there", async () => {
  const [modeline, note] = (await Bun.file(`${ROOT}/examples/ollaix.yaml`).text()).split("\n");
  const inRepo = /^# yaml-language-server: \$schema=(\S+)$/.exec(modeline!)?.[1];
  const copied = /copied to \.\/ollaix\.yaml .*make it (\S+)$/.exec(note!)?.[1];
  const schema = `${ROOT}/schema/ollaix-config.schema.json`;
  expect(resolve(`${ROOT}/examples`, inRepo!)).toBe(schema);
  expect(resolve(dirname(`${ROOT}/ollaix.yaml`), copied!)).toBe(schema);
  expect(await Bun.file(`${ROOT}/compose.yaml`).text()).toContain("copy examples/ollaix.yaml to ./ollaix.yaml");
});
