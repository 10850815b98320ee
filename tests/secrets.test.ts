/**
 * Secrets audit (issue 9): with client keys (OLLAIX_API_KEYS) and a provider key (an
 * OpenAI-compatible upstream whose key comes from the environment), wrong keys, failing and
 * key-echoing upstreams, and keys smuggled into ids and headers: no key value may appear in any
 * log line (debug level), any console output or any response (body or header it did not come in).
 * Then client-key checking (sha256 + timingSafeEqual in src/guards.ts) with keys of many lengths.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import dummy from "../plugins/dummy/index.ts";
import { jsonResponse, openAIHandler, sseResponse } from "../plugins/openai-compatible/__fixtures__/fake-openai.ts";
import { ERRORS, TEXT_CHUNKS } from "../plugins/openai-compatible/__fixtures__/openai-wire.ts";
import { writeConfigFile } from "../plugins/openai-compatible/__fixtures__/test-env.ts";
import openaiCompatible from "../plugins/openai-compatible/index.ts";
import { startFakeServer, type FakeServer } from "./helpers/fake-server.ts";
import { startCollector, type FakeCollector } from "./helpers/otlp-collector.ts";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { freePort } from "./helpers/process.ts";

const CLIENT_KEYS = ["sk-client-alpha-7f3a9c1e5b", "sk-client-beta-much-longer-key-0d4e8a2c6f1b9e3d7a5c"];
const PROVIDER_KEY = "sk-provider-upstream-5e1d9b3f7a";
const SECRETS = [...CLIENT_KEYS, PROVIDER_KEY];
const AUTH = { authorization: `Bearer ${CLIENT_KEYS[0]}` };

let upstream: FakeServer;
let gw: TestGateway;
/** Everything printed to the console or stdout/stderr while the gateway ran. */
const printed: string[] = [];
const restore: (() => void)[] = [];
/** Every response seen: status, headers and body text. */
const answers: { status: number; headers: string; body: string }[] = [];

function capture(target: Record<string, unknown>, method: string): void {
  const original = target[method] as (...args: unknown[]) => unknown;
  target[method] = function (this: unknown, ...args: unknown[]) {
    printed.push(args.map((a) => (typeof a === "string" ? a : a instanceof Uint8Array ? new TextDecoder().decode(a) : Bun.inspect(a))).join(" "));
    return original.apply(this, args);
  };
  restore.push(() => void (target[method] = original));
}

beforeAll(async () => {
  for (const method of ["log", "info", "warn", "error", "debug"]) capture(console as unknown as Record<string, unknown>, method);
  capture(process.stdout as unknown as Record<string, unknown>, "write");
  capture(process.stderr as unknown as Record<string, unknown>, "write");
  upstream = startFakeServer(openAIHandler);
  const config = writeConfigFile({
    plugins: {
      "openai-compatible": {
        upstreams: [
          { name: "up", base_url: `${upstream.url}/v1`, api_key_env: "SECRETS_TEST_PROVIDER_KEY", models: ["gpt-4o-mini"] },
          { name: "down", base_url: `http://127.0.0.1:${freePort()}/v1`, api_key_env: "SECRETS_TEST_PROVIDER_KEY", models: ["m"] },
        ],
      },
    },
  });
  gw = await startTestGateway(
    { OLLAIX_API_KEYS: CLIENT_KEYS.join(","), OLLAIX_CONFIG: config, SECRETS_TEST_PROVIDER_KEY: PROVIDER_KEY, LOG_LEVEL: "debug" },
    [dummy, openaiCompatible],
  );
});
afterAll(async () => {
  // (restored in the last afterAll below, so the cross-surface audit is captured too)
  await gw.close();
  await upstream.close();
});

