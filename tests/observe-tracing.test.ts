import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import dummy from "../plugins/dummy/index.ts";
import openaiCompatible from "../plugins/openai-compatible/index.ts";
import { openAIHandler, sseResponse } from "../plugins/openai-compatible/__fixtures__/fake-openai.ts";
import { TEXT_CHUNKS } from "../plugins/openai-compatible/__fixtures__/openai-wire.ts";
import { startFakeServer, type FakeServer } from "./helpers/fake-server.ts";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { startCollector, type FakeCollector } from "./helpers/otlp-collector.ts";
import { definePlugin, UpstreamError, UpstreamUnavailableError, type ChunkResult } from "../src/kit.ts";

/** An upstream that is down, or fails after its first chunk. */
const broken = definePlugin({
  name: "broken",
  models: [{ id: "down-model" }, { id: "midstream-model" }],
  async chat() {
    throw new UpstreamUnavailableError("The upstream at http://127.0.0.1:9 is unreachable.");
  },
  async *chatStream(request): AsyncGenerator<ChunkResult> {
    if (request.model === "down-model") throw new UpstreamUnavailableError("The upstream at http://127.0.0.1:9 is unreachable.");
    yield { choices: [{ index: 0, delta: { content: "Hel" } }] };
    throw new UpstreamError("The upstream sent garbage.");
  },
});

const CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN = "00f067aa0ba902b7";
const COLLECTOR_TOKEN = "otlp-token-5f2d9c81";
const UPSTREAM_KEY = "sk-upstream-7d0c2e9a4b";

let upstream: FakeServer;
beforeAll(() => {
  upstream = startFakeServer(openAIHandler);
});
afterAll(() => upstream.close());

const chatTo = (gw: TestGateway) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "unused", maxRetries: 0 });
const lastChatRequest = () => upstream.requests.findLast((r) => r.path === "/v1/chat/completions")!;

