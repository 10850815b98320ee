import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import dummy from "../plugins/dummy/index.ts";
import { definePlugin, type ChunkResult, type Provider } from "../src/kit.ts";
import { expectOpenAI } from "./helpers/openai-schema.ts";
import { json, jsonPost, parseSseBody, startTestGateway, type TestGateway } from "./helpers/gateway.ts";


/**
 * A provider whose behaviour is chosen by the last user message, so one gateway covers every
 * failure mode. It throws plain objects with the kit's fields, as a plugin built against another
 * copy of the kit would: the core must map them by fields, not by class.
 */
const seen: { aborted?: AbortSignal } = {};
const foreign = (status: number, type: string, code: string | null, message: string, extra: object = {}) =>
  Object.assign(new Error(message), { status, type, code, param: null, ...extra });

function behaviour(messages: { role: string; content?: unknown }[]): string {
  return String(messages.at(-1)?.content ?? "");
}

const faulty: Provider = definePlugin({
  name: "faulty",
  models: [{ id: "faulty-1" }],
  async chat(request, ctx) {
    switch (behaviour(request.messages)) {
      case "rate":
        throw foreign(429, "rate_limit_error", "insufficient_quota", "Quota exceeded upstream.", { retryAfter: 7 });
      case "secret":
        throw foreign(502, "api_error", "upstream_auth_failed", "The key sk-very-secret-1234 was refused.");
      case "crash":
        throw new TypeError("Cannot read properties of undefined (reading 'x')");
      case "hang":
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        throw new DOMException("The operation was aborted.", "AbortError");
      default:
        return { choices: [{ index: 0, message: { content: "ok" }, finish_reason: "stop" }] };
    }
  },
  async *chatStream(request, ctx): AsyncGenerator<ChunkResult> {
    const mode = behaviour(request.messages);
    if (mode === "early") throw foreign(503, "api_error", "upstream_unavailable", "Upstream is down.");
    if (mode === "slow-first") {
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      throw new DOMException("aborted", "AbortError");
    }
    yield { choices: [{ index: 0, delta: { content: "Hello" } }] };
    if (mode === "midway") throw foreign(502, "api_error", "upstream_error", "Upstream broke the stream.");
    if (mode === "crash-midway") throw new RangeError("internal details /srv/secret/path.ts:12");
    if (mode === "idle" || mode === "idle-deaf") {
      if (mode === "idle-deaf") await new Promise(() => undefined); // ignores the signal entirely
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      throw new DOMException("aborted", "AbortError");
    }
    if (mode === "endless") {
      seen.aborted = ctx.signal;
      for (;;) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        await Bun.sleep(5);
        yield { choices: [{ index: 0, delta: { content: " more" } }] };
      }
    }
    if (mode === "no-finish") return;
    yield { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] };
  },
});

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway(
    { UPSTREAM_TIMEOUT_MS: "300", STREAM_IDLE_TIMEOUT_MS: "300", OLLAIX_API_KEYS: "key-one-abcdef, key-two-ghijkl", LOG_LEVEL: "debug" },
    [dummy, faulty],
  );
});
afterAll(() => gw.close());

const auth = { authorization: "Bearer key-two-ghijkl" };
const ask = (content: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = auth) =>
  gw.handle("/v1/chat/completions", jsonPost({ model: "faulty-1", messages: [{ role: "user", content }], ...extra }, headers));

async function errorOf(res: Response, status: number) {
  expect(res.status).toBe(status);
  const body = await json(res);
  expectOpenAI("ErrorResponse", body);
  return body.error as { message: string; type: string; code: string | null; param: string | null };
}

describe("API keys", () => {
  test("no key, a wrong key: 401 invalid_api_key; the right key passes", async () => {
    const none = await errorOf(await gw.handle("/v1/models"), 401);
    expect(none).toMatchObject({ type: "authentication_error", code: "invalid_api_key" });
    const refused = await gw.handle("/v1/models");
    expect(refused.headers.get("www-authenticate")).toBe("Bearer");
    const wrong = await gw.handle("/v1/models", { headers: { authorization: "Bearer key-one-abcdeX" } });
    const error = await errorOf(wrong, 401);
    expect(error.message).not.toContain("key-one");
    expect((await gw.handle("/v1/models", { headers: { authorization: "Bearer key-one-abcdef" } })).status).toBe(200);
    expect((await gw.handle("/v1/models", { headers: auth })).status).toBe(200);
  });

  test("/health and /docs stay open", async () => {
    expect((await gw.handle("/health")).status).toBe(200);
    expect((await gw.handle("/docs/json")).status).toBe(200);
  });

  test("keys never reach a log line", () => {
    expect(gw.logs.join("\n")).not.toContain("key-one-abcdef");
    expect(gw.logs.join("\n")).not.toContain("key-two-ghijkl");
  });
});

