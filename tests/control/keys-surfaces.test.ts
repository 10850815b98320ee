// Virtual keys on every surface, on a real port, each refusal in the surface's own envelope: 401
// for a missing or unknown key, 403 for a model outside the key's list, per-key model lists, 429s
// of rpm and the daily budget with x-ratelimit-* and Retry-After, and a limited key's headers on
// an answer that failed upstream after it was admitted.
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import dummy from "../../plugins/dummy/index.ts";
import { writeConfigFile } from "../../plugins/openai-compatible/__fixtures__/test-env.ts";
import { definePlugin, UpstreamError } from "../../src/kit.ts";
import { json, jsonPost, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { expectOpenAI } from "../helpers/openai-schema.ts";
import { awayFromMinuteEnd } from "../helpers/windows.ts";

setDefaultTimeout(20_000);

/** An upstream that answers garbage: 502 after the key was admitted. */
const broken = definePlugin({
  name: "broken",
  models: [{ id: "broken-model" }],
  async chat() {
    throw new UpstreamError("The upstream sent garbage.");
  },
  // biome-ignore lint/correctness/useYield: fails before its first chunk on purpose
  async *chatStream() {
    throw new UpstreamError("The upstream sent garbage.");
  },
  async embed() {
    throw new UpstreamError("The upstream sent garbage.");
  },
});

const KEY = {
  team: "sk-surf-team-000001",
  reader: "sk-surf-reader-00002",
  limited: "sk-surf-limited-0003",
  rpmResponses: "sk-surf-rpm-resp-04",
  rpmMessages: "sk-surf-rpm-msgs-05",
  rpmOllama: "sk-surf-rpm-olla-06",
  dayMessages: "sk-surf-day-msgs-07",
  dayOllama: "sk-surf-day-olla-08",
};
const WRONG = "sk-surf-wrong-99999";
let gw: TestGateway;

beforeAll(async () => {
  const config = writeConfigFile({
    keys: [
      { name: "team", key_env: "K_TEAM", models: ["dummy-model:1.0"] },
      { name: "reader", key_env: "K_READER", models: ["other-*"] },
      { name: "limited", key_env: "K_LIMITED", rpm: 1000, tpm: 1_000_000 },
      { name: "rpm-responses", key_env: "K_RPM_RESPONSES", rpm: 2 },
      { name: "rpm-messages", key_env: "K_RPM_MESSAGES", rpm: 2 },
      { name: "rpm-ollama", key_env: "K_RPM_OLLAMA", rpm: 2 },
      { name: "day-messages", key_env: "K_DAY_MESSAGES", tokens_per_day: 5 },
      { name: "day-ollama", key_env: "K_DAY_OLLAMA", tokens_per_day: 5 },
    ],
  });
  gw = await startTestGateway(
    {
      OLLAIX_CONFIG: config,
      K_TEAM: KEY.team, K_READER: KEY.reader, K_LIMITED: KEY.limited,
      K_RPM_RESPONSES: KEY.rpmResponses, K_RPM_MESSAGES: KEY.rpmMessages, K_RPM_OLLAMA: KEY.rpmOllama,
      K_DAY_MESSAGES: KEY.dayMessages, K_DAY_OLLAMA: KEY.dayOllama,
      LOG_LEVEL: "debug",
    },
    [dummy, broken],
  );
});
afterAll(() => gw.close());

const bearer = (key?: string): Record<string, string> => (key ? { authorization: `Bearer ${key}` } : {});
const apiKey = (key?: string): Record<string, string> => (key ? { "x-api-key": key } : {});
const user = [{ role: "user", content: "hi there" }];
type Envelope = "openai" | "anthropic" | "ollama";
type Send = (model: string, key?: string) => Promise<Response>;
const post = (path: string, body: Record<string, unknown>, headers: (key?: string) => Record<string, string> = bearer): Send =>
  (model, key) => fetch(`${gw.url}${path}`, jsonPost({ model, ...body }, headers(key)));

/** Every surface that calls a model, with its envelope. */
const CALLS: { name: string; envelope: Envelope; send: Send }[] = [
  { name: "chat", envelope: "openai", send: post("/v1/chat/completions", { messages: user }) },
  { name: "chat (stream)", envelope: "openai", send: post("/v1/chat/completions", { messages: user, stream: true }) },
  { name: "responses", envelope: "openai", send: post("/v1/responses", { input: "hi there" }) },
  { name: "responses (stream)", envelope: "openai", send: post("/v1/responses", { input: "hi there", stream: true }) },
  { name: "messages (Bearer)", envelope: "anthropic", send: post("/v1/messages", { max_tokens: 16, messages: user }) },
  { name: "messages (x-api-key)", envelope: "anthropic", send: post("/v1/messages", { max_tokens: 16, messages: user }, apiKey) },
  { name: "messages (stream)", envelope: "anthropic", send: post("/v1/messages", { max_tokens: 16, messages: user, stream: true }, apiKey) },
  { name: "ollama /api/chat", envelope: "ollama", send: post("/api/chat", { messages: user, stream: false }) },
  { name: "ollama /api/chat (stream)", envelope: "ollama", send: post("/api/chat", { messages: user }) },
  { name: "ollama /api/embed", envelope: "ollama", send: post("/api/embed", { input: "hi" }) },
  { name: "embeddings", envelope: "openai", send: post("/v1/embeddings", { input: "hi" }) },
];
const LISTS: { name: string; envelope: Envelope; send: Send; ids: (body: any) => string[] }[] = [
  { name: "models", envelope: "openai", send: (_m, key) => fetch(`${gw.url}/v1/models`, { headers: bearer(key) }), ids: (b) => b.data.map((m: { id: string }) => m.id) },
  { name: "ollama /api/tags", envelope: "ollama", send: (_m, key) => fetch(`${gw.url}/api/tags`, { headers: bearer(key) }), ids: (b) => b.models.map((m: { name: string }) => m.name.replace(/:latest$/, "")) }, // listed tagged: `<id>:latest` for an untagged id
];

/** The body is the surface's error envelope with the type (OpenAI, Anthropic) or just a message (Ollama). */
function expectEnvelope(envelope: Envelope, body: any, openAIType: string, anthropicType: string): void {
  if (envelope === "openai") {
    expect(body.error.type).toBe(openAIType);
    expectOpenAI("ErrorResponse", body);
  } else if (envelope === "anthropic") {
    expect(body).toEqual({ type: "error", error: { type: anthropicType, message: expect.any(String) }, request_id: expect.stringMatching(/^req_/) });
  } else {
    expect(Object.keys(body)).toEqual(["error"]);
    expect(typeof body.error).toBe("string");
  }
}

describe("401 for a missing or unknown key, in each surface's envelope", () => {
  for (const { name, envelope, send } of [...CALLS, ...LISTS]) {
    test(name, async () => {
      for (const key of [undefined, WRONG]) {
        const response = await send("dummy-model:1.0", key);
        expect(response.status).toBe(401);
        const text = await response.text();
        expect(text).not.toContain(WRONG);
        expectEnvelope(envelope, JSON.parse(text), "authentication_error", "authentication_error");
      }
    });
  }
});

describe("403 for a model outside the key's list, in each surface's envelope", () => {
  for (const { name, envelope, send } of CALLS) {
    test(name, async () => {
      const response = await send("dummy-model:1.0", KEY.reader);
      expect(response.status).toBe(403);
      const body = await json(response);
      expectEnvelope(envelope, body, "permission_error", "permission_error");
      if (envelope === "openai") expect(body.error.code).toBe("model_not_allowed");
      const message = envelope === "ollama" ? body.error : body.error.message;
      expect(message).toBe("The key 'reader' is not allowed to use the model 'dummy-model:1.0'.");
      // The same key may use what its list allows (here: nothing), another key what its list names.
      expect((await send("dummy-model:1.0", KEY.team)).status).toBe(200);
    });
  }
});

describe("Ollama's load answers (nothing to generate) still apply the key's list", () => {
  test.each([
    ["/api/chat", { messages: [], stream: false }],
    ["/api/generate", { prompt: "", stream: false }],
  ])("%s: 403 for a model outside the list, the load answer for one inside", async (path, body) => {
    const refused = await post(path, body)("dummy-model:1.0", KEY.reader);
    expect(refused.status).toBe(403);
    expect((await json(refused)).error).toBe("The key 'reader' is not allowed to use the model 'dummy-model:1.0'.");
    const loaded = await post(path, body)("dummy-model:1.0", KEY.team);
    expect(loaded.status).toBe(200);
    expect(await json(loaded)).toMatchObject({ done: true, done_reason: "load" });
  });
});

describe("lists show only what the key may use", () => {
  for (const { name, send, ids } of LISTS) {
    test(name, async () => {
      expect(ids(await json(send("", KEY.team)))).toEqual(["dummy-model:1.0"]);
      expect(ids(await json(send("", KEY.reader)))).toEqual([]);
      expect(ids(await json(send("", KEY.limited)))).toEqual(["dummy-model:1.0", "broken-model"]);
    });
  }
});

const rateHeaders = (r: Response) => Object.fromEntries([...r.headers].filter(([h]) => h.startsWith("x-ratelimit-")));

describe("429 for rpm on responses, messages and ollama, with x-ratelimit-* and Retry-After", () => {
  const cases: [string, Envelope, Send, string][] = [
    ["responses", "openai", CALLS[2]!.send, KEY.rpmResponses],
    ["messages", "anthropic", CALLS[5]!.send, KEY.rpmMessages],
    ["ollama", "ollama", CALLS[7]!.send, KEY.rpmOllama],
  ];
  for (const [name, envelope, send, key] of cases) {
    test(name, async () => {
      await awayFromMinuteEnd();
      const answers = [await send("dummy-model:1.0", key), await send("dummy-model:1.0", key), await send("dummy-model:1.0", key)];
      expect(answers.map((r) => r.status)).toEqual([200, 200, 429]);
      expect(answers.map((r) => r.headers.get("x-ratelimit-remaining-requests"))).toEqual(["1", "0", "0"]);
      for (const r of answers) {
        expect(r.headers.get("x-ratelimit-limit-requests")).toBe("2");
        expect(r.headers.get("x-ratelimit-reset-requests")).toMatch(/^(\d+ms|\d+s|1m0s)$/);
      }
      const refused = answers[2]!;
      const retryAfter = Number(refused.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      const body = await json(refused);
      expectEnvelope(envelope, body, "rate_limit_error", "rate_limit_error");
      expect(JSON.stringify(body)).toContain("requests per minute (2)");
    });
  }
});

describe("the daily budget: Anthropic's 429 rate_limit_error, Ollama's 429 {error}, with Retry-After", () => {
  const cases: [string, Envelope, Send, string][] = [
    ["messages", "anthropic", CALLS[5]!.send, KEY.dayMessages],
    ["ollama", "ollama", CALLS[7]!.send, KEY.dayOllama],
  ];
  for (const [name, envelope, send, key] of cases) {
    test(name, async () => {
      expect((await send("dummy-model:1.0", key)).status).toBe(200); // nothing used yet: admitted, and it overshoots
      const refused = await send("dummy-model:1.0", key);
      expect(refused.status).toBe(429);
      const toMidnight = Math.ceil((86_400_000 - (Date.now() % 86_400_000)) / 1000);
      const retryAfter = Number(refused.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(toMidnight + 1);
      const body = await json(refused);
      expectEnvelope(envelope, body, "insufficient_quota", "rate_limit_error");
      expect(JSON.stringify(body)).toContain("daily token budget");
    });
  }
});

describe("an admitted request that fails upstream still carries the key's x-ratelimit-* headers", () => {
  for (const { name, envelope, send } of CALLS) {
    test(name, async () => {
      await awayFromMinuteEnd();
      const response = await send("broken-model", KEY.limited);
      expect(response.status).toBe(502);
      expectEnvelope(envelope, await json(response), "api_error", "api_error");
      const headers = rateHeaders(response);
      expect(Object.keys(headers).sort()).toEqual([
        "x-ratelimit-limit-requests", "x-ratelimit-limit-tokens", "x-ratelimit-remaining-requests",
        "x-ratelimit-remaining-tokens", "x-ratelimit-reset-requests", "x-ratelimit-reset-tokens",
      ]);
      expect(headers["x-ratelimit-limit-requests"]).toBe("1000");
      expect(Number(headers["x-ratelimit-remaining-requests"])).toBeLessThan(1000);
      expect(response.headers.get("x-request-id")).toBeTruthy();
    });
  }
});

test("no key ever reaches a log line", () => {
  const logs = gw.logs.join("\n");
  expect(gw.logs.length).toBeGreaterThan(0);
  for (const key of [...Object.values(KEY), WRONG]) expect(logs).not.toContain(key);
});
