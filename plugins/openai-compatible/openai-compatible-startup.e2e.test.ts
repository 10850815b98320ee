import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startFakeServer, type FakeServer } from "../../tests/helpers/fake-server.ts";
import { startTestGateway } from "../../tests/helpers/gateway.ts";
import dummy from "../dummy/index.ts";
import { jsonResponse, openAIHandler } from "./__fixtures__/fake-openai.ts";
import { MODEL_LIST } from "./__fixtures__/openai-wire.ts";
import { eventually, freePort, writeConfigFile } from "./__fixtures__/test-env.ts";
import openaiCompatible from "./index.ts";

/**
 * Start-up and the background: discovery against an upstream that is down or refuses the key at
 * start, refreshes, the OPENAI_BASE_URL/OPENAI_API_KEY short form, and configuration errors.
 */
const KEY_ENV = "OC_E2E_STARTUP_KEY";
const KEY = "gsk-startup-instance-key-2718";
const messages = [{ role: "user" as const, content: "Say hello" }];
let fake: FakeServer;

beforeAll(() => {
  fake = startFakeServer(openAIHandler);
});
afterAll(async () => {
  await fake.close();
});

describe("discovery over time", () => {
  test("an upstream down at start: logged, models absent, then listed once it is up", async () => {
    const port = await freePort();
    const config = writeConfigFile({ plugins: { "openai-compatible": { upstreams: [{ name: "late", base_url: `http://127.0.0.1:${port}/v1`, refresh_interval_ms: 100 }] } } });
    const late = await startTestGateway({ OLLAIX_CONFIG: config }, [dummy, openaiCompatible]);
    let server: ReturnType<typeof Bun.serve> | undefined;
    try {
      const lateClient = new OpenAI({ baseURL: `${late.url}/v1`, apiKey: "x", maxRetries: 0 });
      expect((await lateClient.models.list()).data.map((m) => m.id)).toEqual(["dummy-model:1.0"]);
      expect(late.logs.some((line) => line.includes("model discovery failed") && line.includes('"provider":"late"'))).toBe(true);
      const hops: string[] = [];
      server = Bun.serve({
        port,
        hostname: "127.0.0.1",
        fetch: (request) => {
          hops.push(request.headers.get("x-ollaix-hops") ?? "none");
          return jsonResponse(MODEL_LIST);
        },
      });
      await eventually(async () => (await lateClient.models.list()).data.some((m) => m.owned_by === "late"));
      expect((await lateClient.models.list()).data.map((m) => m.id)).toEqual(["dummy-model:1.0", "gpt-4o-mini", "text-embedding-3-small"]);
      expect(new Set(hops)).toEqual(new Set(["1"]));
    } finally {
      await late.close();
      await server?.stop(true);
    }
  });

  test("a refused key at start is logged without the key; the list follows the upstream on refresh", async () => {
    const upstream = startFakeServer(() => jsonResponse({ error: { message: `Incorrect API key provided: ${KEY}`, code: "invalid_api_key" } }, 401));
    const config = writeConfigFile({ plugins: { "openai-compatible": { upstreams: [{ name: "flaky", base_url: `${upstream.url}/v1`, api_key_env: KEY_ENV, refresh_interval_ms: 100 }] } } });
    const flaky = await startTestGateway({ OLLAIX_CONFIG: config, [KEY_ENV]: KEY, LOG_LEVEL: "debug" }, [dummy, openaiCompatible]);
    try {
      const flakyClient = new OpenAI({ baseURL: `${flaky.url}/v1`, apiKey: "x", maxRetries: 0 });
      expect((await flakyClient.models.list()).data.some((m) => m.owned_by === "flaky")).toBe(false);
      expect(flaky.logs.some((line) => line.includes("The gateway's key for flaky was refused by the upstream (HTTP 401)."))).toBe(true);
      upstream.handle(() => jsonResponse(MODEL_LIST));
      await eventually(async () => (await flakyClient.models.list()).data.some((m) => m.owned_by === "flaky"));
      upstream.handle(() => jsonResponse({ object: "list", data: [{ id: "brand-new", object: "model", created: 1, owned_by: "x" }] }));
      await eventually(async () => (await flakyClient.models.list()).data.some((m) => m.id === "brand-new"));
      expect((await flakyClient.models.list()).data.filter((m) => m.owned_by === "flaky")).toEqual([{ id: "brand-new", object: "model", created: 1, owned_by: "flaky" }]);
      expect(flaky.logs.join("\n")).not.toContain(KEY);
    } finally {
      await flaky.close();
      await upstream.close();
    }
  });
});

describe("the OPENAI_BASE_URL / OPENAI_API_KEY short form", () => {
  test("one instance named openai, with that key, and a healthy probe", async () => {
    const shortKey = "sk-short-form-key-7777";
    const short = await startTestGateway({ OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: shortKey }, [dummy, openaiCompatible]);
    try {
      const shortClient = new OpenAI({ baseURL: `${short.url}/v1`, apiKey: "x", maxRetries: 0 });
      expect((await shortClient.models.list()).data.filter((m) => m.owned_by === "openai").map((m) => m.id)).toEqual(["gpt-4o-mini", "text-embedding-3-small"]);
      fake.requests.length = 0;
      const completion = await shortClient.chat.completions.create({ model: "openai/gpt-4o-mini", messages });
      expect(completion.model).toBe("openai/gpt-4o-mini");
      expect(fake.requests[0]!.headers.authorization).toBe(`Bearer ${shortKey}`);
      const health = (await (await fetch(`${short.url}/health?probe=true`)).json()) as { providers: unknown[] };
      expect(health.providers).toContainEqual({ name: "openai", models: 2, ok: true, detail: "2 models" });
    } finally {
      await short.close();
    }
  });
});

describe("configuration errors stop start-up, naming the field", () => {
  test.each([
    [{ upstreams: [{ name: "ok", base_url: "http://127.0.0.1:1/v1" }, { name: "bad", base_url: "ftp://example" }] }, "plugins.openai-compatible.upstreams[1].base_url: expected an http(s) URL with the version path, e.g. https://api.openai.com/v1"],
    [{ upstreams: [{ name: "a", base_url: "http://127.0.0.1:1/v1", api_key_env: "OC_E2E_NOT_SET" }] }, "plugins.openai-compatible.upstreams[0].api_key_env: the environment variable OC_E2E_NOT_SET is not set"],
    [{ upstreams: [{ name: "a b", base_url: "http://127.0.0.1:1/v1" }] }, `plugins.openai-compatible.upstreams[0].name: "a b" is not a valid instance name`],
    // Named like a built-in instance: its ids would be ambiguous.
    [{ upstreams: [{ name: "dummy", base_url: "http://127.0.0.1:1/v1" }] }, `the instance name "dummy" is used twice`],
  ])("%j", async (section, message) => {
    const config = writeConfigFile({ plugins: { "openai-compatible": section } });
    const failure = await startTestGateway({ OLLAIX_CONFIG: config }, [dummy, openaiCompatible]).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: "ConfigError" });
    expect((failure as Error).message).toContain(message);
  });
});