describe("error mapping", () => {
  test("unknown route or wrong method: 404 naming the method and path, as OpenAI words it", async () => {
    const error = await errorOf(await gw.handle("/v2/nothing?x=1", { headers: auth }), 404);
    expect(error).toMatchObject({ type: "invalid_request_error", code: "not_found", message: "Invalid URL (GET /v2/nothing)" });
    const wrongMethod = await errorOf(await gw.handle("/v1/chat/completions", { headers: auth }), 404);
    expect(wrongMethod.message).toBe("Invalid URL (GET /v1/chat/completions)");
    const deleteModels = await errorOf(await gw.handle("/v1/models", { method: "DELETE", headers: auth }), 404);
    expect(deleteModels.message).toBe("Invalid URL (DELETE /v1/models)");
  });

  test("a plugin error is mapped by its fields (429 with Retry-After, the upstream's code kept)", async () => {
    const res = await ask("rate");
    expect(res.headers.get("retry-after")).toBe("7");
    const error = await errorOf(res, 429);
    // OpenAI's own pairing of type and code for a spent quota, and its SDKs told not to retry.
    expect(error).toMatchObject({ type: "insufficient_quota", code: "insufficient_quota", message: "Quota exceeded upstream." });
    expect(res.headers.get("x-should-retry")).toBe("false");
  });

  test("a plugin crash is a generic 500: no message, no stack, details only in the log", async () => {
    const error = await errorOf(await ask("crash"), 500);
    expect(error.message).not.toContain("reading 'x'");
    expect(error.type).toBe("server_error");
    expect(gw.logs.some((l) => l.includes("reading 'x'"))).toBe(true);
  });

  test("secrets known to the gateway are removed from error messages", async () => {
    const gw2 = await startTestGateway({ OLLAIX_API_KEYS: "sk-very-secret-1234" }, [faulty]);
    try {
      const res = await gw2.handle("/v1/chat/completions", jsonPost({ model: "faulty-1", messages: [{ role: "user", content: "secret" }] }, { authorization: "Bearer sk-very-secret-1234" }));
      const error = await errorOf(res, 502);
      expect(error.message).toBe("The key *** was refused.");
    } finally {
      await gw2.close();
    }
  });

  test("a provider that does not answer within UPSTREAM_TIMEOUT_MS: 504 upstream_timeout, provider aborted", async () => {
    const error = await errorOf(await ask("hang"), 504);
    expect(error).toMatchObject({ type: "api_error", code: "upstream_timeout" });
    const streamed = await errorOf(await ask("slow-first", { stream: true }), 504);
    expect(streamed.code).toBe("upstream_timeout");
  });

  test("x-ollaix-hops: 5 or more is refused with 508 loop_detected", async () => {
    const error = await errorOf(await gw.handle("/v1/models", { headers: { ...auth, "x-ollaix-hops": "5" } }), 508);
    expect(error).toMatchObject({ type: "api_error", code: "loop_detected" });
    expect((await gw.handle("/v1/models", { headers: { ...auth, "x-ollaix-hops": "4" } })).status).toBe(200);
    expect((await gw.handle("/v1/models", { headers: { ...auth, "x-ollaix-hops": "lots" } })).status).toBe(200);
  });
});