describe.each([
  ["http/protobuf", "application/x-protobuf"],
  ["http/json", "application/json"],
])("traces over OTLP %s", (protocol, contentType) => {
  let collector: FakeCollector;
  let gw: TestGateway;
  beforeAll(async () => {
    collector = startCollector();
    gw = await startTestGateway(
      {
        LOG_LEVEL: "info",
        OPENAI_BASE_URL: `${upstream.url}/v1`,
        OPENAI_API_KEY: UPSTREAM_KEY,
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${COLLECTOR_TOKEN}`,
        OTEL_SERVICE_NAME: "ollaix-under-test",
        OTEL_BSP_SCHEDULE_DELAY: "20",
      },
      [dummy, openaiCompatible, broken],
    );
  });
  afterAll(async () => {
    await gw.close();
    await collector.close();
  });

  test("a client's traceparent is continued; the upstream call carries the gateway span as its parent", async () => {
    const before = Date.now();
    const answer = await chatTo(gw).chat.completions.create(
      { model: "gpt-4o-mini", messages: [{ role: "user", content: "Hello" }] },
      { headers: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` } },
    );
    const after = Date.now();
    const span = await collector.waitForSpan((s) => s.traceId === CLIENT_TRACE && s.name === "chat gpt-4o-mini");
    expect(span.parentSpanId).toBe(CLIENT_SPAN);
    expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(span.kind).toBe(2); // SERVER
    expect(lastChatRequest().headers.traceparent).toBe(`00-${CLIENT_TRACE}-${span.spanId}-01`);
    expect(answer.model).toBe("gpt-4o-mini");
    expect(span.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "gpt-4o-mini",
      // The model the upstream's answer says answered (the fixture's), not the id asked for, which the client's answer keeps.
      "gen_ai.response.model": "gpt-5.4",
      "gen_ai.usage.input_tokens": answer.usage!.prompt_tokens,
      "gen_ai.usage.output_tokens": answer.usage!.completion_tokens,
      "gen_ai.response.finish_reasons": ["stop"],
      "http.request.method": "POST",
      "http.response.status_code": 200,
      "url.path": "/v1/chat/completions",
      "url.scheme": "http",
      "ollaix.surface": "chat",
    });
    expect(span.attributes["error.type"]).toBeUndefined();
    expect(span.status.code).toBe(0);
    // The span's times are the request's: inside the test's window, in order.
    expect(Number(span.startNs / 1_000_000n)).toBeGreaterThanOrEqual(before - 5);
    expect(Number(span.endNs / 1_000_000n)).toBeLessThanOrEqual(after + 5);
    expect(span.endNs).toBeGreaterThan(span.startNs);
    expect(span.resource["service.name"]).toBe("ollaix-under-test");
    const exportRequest = collector.requests.at(-1)!;
    expect(exportRequest.path).toBe("/v1/traces");
    expect(exportRequest.contentType).toStartWith(contentType);
    expect(exportRequest.headers.authorization).toBe(`Bearer ${COLLECTOR_TOKEN}`);
  });

  test("without a traceparent a new trace starts, and the upstream gets it; a stream's span names the model its chunks say answered", async () => {
    upstream.handle((request) =>
      request.path === "/v1/chat/completions" ? sseResponse(TEXT_CHUNKS.map((chunk) => ({ ...chunk, model: "gpt-4o-mini-2024-07-18" }))) : openAIHandler(request),
    );
    const stream = await chatTo(gw).chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }], stream: true });
    const models = new Set<string>();
    try {
      for await (const chunk of stream) models.add(chunk.model);
    } finally {
      upstream.handle(openAIHandler);
    }
    expect([...models]).toEqual(["gpt-4o-mini"]); // the client's chunks name what it asked for
    const sent = lastChatRequest().headers.traceparent!;
    const [, traceId, spanId] = sent.split("-");
    const span = await collector.waitForSpan((s) => s.spanId === spanId);
    expect(span.traceId).toBe(traceId!);
    expect(span.parentSpanId).toBe("");
    expect(span.attributes["ollaix.stream"]).toBe(true);
    expect(span.attributes["gen_ai.response.model"]).toBe("gpt-4o-mini-2024-07-18");
    expect(typeof span.attributes["ollaix.time_to_first_token_ms"]).toBe("number");
  });

  test("a server's failure (5xx) and a stream that failed after its start have an error status", async () => {
    const down = await chatTo(gw)
      .chat.completions.create({ model: "down-model", messages: [{ role: "user", content: "Hi" }] }, { headers: { traceparent: `00-${CLIENT_TRACE}-${"5".repeat(16)}-01` } })
      .catch((e: unknown) => e);
    expect((down as InstanceType<typeof OpenAI.APIError>).status).toBeGreaterThanOrEqual(500);
    const downSpan = await collector.waitForSpan((s) => s.parentSpanId === "5".repeat(16));
    expect(downSpan.attributes["error.type"]).toBe("upstream_unavailable");
    expect(downSpan.attributes["ollaix.attempts"]).toBe(1);
    expect(downSpan.status.code).toBe(2); // ERROR
    const stream = await chatTo(gw).chat.completions.create(
      { model: "midstream-model", messages: [{ role: "user", content: "Hi" }], stream: true },
      { headers: { traceparent: `00-${CLIENT_TRACE}-${"6".repeat(16)}-01` } },
    );
    await (async () => {
      for await (const _ of stream) void _;
    })().catch(() => undefined);
    const midSpan = await collector.waitForSpan((s) => s.parentSpanId === "6".repeat(16));
    expect(midSpan.attributes["http.response.status_code"]).toBe(200);
    expect(midSpan.attributes["error.type"]).toBe("upstream_error");
    expect(midSpan.status.code).toBe(2);
  });

  test("a client's error (4xx): error.type, and no error status (HTTP's rule for server spans); an unknown model names only the operation", async () => {
    const failed = await chatTo(gw)
      .chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "Hi" }] }, { headers: { traceparent: `00-${CLIENT_TRACE}-${"1".repeat(16)}-01` } })
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(OpenAI.NotFoundError);
    const span = await collector.waitForSpan((s) => s.parentSpanId === "1".repeat(16));
    expect(span.name).toBe("chat");
    expect(span.attributes["error.type"]).toBe("model_not_found");
    expect(span.attributes["http.response.status_code"]).toBe(404);
    expect(span.status.code).toBe(0); // UNSET
    // No provider was tried (a probe: it read 1, where the answer has no x-ollaix-attempts).
    expect(span.attributes["ollaix.attempts"]).toBeUndefined();
  });

  test("a response's span carries its id (gen_ai.response.id), and a background one says so", async () => {
    const answer = await chatTo(gw).responses.create({ model: "gpt-4o-mini", input: "Hello" }, { headers: { traceparent: `00-${CLIENT_TRACE}-${"3".repeat(16)}-01` } });
    const span = await collector.waitForSpan((s) => s.parentSpanId === "3".repeat(16));
    expect(span.name).toBe("chat gpt-4o-mini");
    expect(span.attributes).toMatchObject({ "gen_ai.response.id": answer.id, "ollaix.surface": "responses", "url.path": "/v1/responses" });
    expect(span.attributes["ollaix.background"]).toBeUndefined();
    const queued = await chatTo(gw).responses.create({ model: "gpt-4o-mini", input: "Hello", background: true }, { headers: { traceparent: `00-${CLIENT_TRACE}-${"4".repeat(16)}-01` } });
    const background = await collector.waitForSpan((s) => s.parentSpanId === "4".repeat(16));
    expect(background.attributes).toMatchObject({ "gen_ai.response.id": queued.id, "ollaix.background": true });
  });

  test("a token count's span is named count_tokens, not chat", async () => {
    const counted = await fetch(`${gw.url}/v1/messages/count_tokens`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: `00-${CLIENT_TRACE}-${"7".repeat(16)}-01` },
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] }),
    });
    expect(counted.status).toBe(200);
    const span = await collector.waitForSpan((s) => s.parentSpanId === "7".repeat(16));
    expect(span.name).toBe("count_tokens gpt-4o-mini");
    expect(span.attributes["gen_ai.operation.name"]).toBeUndefined();
  });

  test("an embeddings span names the model the upstream says answered; an Ollama load of a model with nothing to load names no provider (a probe)", async () => {
    const embedded = await fetch(`${gw.url}/v1/embeddings`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: `00-${CLIENT_TRACE}-${"8".repeat(16)}-01` },
      body: JSON.stringify({ model: "gpt-4o-mini", input: "embed me" }),
    });
    expect(embedded.status).toBe(200);
    const span = await collector.waitForSpan((s) => s.parentSpanId === "8".repeat(16));
    expect(span.attributes).toMatchObject({ "gen_ai.operation.name": "embeddings", "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "text-embedding-3-small" });
    const before = upstream.requests.length;
    const loaded = await fetch(`${gw.url}/api/generate`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: `00-${CLIENT_TRACE}-${"9".repeat(16)}-01` },
      body: JSON.stringify({ model: "gpt-4o-mini" }),
    });
    expect(loaded.status).toBe(200);
    expect(upstream.requests.length).toBe(before);
    const load = await collector.waitForSpan((s) => s.parentSpanId === "9".repeat(16));
    expect(load.attributes["gen_ai.provider.name"]).toBeUndefined();
    expect(load.attributes["http.response.status_code"]).toBe(200);
  });

  test("a refusal before the pipeline (invalid JSON) is a span too", async () => {
    const response = await fetch(`${gw.url}/v1/embeddings`, { method: "POST", headers: { "content-type": "application/json", traceparent: `00-${CLIENT_TRACE}-${"2".repeat(16)}-01` }, body: "{" });
    expect(response.status).toBe(400);
    const span = await collector.waitForSpan((s) => s.parentSpanId === "2".repeat(16));
    expect(span.name).toBe("embeddings");
    expect(span.attributes["http.response.status_code"]).toBe(400);
    expect(span.attributes["error.type"]).toBeDefined();
    expect(span.status.code).toBe(0);
  });

  test("no log line carries the collector's token or the upstream key", () => {
    const all = gw.logs.join("");
    expect(all).toContain('"msg":"tracing on"');
    expect(all).not.toContain(COLLECTOR_TOKEN);
    expect(all).not.toContain(UPSTREAM_KEY);
  });
});