async function send(path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) {
  const response = await fetch(`${gw.url}${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: { "content-type": "application/json", ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const body = await response.text();
  const headers = JSON.stringify(Object.fromEntries(response.headers));
  answers.push({ status: response.status, headers, body });
  return { status: response.status, body, headers };
}

const chat = (model: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = AUTH) =>
  send("/v1/chat/completions", { headers, body: { model, messages: [{ role: "user", content: "hi" }], ...extra } });

describe("no key in any answer, log line or console output", () => {
  test("wrong, partial, padded and swapped client keys: 401, no key echoed", async () => {
    const attempts = [
      `Bearer ${CLIENT_KEYS[0]!.slice(0, -1)}`,
      `Bearer ${CLIENT_KEYS[0]}x`,
      `Bearer ${CLIENT_KEYS[0]!.toUpperCase()}`,
      `Bearer ${PROVIDER_KEY}`,
      `Bearer ${CLIENT_KEYS.join(",")}`,
      `Basic ${btoa(`user:${CLIENT_KEYS[0]}`)}`,
      CLIENT_KEYS[0]!,
    ];
    for (const authorization of attempts) {
      const answer = await send("/v1/models", { headers: { authorization } });
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.body).error).toMatchObject({ type: "authentication_error", code: "invalid_api_key", message: "Incorrect API key provided." });
    }
  });

  test("keys smuggled into a model id, a request id and a stop word come back only where the client put them", async () => {
    expect((await chat(PROVIDER_KEY)).status).toBe(404);
    expect((await send(`/v1/models/${CLIENT_KEYS[1]}`, { headers: AUTH })).status).toBe(404);
    const withId = await chat("dummy-model:1.0", {}, { ...AUTH, "x-request-id": PROVIDER_KEY });
    expect(withId.status).toBe(200);
  });

  test("upstream failures that echo the provider key: the gateway's envelope never carries it", async () => {
    const cases: [string, () => Response][] = [
      ["401 invalid key", () => jsonResponse(ERRORS.invalidKey(PROVIDER_KEY), 401)],
      ["403", () => jsonResponse({ error: { message: `key ${PROVIDER_KEY} lacks scope`, type: "permission_error", param: null, code: null } }, 403)],
      ["400 echoing the key", () => jsonResponse({ error: { message: `Key ${PROVIDER_KEY} may not set top_k`, type: "invalid_request_error", param: "top_k", code: null } }, 400)],
      ["429", () => jsonResponse({ error: { message: `Rate limit for ${PROVIDER_KEY}`, type: "requests", param: null, code: "rate_limit_exceeded" } }, 429)],
      ["500 with the key", () => new Response(`internal error for key ${PROVIDER_KEY}`, { status: 500 })],
      ["garbage", () => new Response(`<html>${PROVIDER_KEY}</html>`, { headers: { "content-type": "application/json" } })],
    ];
    for (const [label, answer] of cases) {
      upstream.handle(answer);
      for (const stream of [false, true]) {
        const result = await chat("up/gpt-4o-mini", { stream });
        expect([label, result.status >= 400]).toEqual([label, true]);
      }
    }
    // An error event inside a started stream, echoing the key.
    upstream.handle(() => sseResponse([TEXT_CHUNKS[0], TEXT_CHUNKS[1], { error: { message: `stream failed for ${PROVIDER_KEY}`, type: "server_error", param: null, code: null } }], { done: false }));
    const streamed = await chat("up/gpt-4o-mini", { stream: true });
    expect(streamed.status).toBe(200);
    expect(streamed.body).toContain("stream failed for");
    upstream.handle(openAIHandler);
    // The key really went upstream (so it was there to leak).
    expect(upstream.requests.some((r) => r.headers.authorization === `Bearer ${PROVIDER_KEY}`)).toBe(true);
  });

  test("an unreachable upstream: 503, no key", async () => {
    expect((await chat("down/m")).status).toBe(503);
  });

  test("audit: no secret in any response body or header the client did not send it in, log line or console line", () => {
    expect(answers.length).toBeGreaterThan(20);
    expect(gw.logs.length).toBeGreaterThan(10);
    for (const secret of SECRETS) {
      for (const answer of answers) {
        expect(answer.body).not.toContain(secret);
        // x-request-id is echoed to the client that chose it; nothing else may carry a key.
        expect(answer.headers.replace(`"x-request-id":"${PROVIDER_KEY}"`, "")).not.toContain(secret);
      }
      for (const line of gw.logs) expect(line).not.toContain(secret);
      for (const line of printed) expect(line).not.toContain(secret);
    }
    // The redaction really happened (the values were there to be removed).
    expect(gw.logs.some((line) => line.includes("***"))).toBe(true);
  });
});

describe("client keys of any length: exact match only (sha256 digests compared with timingSafeEqual)", () => {
  const keys = ["k3y!", "sk-" + "a".repeat(29), "x".repeat(200), "long-" + "z".repeat(995), "p@ss/w:rd+key=="];
  let keyed: TestGateway;
  beforeAll(async () => {
    keyed = await startTestGateway({ OLLAIX_API_KEYS: keys.join(",") }, [dummy]);
  });
  afterAll(() => keyed.close());
  const status = async (authorization?: string) =>
    (await fetch(`${keyed.url}/v1/models`, { headers: authorization === undefined ? {} : { authorization } })).status;

  test.each(keys.map((key) => [key.length, key]))("a %i-character key: accepted exactly, refused with one character more, less or changed", async (_length, key) => {
    expect(await status(`Bearer ${key}`)).toBe(200);
    expect(await status(`Bearer ${key}a`)).toBe(401);
    expect(await status(`Bearer ${key.slice(0, -1)}`)).toBe(401);
    expect(await status(`Bearer ${key.slice(0, -1)}${key.endsWith("!") ? "?" : "!"}`)).toBe(401);
  });

  test("empty, absent, huge and other-scheme credentials are refused without an error", async () => {
    expect(await status()).toBe(401);
    expect(await status("Bearer ")).toBe(401);
    expect(await status("Bearer")).toBe(401);
    // (Bun itself answers 431 to headers over its limit, before any of Ollaix's code runs.)
    expect(await status(`Bearer ${"q".repeat(8_000)}`)).toBe(401);
    expect(await status(`Token ${keys[0]}`)).toBe(401);
    expect(await status(`Bearer${keys[0]}`)).toBe(401);
  });

  test("the scheme in any case, as RFC 9110 has auth schemes (`bearer`, `BEARER`): the key is what counts", async () => {
    expect(await status(`bearer ${keys[0]}`)).toBe(200);
    expect(await status(`BEARER ${keys[1]}`)).toBe(200);
    expect(await status(`bearer ${keys[0]}x`)).toBe(401);
  });
});

/**
 * The same audit across every surface, with virtual keys from OLLAIX_CONFIG (`key_env`), the admin
 * key, a provider key and an OTLP exporter header: none may reach a log line, an error body in any
 * surface's envelope, a `/metrics` label, an exported span or a `/console/api/*` answer.
 */
describe("every surface, virtual keys, the admin key, metrics, traces and the console", () => {
  const TEAM_A = "vk-team-alpha-2b7e151628aed2a6";
  const TEAM_B = "vk-team-beta-abf7158809cf4f3c-longer";
  const ADMIN = "adm-console-9f86d081884c7d65";
  const OTLP_TOKEN = "otlp-collector-token-3a7bd3e2360a";
  const ALL = [TEAM_A, TEAM_B, ADMIN, OTLP_TOKEN, PROVIDER_KEY];
  let collector: FakeCollector;
  let vgw: TestGateway;
  const seen: { what: string; status: number; body: string; headers: string }[] = [];

  beforeAll(async () => {
    collector = startCollector();
    const config = writeConfigFile({
      keys: [
        { name: "team-a", key_env: "SECRETS_TEAM_A_KEY", models: ["dummy-model:1.0", "up/*"] },
        { name: "team-b", key_env: "SECRETS_TEAM_B_KEY", models: ["dummy-model:1.0"], rpm: 1000, tpm: 1_000_000 },
      ],
      plugins: { "openai-compatible": { upstreams: [{ name: "up", base_url: `${upstream.url}/v1`, api_key_env: "SECRETS_TEST_PROVIDER_KEY", models: ["gpt-4o-mini"] }] } },
    });
    vgw = await startTestGateway(
      {
        OLLAIX_CONFIG: config,
        SECRETS_TEAM_A_KEY: TEAM_A,
        SECRETS_TEAM_B_KEY: TEAM_B,
        SECRETS_TEST_PROVIDER_KEY: PROVIDER_KEY,
        OLLAIX_ADMIN_KEY: ADMIN,
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${OTLP_TOKEN}`,
        OTEL_BSP_SCHEDULE_DELAY: "20",
        LOG_LEVEL: "debug",
      },
      [dummy, openaiCompatible],
    );
  });
  afterAll(async () => {
    await vgw.close();
    await collector.close();
  });

  async function call(what: string, method: string, path: string, headers: Record<string, string>, body?: unknown) {
    const response = await fetch(`${vgw.url}${path}`, { method, headers: { "content-type": "application/json", ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    const answer = { what, status: response.status, body: text, headers: JSON.stringify(Object.fromEntries(response.headers)), response };
    seen.push(answer);
    return answer;
  }

  const hi = [{ role: "user", content: "hi" }];
  /** [surface, method, path, body (model substituted), envelope check, sends WWW-Authenticate]. */
  const SURFACES: [string, string, string, ((model: string) => unknown) | undefined, (body: any) => void, boolean][] = [
    ["chat", "POST", "/v1/chat/completions", (model) => ({ model, messages: hi }), (b) => expect(b.error).toMatchObject({ type: "authentication_error", code: "invalid_api_key" }), true],
    ["embeddings", "POST", "/v1/embeddings", (model) => ({ model, input: "hi" }), (b) => expect(b.error).toMatchObject({ type: "authentication_error" }), true],
    ["models", "GET", "/v1/models", undefined, (b) => expect(b.error).toMatchObject({ type: "authentication_error" }), true],
    ["responses", "POST", "/v1/responses", (model) => ({ model, input: "hi" }), (b) => expect(b.error).toMatchObject({ type: "authentication_error", code: "invalid_api_key" }), true],
    ["responses/input_tokens", "POST", "/v1/responses/input_tokens", (model) => ({ model, input: "hi" }), (b) => expect(b.error).toMatchObject({ type: "authentication_error", code: "invalid_api_key" }), true],
    ["responses/{id}", "GET", "/v1/responses/resp_x", undefined, (b) => expect(b.error).toMatchObject({ type: "authentication_error" }), true],
    ["messages", "POST", "/v1/messages", (model) => ({ model, max_tokens: 16, messages: hi }), (b) => expect(b).toEqual({ type: "error", error: { type: "authentication_error", message: expect.any(String) }, request_id: expect.stringMatching(/^req_/) }), false],
    ["count_tokens", "POST", "/v1/messages/count_tokens", (model) => ({ model, messages: hi }), (b) => expect(b).toEqual({ type: "error", error: { type: "authentication_error", message: expect.any(String) }, request_id: expect.stringMatching(/^req_/) }), false],
    ["ollama chat", "POST", "/api/chat", (model) => ({ model, messages: hi, stream: false }), (b) => expect(b).toEqual({ error: expect.any(String) }), false],
    ["ollama generate", "POST", "/api/generate", (model) => ({ model, prompt: "hi", stream: false }), (b) => expect(b).toEqual({ error: expect.any(String) }), false],
    ["ollama embed", "POST", "/api/embed", (model) => ({ model, input: "hi" }), (b) => expect(b).toEqual({ error: expect.any(String) }), false],
    ["ollama show", "POST", "/api/show", (model) => ({ model }), (b) => expect(b).toEqual({ error: expect.any(String) }), false],
    ["ollama tags", "GET", "/api/tags", undefined, (b) => expect(b).toEqual({ error: expect.any(String) }), false],
  ];
  const WRONG = [`${TEAM_A}x`, TEAM_A.slice(0, -1), ADMIN, PROVIDER_KEY, OTLP_TOKEN, `${TEAM_A},${TEAM_B}`];

  test.each(SURFACES)("%s: wrong keys are 401 in the surface's envelope, the right one works", async (name, method, path, body, envelope, wwwAuthenticate) => {
    const isMessages = path.startsWith("/v1/messages");
    for (const wrong of WRONG) {
      const tries: Record<string, string>[] = [{ authorization: `Bearer ${wrong}` }, ...(isMessages ? [{ "x-api-key": wrong }] : [])];
      for (const headers of tries) {
        const answer = await call(name, method, path, headers, body?.("dummy-model:1.0"));
        expect([name, headers, answer.status]).toEqual([name, headers, 401]);
        envelope(JSON.parse(answer.body));
        if (wwwAuthenticate) expect(answer.response.headers.get("www-authenticate")).toBe("Bearer");
      }
    }
    const right: Record<string, string> = isMessages ? { "x-api-key": TEAM_B } : { authorization: `Bearer ${TEAM_A}` };
    const ok = await call(name, method, path, right, body?.("dummy-model:1.0"));
    expect([name, ok.status]).toEqual([name, path === "/v1/responses/resp_x" ? 404 : 200]);
    // A model outside the key's list (its id is a key): refused without echoing any other secret.
    if (body) {
      const refused = await call(name, method, path, { authorization: `Bearer ${TEAM_B}` }, body(`up/${ADMIN}`));
      expect([name, refused.status >= 400 && refused.status < 500]).toEqual([name, true]);
    }
  });

  test("through the provider with its key, a failing upstream echoing it on every surface", async () => {
    upstream.handle(() => jsonResponse(ERRORS.invalidKey(PROVIDER_KEY), 401));
    for (const [name, method, path, body] of SURFACES) {
      // (count_tokens and input_tokens estimate locally: no upstream call to fail.)
      if (!body || path === "/v1/embeddings" || path.startsWith("/api/embed") || path === "/api/show" || path.endsWith("count_tokens") || path.endsWith("input_tokens")) continue;
      const answer = await call(name, method, path, { authorization: `Bearer ${TEAM_A}` }, body("up/gpt-4o-mini"));
      expect([name, answer.status >= 400]).toEqual([name, true]);
    }
    upstream.handle(openAIHandler);
    expect(upstream.requests.some((r) => r.headers.authorization === `Bearer ${PROVIDER_KEY}`)).toBe(true);
  });

  test("/metrics and /console/api/*: wrong admin keys are 401, the right one answers without any key in it", async () => {
    const paths = ["/metrics", "/console/api/overview", "/console/api/requests", "/console/api/series", "/console/api/keys"];
    for (const path of paths) {
      for (const wrong of [TEAM_A, `${ADMIN}x`, PROVIDER_KEY]) expect((await call(path, "GET", path, { authorization: `Bearer ${wrong}` })).status).toBe(401);
      const answer = await call(path, "GET", path, { authorization: `Bearer ${ADMIN}` });
      expect([path, answer.status]).toEqual([path, 200]);
      expect([path, (await call(path, "GET", path, { authorization: `bearer ${ADMIN}` })).status]).toEqual([path, 200]);
    }
    const metrics = seen.find((a) => a.what === "/metrics" && a.status === 200)!.body;
    expect(metrics).toContain('key="team-a"');
    expect(metrics).toContain('surface="messages"');
    const keys = seen.find((a) => a.what === "/console/api/keys" && a.status === 200)!.body;
    expect(keys).toContain("team-b");
  });

  test("audit: no secret in any answer, log line, console line, metric, span or span resource", async () => {
    await collector.waitForSpan((span) => String(span.attributes["gen_ai.request.model"] ?? "").includes("gpt-4o-mini"));
    // The exporter really sent its header (so the token was there to leak).
    expect(collector.requests.some((r) => r.headers.authorization === `Bearer ${OTLP_TOKEN}`)).toBe(true);
    expect(seen.length).toBeGreaterThan(100);
    expect(collector.spans.length).toBeGreaterThan(10);
    const spans = collector.spans.map((span) => JSON.stringify({ ...span, startNs: 0, endNs: 0 }));
    for (const secret of ALL) {
      for (const answer of seen) {
        expect([answer.what, answer.body.includes(secret)]).toEqual([answer.what, false]);
        expect([answer.what, answer.headers.includes(secret)]).toEqual([answer.what, false]);
      }
      for (const line of vgw.logs) expect(line).not.toContain(secret);
      for (const line of printed) expect(line).not.toContain(secret);
      for (const span of spans) expect(span).not.toContain(secret);
    }
    // Keys are named in logs, never shown.
    expect(vgw.logs.some((line) => line.includes('"key":"team-a"'))).toBe(true);
  });
});

afterAll(() => {
  for (const undo of restore.splice(0)) undo();
});