describe("streams that fail", () => {
  test("a failure before the first chunk is an ordinary HTTP error", async () => {
    const res = await ask("early", { stream: true });
    expect(res.headers.get("content-type")).toStartWith("application/json");
    expect(await errorOf(res, 503)).toMatchObject({ code: "upstream_unavailable", message: "Upstream is down." });
  });

  test("a failure midway ends with one SSE error event and no [DONE]", async () => {
    const res = await ask("midway", { stream: true });
    expect(res.status).toBe(200);
    const events = parseSseBody(await res.text());
    expect(events).toHaveLength(2);
    expectOpenAI("CreateChatCompletionStreamResponse", JSON.parse(events[0]!));
    const error = JSON.parse(events[1]!);
    expectOpenAI("ErrorResponse", error);
    expect(error.error).toEqual({ message: "Upstream broke the stream.", type: "api_error", param: null, code: "upstream_error" });
  });

  test("a crash midway is a generic error event", async () => {
    const events = parseSseBody(await (await ask("crash-midway", { stream: true })).text());
    expect(JSON.parse(events.at(-1)!).error.type).toBe("server_error");
    expect(events.join()).not.toContain("/srv/secret");
  });

  test("an idle stream ends with an upstream_timeout event, even when the provider ignores the signal", async () => {
    for (const mode of ["idle", "idle-deaf"]) {
      const events = parseSseBody(await (await ask(mode, { stream: true })).text());
      expect(JSON.parse(events.at(-1)!).error.code).toBe("upstream_timeout");
    }
  });

  test("a stream that ends without a finish reason gets finish_reason stop, then [DONE]", async () => {
    const events = parseSseBody(await (await ask("no-finish", { stream: true })).text());
    expect(events.at(-1)).toBe("[DONE]");
    expect(JSON.parse(events.at(-2)!).choices[0].finish_reason).toBe("stop");
  });

  test("a client that goes away aborts the provider's generator", async () => {
    const controller = new AbortController();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      ...jsonPost({ model: "faulty-1", messages: [{ role: "user", content: "endless" }], stream: true }, auth),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.read();
    expect(seen.aborted?.aborted).toBe(false);
    controller.abort();
    for (let i = 0; i < 100 && !seen.aborted?.aborted; i++) await Bun.sleep(10);
    expect(seen.aborted?.aborted).toBe(true);
    expect((seen.aborted?.reason as Error).name).toBe("ClientGoneError");
  });
});

describe("CORS", () => {
  test("a preflight from any origin is answered by default, and x-request-id is exposed", async () => {
    const res = await gw.handle("/v1/chat/completions", {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
    });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get("access-control-allow-origin")).toBeTruthy();
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    const get = await gw.handle("/health", { headers: { origin: "https://app.example" } });
    expect(get.headers.get("access-control-expose-headers")).toContain("x-request-id");
    // Every answer carries a request id, the preflight's included.
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
  });

  test("the hot routes Bun serves directly (real port): CORS headers for a browser's request, none for an SDK's", async () => {
    const body = JSON.stringify({ model: "dummy-model:1.0", messages: [{ role: "user", content: "hi" }] });
    const browser = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", origin: "https://app.example", ...auth }, body });
    expect(browser.status).toBe(200);
    expect(browser.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(browser.headers.get("access-control-expose-headers")).toContain("x-ratelimit-remaining-requests");
    expect(browser.headers.get("x-request-id")).toMatch(/^req_/);
    const sdk = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", ...auth }, body });
    expect(sdk.status).toBe(200);
    expect(sdk.headers.get("access-control-allow-origin")).toBeNull();
    expect(sdk.headers.get("x-request-id")).toMatch(/^req_/);
    // An error from a browser page is readable by it too.
    const refused = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", origin: "https://app.example", ...auth }, body: "{" });
    expect(refused.status).toBe(400);
    expect(refused.headers.get("access-control-allow-origin")).toBe("https://app.example");
  });

  test("CORS_ALLOWED_ORIGINS limits the allowed origins", async () => {
    const gw2 = await startTestGateway({ CORS_ALLOWED_ORIGINS: "https://good.example" }, [dummy]);
    try {
      const good = await gw2.handle("/health", { headers: { origin: "https://good.example" } });
      expect(good.headers.get("access-control-allow-origin")).toBe("https://good.example");
      const bad = await gw2.handle("/health", { headers: { origin: "https://evil.example" } });
      expect(bad.headers.get("access-control-allow-origin")).not.toBe("https://evil.example");
    } finally {
      await gw2.close();
    }
  });
});

describe("secrets a plugin reads", () => {
  test("a key read with host.readSecretEnv never reaches a log line or an error body", async () => {
    const leaky = definePlugin({
      name: "leaky",
      create(host) {
        const key = host.readSecretEnv("LEAKY_KEY_VAR");
        host.logger.warn(`configured with ${key}`);
        return {
          name: "leaky",
          models: [{ id: "leaky-1" }],
          async chat() {
            throw foreign(502, "api_error", "upstream_auth_failed", `upstream refused ${key}`);
          },
          async *chatStream(): AsyncGenerator<ChunkResult> {
            yield { choices: [] };
          },
        };
      },
    });
    const gw2 = await startTestGateway({ LEAKY_KEY_VAR: "sk-leaky-secret-98765" }, [leaky]);
    try {
      const res = await gw2.handle("/v1/chat/completions", jsonPost({ model: "leaky-1", messages: [{ role: "user", content: "hi" }] }));
      const error = await errorOf(res, 502);
      expect(error.message).toBe("upstream refused ***");
      expect(gw2.logs.some((l) => l.includes("configured with ***"))).toBe(true);
      expect(gw2.logs.join("\n")).not.toContain("sk-leaky-secret-98765");
    } finally {
      await gw2.close();
    }
  });
});