describe("tracing off", () => {
  test("no OpenTelemetry module is even loaded (a fresh process counts them)", async () => {
    const count = async (vars: Record<string, string>) => {
      const script = `
        const { createGateway } = await import(${JSON.stringify(`${import.meta.dir}/../src/server.ts`)});
        const gw = await createGateway({ env: ${JSON.stringify({ PORT: "0", LOG_LEVEL: "error", OLLAMA_BASE_URL: "http://127.0.0.1:9", ...vars })}, write: () => {} });
        console.log(Object.keys(require.cache).filter((k) => k.includes("@opentelemetry")).length);
        await gw.shutdown();
        process.exit(0);`;
      const proc = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "inherit", env: { PATH: process.env.PATH ?? "" } });
      const out = await new Response(proc.stdout).text();
      await proc.exited;
      return Number(out.trim());
    };
    expect(await count({})).toBe(0);
    // The same count sees the SDK when tracing is on, so the 0 above means something.
    expect(await count({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9" })).toBeGreaterThan(10);
  });

  test("no traceparent goes upstream, and none is invented", async () => {
    const gw = await startTestGateway({ OPENAI_BASE_URL: `${upstream.url}/v1`, OPENAI_API_KEY: UPSTREAM_KEY }, [dummy, openaiCompatible]);
    try {
      await chatTo(gw).chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hello" }] }, { headers: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` } });
      expect(lastChatRequest().headers.traceparent).toBeUndefined();
      expect(gw.gateway.observability.stampTrace).toBeUndefined();
    } finally {
      await gw.close();
    }
  });
});

describe("shutdown with a collector that does not answer", () => {
  test("the last spans get a bounded time, then shutdown ends (a probe: the exporter's 10 s time-out after a full grace outlasted docker stop)", async () => {
    let received = 0;
    // Accepts each export and never answers it.
    const silent = Bun.serve({ port: 0, hostname: "127.0.0.1", idleTimeout: 0, fetch: () => (received++, new Promise<Response>(() => undefined)) });
    const gw = await startTestGateway({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${silent.port}`, OTEL_BSP_SCHEDULE_DELAY: "60000" }, [dummy]);
    try {
      await chatTo(gw).chat.completions.create({ model: "dummy-model:1.0", messages: [{ role: "user", content: "Hello" }] });
      // Shutdown flushes the span; the collector never answers; shutdown still ends (this test's
      // own 5 s limit is under the exporter's 10 s time-out it used to wait out).
      await gw.close();
      expect(received).toBeGreaterThan(0);
      expect(gw.logs.some((line) => line.includes("trace export at shutdown gave up"))).toBe(true);
    } finally {
      silent.stop(true);
    }
  });
});
