// Responses' WebSocket mode (Codex's preferred transport; the openai SDK's ResponsesWS) on a real
// port: response.create messages, their stream events back, a store: false continuation on the same
// connection, stream_id lanes, refusals as error events, keys.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { ResponsesWS } from "openai/resources/responses/ws";
import dummy from "../plugins/dummy/index.ts";
import { definePlugin, type ChatRequest } from "../src/kit.ts";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { expectOpenAI } from "./helpers/openai-schema.ts";
import { toolPlugin } from "./helpers/tool-plugin.ts";
import { slowPlugin } from "./helpers/slow-plugin.ts";
import { startCollector } from "./helpers/otlp-collector.ts";

const received: ChatRequest[] = [];
/** A provider that fails after its first words: the response ends `response.failed`. */
const failing = definePlugin({
  name: "failing",
  models: [{ id: "failing-model" }],
  chat: () => Promise.reject(new Error("stream only")),
  async *chatStream() {
    yield { choices: [{ index: 0, delta: { content: "Half" } }] };
    throw new Error("the upstream went away");
  },
});
/** A provider that streams eight words 40 ms apart (long enough to be steered), then a tool call when it has tools and no result yet; it records what it is asked. */
const pacedReceived: ChatRequest[] = [];
const paced = definePlugin({
  name: "paced",
  models: [{ id: "paced-model" }],
  chat: () => Promise.reject(new Error("stream only")),
  async *chatStream(request) {
    pacedReceived.push(request);
    for (let i = 0; i < 8; i++) {
      yield { choices: [{ index: 0, delta: { content: ` w${i}` } }] };
      await Bun.sleep(40);
    }
    const tool = request.tools?.[0];
    if (tool && request.messages.at(-1)?.role !== "tool") {
      yield { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "call_paced", type: "function", function: { name: tool.function.name, arguments: "{}" } }] }, finish_reason: "tool_calls" }] };
    } else yield { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] };
  },
});
let gw: TestGateway;
let client: OpenAI;
beforeAll(async () => {
  gw = await startTestGateway({}, [dummy, toolPlugin(received), slowPlugin([]), failing, paced]);
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x", maxRetries: 0 });
});
afterAll(() => gw.close());

type Event = { type: string; sequence_number?: number; stream_id?: string; response?: OpenAI.Responses.Response; status?: number; error?: { message: string; param: string | null; code: string | null } };

/** Sends one response.create and gathers its events until the response ends (or an error comes). */
function createOver(ws: ResponsesWS, params: Record<string, unknown>): Promise<Event[]> {
  return new Promise((resolve) => {
    const events: Event[] = [];
    const onEvent = (event: Event) => {
      if (params.stream_id !== undefined && event.stream_id !== params.stream_id) return;
      events.push(event);
      if (["response.completed", "response.incomplete", "response.failed", "error"].includes(event.type)) {
        ws.off("event", onEvent as never);
        resolve(events);
      }
    };
    ws.on("event", onEvent as never);
    ws.send({ type: "response.create", ...params } as never);
  });
}

const withoutLane = ({ stream_id: _lane, ...event }: Event) => event;

describe("the openai SDK's ResponsesWS", () => {
  test("a response.create gets the stream's events, each OpenAI's, in order", async () => {
    const ws = new ResponsesWS(client);
    try {
      const events = await createOver(ws, { model: "dummy-model:1.0", input: "Hello over a socket" });
      expect(events[0]!.type).toBe("response.created");
      expect(events.at(-1)!.type).toBe("response.completed");
      for (const event of events) expectOpenAI("ResponseStreamEvent", event);
      expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
      expect(events.at(-1)!.response!.output_text ?? events.at(-1)!.response!.output.length).toBeTruthy();
    } finally {
      ws.close();
    }
  });

  test("a store: false response is continued on its connection by previous_response_id (nothing was stored); a stored one as over HTTP", async () => {
    const ws = new ResponsesWS(client);
    try {
      const tools = [{ type: "function", name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: false }];
      const first = (await createOver(ws, { model: "tool-model", input: "Weather in Paris?", tools, store: false })).at(-1)!.response!;
      const call = first.output.find((item) => item.type === "function_call") as OpenAI.Responses.ResponseFunctionToolCall;
      const second = (await createOver(ws, { model: "tool-model", previous_response_id: first.id, input: [{ type: "function_call_output", call_id: call.call_id, output: "12 C" }], tools, store: false })).at(-1)!.response!;
      expect(second.output_text ?? (second.output.at(-1) as { content: { text: string }[] }).content[0]!.text).toBe("The tool said: 12 C");
      expect(received.at(-1)!.messages.map((m) => m.role)).toEqual(["user", "assistant", "tool"]);

      // Over HTTP, that id was never stored.
      expect(await client.responses.retrieve(first.id).catch((e) => e)).toMatchObject({ status: 404 });
      const stored = (await createOver(ws, { model: "dummy-model:1.0", input: "Keep me." })).at(-1)!.response!;
      const next = (await createOver(ws, { model: "dummy-model:1.0", previous_response_id: stored.id, input: "And then?" })).at(-1)!.response!;
      expect(next.previous_response_id).toBe(stored.id);
    } finally {
      ws.close();
    }
  });

  test("stream_id lanes: two responses side by side, each event carrying its lane", async () => {
    const ws = new ResponsesWS(client);
    try {
      const [a, b] = await Promise.all([createOver(ws, { model: "dummy-model:1.0", input: "A", stream_id: "lane-a" }), createOver(ws, { model: "dummy-model:1.0", input: "B", stream_id: "lane-b" })]);
      expect(a.every((e) => e.stream_id === "lane-a")).toBe(true);
      expect(b.every((e) => e.stream_id === "lane-b")).toBe(true);
      for (const event of [...a, ...b]) expectOpenAI("ResponseStreamEvent", withoutLane(event));
      expect(a.at(-1)!.response!.id).not.toBe(b.at(-1)!.response!.id);
    } finally {
      ws.close();
    }
  });

  test("each lane remembers its own latest store: false response, and another lane may fork from it", async () => {
    const ws = new ResponsesWS(client);
    ws.on("error", () => undefined); // the stale continuation's error event below
    try {
      const turn = async (lane: string, input: string, previous?: string) => {
        const events = await createOver(ws, { model: "tool-model", input: [{ role: "user", content: input }], store: false, stream_id: lane, ...(previous ? { previous_response_id: previous } : {}) });
        expect(events.at(-1)!.type).toBe("response.completed");
        return events.at(-1)!.response!.id;
      };
      const [a1, b1] = await Promise.all([turn("lane-a", "a1"), turn("lane-b", "b1")]);
      // lane-b's response did not make the connection forget lane-a's, nor the other way round.
      await turn("lane-a", "a2", a1);
      const userTurns = () => received.at(-1)!.messages.filter((m) => m.role === "user").map((m) => m.content);
      expect(userTurns()).toEqual(["a1", "a2"]);
      const b2 = await turn("lane-b", "b2", b1);
      expect(userTurns()).toEqual(["b1", "b2"]);
      // A fork: a new lane continues lane-b's latest response; lane-b still has it.
      await turn("lane-c", "c1", b2);
      expect(userTurns()).toEqual(["b1", "b2", "c1"]);
      await turn("lane-b", "b3", b2);
      expect(userTurns()).toEqual(["b1", "b2", "b3"]);
      // Each lane keeps its latest only: lane-a's first response was replaced by its second.
      const stale = await createOver(ws, { model: "tool-model", input: "again", store: false, stream_id: "lane-a", previous_response_id: a1 });
      expect(stale.at(-1)).toMatchObject({ type: "error", status: 400, error: { param: "previous_response_id", code: "previous_response_not_found" } });
    } finally {
      ws.close();
    }
  });

  test("a continuation that fails forgets the response it continued, not the other lanes' (a failed fork forgets its source)", async () => {
    const ws = new ResponsesWS(client);
    ws.on("error", () => undefined); // the refusals below
    try {
      const turn = async (lane: string, extra: Record<string, unknown>) =>
        (await createOver(ws, { model: "tool-model", input: [{ role: "user", content: lane }], store: false, stream_id: lane, ...extra })).at(-1)!;
      const a1 = (await turn("a", {})).response!.id;
      const b1 = (await turn("b", {})).response!.id;
      // Lane b forks a1 with a bad setting: refused.
      expect(await turn("b", { previous_response_id: a1, temperature: 9 })).toMatchObject({ type: "error", status: 400 });
      expect(await turn("c", { previous_response_id: a1 })).toMatchObject({ type: "error", error: { code: "previous_response_not_found" } });
      // b1, which the failure did not continue, is still there.
      expect((await turn("d", { previous_response_id: b1 })).type).toBe("response.completed");
    } finally {
      ws.close();
    }
  });

  test("refusals are error events with the status and OpenAI's error: an unknown model, bad input, background, an unknown event", async () => {
    const ws = new ResponsesWS(client);
    try {
      const errors: Event[] = [];
      ws.on("error", () => undefined);
      for (const params of [{ model: "no-such-model", input: "x" }, { model: "dummy-model:1.0", input: "x", temperature: 9 }, { model: "dummy-model:1.0", input: "x", background: true }, { model: "dummy-model:1.0", input: "x", generate: "no" }]) {
        errors.push((await createOver(ws, params)).at(-1)!);
      }
      // A lane that is not a string: refused (untagged, as it names no lane), not run on the default lane.
      const badLane = new Promise<Event>((resolve) => ws.on("event", ((event: Event) => event.type === "error" && resolve(event)) as never));
      ws.send({ type: "response.create", model: "dummy-model:1.0", input: "x", stream_id: { a: 1 } } as never);
      errors.push(await badLane);
      // An unknown event type: the error names what the socket takes, steering too (a probe: it named response.create alone).
      const unknown = new Promise<Event>((resolve) => ws.on("event", ((event: Event) => event.type === "error" && event.error?.param === "type" && resolve(event)) as never));
      ws.send({ type: "response.cancel" } as never);
      errors.push(await unknown);
      for (const error of errors) expectOpenAI("ResponseWsError", error);
      expect(errors.map((e) => [e.type, e.status, e.error?.param])).toEqual([
        ["error", 404, "model"],
        ["error", 400, "temperature"],
        ["error", 400, "background"],
        ["error", 400, "generate"],
        ["error", 400, "stream_id"],
        ["error", 400, "type"],
      ]);
      expect(errors.at(-1)!.error?.message).toContain("response.steer");
    } finally {
      ws.close();
    }
  });
});

describe("a connection's queue", () => {
  test("messages queued behind a slow response never run once the connection closes; beyond 64 waiting or answered, a message is refused at once", async () => {
    const calls: AbortSignal[] = [];
    const own = await startTestGateway({}, [dummy, slowPlugin(calls)]);
    try {
      const { socket, events } = await rawSocket(own.url);
      socket.send(JSON.stringify({ type: "response.create", model: "slow-model", input: "write on" }));
      await until(() => calls.length === 1);
      for (let i = 0; i < 10; i++) socket.send(JSON.stringify({ type: "response.create", model: "slow-model", input: `queued ${i}` }));
      socket.close();
      await until(() => calls[0]!.aborted);
      await Bun.sleep(300);
      expect(calls).toHaveLength(1); // the queued ten never reached the provider
      expect(events.some((e) => e.type === "error")).toBe(false);

      const second = await rawSocket(own.url);
      try {
        for (let i = 0; i < 70; i++) second.socket.send(JSON.stringify({ type: "response.create", model: "slow-model", input: `n ${i}`, stream_id: `lane-${i % 3}` }));
        await until(() => second.events.filter((e) => e.type === "error").length === 6);
        const refused = second.events.filter((e) => e.type === "error");
        for (const event of refused) expectOpenAI("ResponseWsError", event);
        expect(refused[0]).toMatchObject({ status: 429, error: { code: "websocket_queue_full" } });
        expect(refused.every((e) => typeof e.stream_id === "string")).toBe(true);
      } finally {
        second.socket.close();
      }
    } finally {
      await own.close();
    }
  }, 20_000);
});

test("what one connection holds waiting is bounded in bytes too (two bodies' worth), steers included: beyond it a message is refused at once", async () => {
  const calls: AbortSignal[] = [];
  const own = await startTestGateway({ MAX_BODY_BYTES: "65536" }, [dummy, slowPlugin(calls)]);
  try {
    const { socket, events } = await rawSocket(own.url);
    try {
      const padded = (n: number) => JSON.stringify({ type: "response.create", model: "slow-model", input: "go", instructions: "x".repeat(50_000), stream_id: `lane-${n}` });
      socket.send(padded(0)); // answered (held while it streams)
      await until(() => calls.length === 1);
      socket.send(padded(1)); // 100 KB held together: within 128 KB
      socket.send(padded(2)); // 150 KB: refused
      await until(() => events.some((e) => e.type === "error"));
      const refused = events.filter((e) => e.type === "error");
      expect(refused).toHaveLength(1);
      expectOpenAI("ResponseWsError", refused[0]);
      expect(refused[0]).toMatchObject({ status: 429, error: { code: "websocket_queue_full" }, stream_id: "lane-2" });
      // A steer of that size is refused as well.
      await until(() => events.some((e) => e.type === "response.created" && e.stream_id === "lane-0"));
      const created = events.find((e) => e.type === "response.created" && e.stream_id === "lane-0");
      socket.send(JSON.stringify({ type: "response.steer", previous_response_id: (created as { response: { id: string } }).response.id, input: "y".repeat(50_000) }));
      await until(() => events.some((e) => e.type === "response.steer.failed" || e.type === "response.steer.accepted"));
      expect(events.find((e) => e.type === "response.steer.failed" || e.type === "response.steer.accepted")).toMatchObject({ type: "response.steer.failed", error: { code: "too_many_pending_steers" } });
      expect(JSON.stringify(events.find((e) => e.type === "response.steer.failed"))).toContain("bytes of messages and steers");
    } finally {
      socket.close();
    }
  } finally {
    await own.close();
  }
}, 20_000);

describe("refusals the socket answers itself are reported as the refused model calls they are", () => {
  test("background, a non-string stream_id or generate, and a full queue: one request line each and ollaix_requests_total, as over HTTP", async () => {
    const collector = startCollector();
    const own = await startTestGateway(
      { LOG_LEVEL: "info", OLLAIX_API_KEYS: "sk-ws-report-0001", OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: "20" },
      [dummy, slowPlugin([])],
    );
    const trace = "7a3c1f09b2d44e5f8a6b0c1d2e3f4a5b";
    try {
      const { socket, events } = await rawSocket(own.url, { authorization: "Bearer sk-ws-report-0001", "x-request-id": "req_handshake_000001", traceparent: `00-${trace}-${"a".repeat(16)}-01` });
      try {
        socket.send(JSON.stringify({ type: "response.create", model: "dummy-model:1.0", input: "x", background: true }));
        socket.send(JSON.stringify({ type: "response.create", model: "dummy-model:1.0", input: "x", generate: "no" }));
        socket.send(JSON.stringify({ type: "response.create", model: "dummy-model:1.0", input: "x", stream_id: 7 }));
        await until(() => events.filter((e) => e.type === "error").length === 3);
        const lines = () => own.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === "request" && l.surface === "responses");
        await until(() => lines().length === 3);
        expect(lines().map((l) => [l.status, l.error, l.key, l.model]).sort()).toEqual([
          [400, "invalid_request_error", "api-key-1", "dummy-model:1.0"],
          [400, "invalid_type", "api-key-1", "dummy-model:1.0"],
          [400, "invalid_type", "api-key-1", "dummy-model:1.0"],
        ]);
        // Under the handshake's request id, as the connection's accepted messages are.
        expect(lines().map((l) => l.request_id)).toEqual(["req_handshake_000001", "req_handshake_000001", "req_handshake_000001"]);
        // In the client's trace, and streamed, as every message of the socket is.
        expect(lines().map((l) => [l.trace_id, l.stream])).toEqual(Array.from({ length: 3 }, () => [trace, true]));
        expect((await collector.waitForSpan((s) => s.traceId === trace)).parentSpanId).toBe("a".repeat(16));
        const metrics = await (await fetch(`${own.url}/metrics`)).text();
        expect(metrics).toContain('ollaix_requests_total{surface="responses",model="dummy-model:1.0",provider="",key="api-key-1",status="400"} 3');
        // A full queue: 64 slow ones wait, the next are 429s, each reported.
        for (let i = 0; i < 66; i++) socket.send(JSON.stringify({ type: "response.create", model: "slow-model", input: `n ${i}` }));
        await until(() => events.filter((e) => e.type === "error" && e.status === 429).length === 2);
        await until(() => lines().filter((l) => l.status === 429).length === 2);
        expect(lines().filter((l) => l.status === 429).map((l) => l.error)).toEqual(["websocket_queue_full", "websocket_queue_full"]);
      } finally {
        socket.close();
      }
    } finally {
      await own.close();
      await collector.close();
    }
  }, 20_000);
});

describe("a key's limit over the WebSocket mode", () => {
  test("a refused create's error carries the headers its HTTP answer would have (Retry-After, x-ratelimit-*), as OpenAI's ErrorPayload.headers", async () => {
    const { writeConfigFile } = await import("../plugins/openai-compatible/__fixtures__/test-env.ts");
    const { awayFromMinuteEnd } = await import("./helpers/windows.ts");
    await awayFromMinuteEnd();
    const config = writeConfigFile({ keys: [{ name: "one", key_env: "K_ONE", rpm: 1 }] });
    const limited = await startTestGateway({ OLLAIX_CONFIG: config, K_ONE: "sk-ws-limited-000001" }, [dummy]);
    const ws = new ResponsesWS(new OpenAI({ baseURL: `${limited.url}/v1`, apiKey: "sk-ws-limited-000001", maxRetries: 0 }));
    try {
      ws.on("error", () => undefined);
      expect((await createOver(ws, { model: "dummy-model:1.0", input: "x" })).at(-1)!.type).toBe("response.completed");
      const refused = (await createOver(ws, { model: "dummy-model:1.0", input: "x" })).at(-1)!;
      expectOpenAI("ResponseWsError", refused);
      expect(refused).toMatchObject({ type: "error", status: 429, error: { code: "rate_limit_exceeded" } });
      const headers = (refused.error as unknown as { headers: Record<string, string> }).headers;
      expect(Number(headers["retry-after"])).toBeGreaterThan(0);
      expect(headers).toMatchObject({ "x-ratelimit-limit-requests": "1", "x-ratelimit-remaining-requests": "0" });
      expect(headers["x-request-id"]).toBeString();
      expect(JSON.stringify(headers)).not.toContain("sk-ws-limited");
    } finally {
      ws.close();
      await limited.close();
    }
  }, 20_000);
});

/** A raw socket (Bun's own client) and the parsed messages it gets. */
async function rawSocket(url: string, headers: Record<string, string> = {}): Promise<{ socket: WebSocket; events: Event[]; closed: Promise<number> }> {
  const socket = new WebSocket(`${url.replace("http", "ws")}/v1/responses`, { headers } as never);
  const events: Event[] = [];
  socket.onmessage = (message) => events.push(JSON.parse(String(message.data)) as Event);
  const closed = new Promise<number>((resolve) => (socket.onclose = (e) => resolve(e.code)));
  await new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new Error("handshake refused"));
  });
  return { socket, events, closed };
}
const until = async (check: () => boolean, ms = 3000) => {
  for (let waited = 0; !check() && waited < ms; waited += 10) await Bun.sleep(10);
};

const WEATHER_TOOLS = [{ type: "function", name: "get_weather", parameters: { type: "object", properties: {} } }];
/** The paced model asked with a tool, steered with `steer` while it runs; resolves with the response's id once the steer is pending (the response ended with its tool call). */
async function steeredToolCall(socket: WebSocket, events: Event[], steer: string): Promise<string> {
  socket.send(JSON.stringify({ type: "response.create", model: "paced-model", input: "Weather?", tools: WEATHER_TOOLS }));
  await until(() => events.some((e) => e.type === "response.created"));
  const parent = events.find((e) => e.type === "response.created")!.response!.id;
  socket.send(JSON.stringify({ type: "response.steer", previous_response_id: parent, input: steer }));
  await until(() => events.some((e) => (e.type as string) === "response.steer.pending"));
  return parent;
}

describe("Codex's ways", () => {
  test("generate: false (a warm-up) calls no model, answers an empty completed response, and the next turn continues it", async () => {
    const ws = new ResponsesWS(client);
    try {
      const asked = received.length;
      const warm = await createOver(ws, { model: "tool-model", instructions: "You are Codex.", input: [{ role: "user", content: "warm" }], store: false, generate: false });
      expect(warm.map((e) => e.type)).toEqual(["response.created", "response.completed"]);
      for (const event of warm) expectOpenAI("ResponseStreamEvent", event);
      expect(warm.at(-1)!.response!.output).toEqual([]);
      expect(received).toHaveLength(asked);
      await createOver(ws, { model: "tool-model", previous_response_id: warm.at(-1)!.response!.id, input: [{ role: "user", content: "real" }], store: false });
      expect(received.at(-1)!.messages.map((m) => m.content)).toEqual(["warm", "real"]);
    } finally {
      ws.close();
    }
  });

  test("response.steer: accepted for a response in flight, whose successor then continues it with the input (the response's own settings), on its lane", async () => {
    const { socket, events } = await rawSocket(gw.url);
    try {
      socket.send(JSON.stringify({ type: "response.create", model: "paced-model", input: "Start.", instructions: "Be brief.", stream_id: "main" }));
      await until(() => events.some((e) => e.type === "response.created"));
      const parent = events.find((e) => e.type === "response.created")!.response!.id;
      const input = [{ type: "message", role: "user", content: "Also mention cats." }];
      socket.send(JSON.stringify({ type: "response.steer", previous_response_id: parent, input }));
      await until(() => events.filter((e) => e.type === "response.completed").length === 2);
      const accepted = events.find((e) => (e.type as string) === "response.steer.accepted");
      expect(accepted).toEqual({ type: "response.steer.accepted", sequence_number: 0, steer: { id: expect.stringMatching(/^steer_/), previous_response_id: parent }, stream_id: "main" } as never);
      // The parent ends as it would have; its successor is created after it and continues it.
      const types = events.map((e) => e.type as string);
      expect(types.indexOf("response.completed")).toBeLessThan(types.lastIndexOf("response.created"));
      const successor = events.filter((e) => e.type === "response.completed")[1]!.response!;
      expect(successor.previous_response_id).toBe(parent);
      expect(successor.instructions).toBe("Be brief.");
      expect(events.every((e) => e.stream_id === "main")).toBe(true);
      const asked = pacedReceived.at(-1)!.messages;
      expect(asked.map((m) => [m.role, typeof m.content === "string" ? m.content.trim() : m.content])).toEqual([
        ["system", "Be brief."],
        ["user", "Start."],
        ["assistant", "w0 w1 w2 w3 w4 w5 w6 w7"],
        ["user", "Also mention cats."],
      ]);
    } finally {
      socket.close();
    }
  });

  test("a steered response that stops for tool results: response.steer.pending names them, and the input joins the client's continuation after them", async () => {
    const { socket, events } = await rawSocket(gw.url);
    try {
      const parent = await steeredToolCall(socket, events, "In Celsius, please.");
      const accepted = events.find((e) => (e.type as string) === "response.steer.accepted") as unknown as { steer: { id: string } };
      expect(events.find((e) => (e.type as string) === "response.steer.pending")).toEqual({
        type: "response.steer.pending",
        sequence_number: 0,
        reason: "waiting_for_required_input",
        required_input: [{ type: "function_call_output", call_id: "call_paced", name: "get_weather" }],
        steer: { id: accepted.steer.id, previous_response_id: parent },
      } as never);
      // No successor was made: the client owes the tool's result.
      expect(events.filter((e) => e.type === "response.created")).toHaveLength(1);
      // A second steer, while the response waits for its tool result, is pending at once, and its input joins too.
      socket.send(JSON.stringify({ type: "response.steer", previous_response_id: parent, input: "And in Paris." }));
      await until(() => events.filter((e) => (e.type as string) === "response.steer.pending").length === 2);
      const pending = events.filter((e) => (e.type as string) === "response.steer.pending") as unknown as { steer: { id: string }; required_input: unknown[] }[];
      const second = events.filter((e) => (e.type as string) === "response.steer.accepted")[1] as unknown as { steer: { id: string } };
      expect(pending[1]!.steer.id).toBe(second.steer.id);
      expect(pending[1]!.required_input).toEqual(pending[0]!.required_input);
      socket.send(JSON.stringify({ type: "response.create", model: "paced-model", previous_response_id: parent, tools: WEATHER_TOOLS, input: [{ type: "function_call_output", call_id: "call_paced", output: "21 C" }] }));
      await until(() => events.filter((e) => e.type === "response.completed").length === 2);
      expect(pacedReceived.at(-1)!.messages.map((m) => m.role)).toEqual(["user", "assistant", "tool", "user", "user"]);
      expect(pacedReceived.at(-1)!.messages.slice(-2).map((m) => m.content)).toEqual(["In Celsius, please.", "And in Paris."]);
    } finally {
      socket.close();
    }
  });

  test("steering input waiting for tool results stays queued while the client's continuation is refused, and joins the one that is taken", async () => {
    const { socket, events } = await rawSocket(gw.url);
    try {
      const parent = await steeredToolCall(socket, events, "In Celsius.");
      const output = [{ type: "function_call_output", call_id: "call_paced", output: "21 C" }];
      socket.send(JSON.stringify({ type: "response.create", model: "no-such-model", previous_response_id: parent, tools: WEATHER_TOOLS, input: output }));
      await until(() => events.some((e) => e.type === "error"));
      expect(events.find((e) => e.type === "error")).toMatchObject({ status: 404 });
      socket.send(JSON.stringify({ type: "response.create", model: "paced-model", previous_response_id: parent, tools: WEATHER_TOOLS, input: output }));
      await until(() => events.filter((e) => e.type === "response.completed").length === 2);
      expect(pacedReceived.at(-1)!.messages.map((m) => [m.role, m.content])).toEqual([
        ["user", "Weather?"],
        ["assistant", expect.anything()],
        ["tool", "21 C"],
        ["user", "In Celsius."],
      ]);
    } finally {
      socket.close();
    }
  });

  test("a response bound to a conversation cannot be steered (as OpenAI's): steering_not_supported at once, the input given back", async () => {
    const conversation = await client.conversations.create({});
    const { socket, events } = await rawSocket(gw.url);
    try {
      socket.send(JSON.stringify({ type: "response.create", model: "paced-model", input: "Start.", conversation: conversation.id }));
      await until(() => events.some((e) => e.type === "response.created"));
      const parent = events.find((e) => e.type === "response.created")!.response!.id;
      socket.send(JSON.stringify({ type: "response.steer", previous_response_id: parent, input: "More." }));
      await until(() => events.some((e) => e.type === "response.steer.failed"));
      expect(events.find((e) => e.type === "response.steer.failed")).toMatchObject({ steer: { input: "More.", previous_response_id: parent }, error: { code: "steering_not_supported" } });
      expect(events.some((e) => (e.type as string) === "response.steer.accepted")).toBe(false);
    } finally {
      socket.close();
    }
  });

  test("response.steer.failed gives the input back: a response this connection does not have, bad input (on the target's lane), too many queued", async () => {
    const { socket, events } = await rawSocket(gw.url);
    type Failed = { type: string; stream_id?: string; steer: { id?: string; input: unknown; previous_response_id: string }; error: { type: string; code: string } };
    const failures = () => events.filter((e) => e.type === "response.steer.failed") as unknown as Failed[];
    try {
      socket.send(JSON.stringify({ type: "response.create", model: "slow-model", input: "write on", stream_id: "main" }));
      await until(() => events.some((e) => e.type === "response.created"));
      const running = events.find((e) => e.type === "response.created")!.response!.id;
      socket.send(JSON.stringify({ type: "response.steer", previous_response_id: "resp_elsewhere", input: "hi" }));
      socket.send(JSON.stringify({ type: "response.steer", previous_response_id: running }));
      socket.send(JSON.stringify({ type: "response.steer", previous_response_id: running, input: [{ role: "assistant", content: "I said so." }] }));
      await until(() => failures().length === 3);
      expect(failures()[0]).toEqual({
        type: "response.steer.failed",
        sequence_number: 0,
        steer: { input: "hi", previous_response_id: "resp_elsewhere" },
        error: { type: "invalid_request_error", code: "response_not_found", message: expect.any(String) },
      } as never);
      expect(failures().slice(1).map((f) => [f.error.code, f.stream_id, f.steer.id])).toEqual([
        ["invalid_input", "main", undefined],
        ["invalid_input", "main", undefined],
      ]);
      for (let i = 0; i < 17; i++) socket.send(JSON.stringify({ type: "response.steer", previous_response_id: running, input: `more ${i}` }));
      await until(() => failures().length === 4);
      expect(events.filter((e) => (e.type as string) === "response.steer.accepted")).toHaveLength(16);
      expect(failures()[3]).toMatchObject({ steer: { input: "more 16" }, error: { code: "too_many_pending_steers" } });
    } finally {
      socket.close();
    }
  });

  test("a steer for a response that has ended gets its input back", async () => {
    type Failed = { type: string; stream_id?: string; steer: { input: unknown; previous_response_id: string }; error: { type: string; code: string } };
    // A response that has ended takes no steer either: completed, or failed (not active); the failure comes on its lane.
    const other = await rawSocket(gw.url);
    const steerFailures = () => other.events.filter((e) => e.type === "response.steer.failed") as unknown as Failed[];
    try {
      other.socket.send(JSON.stringify({ type: "response.create", model: "dummy-model:1.0", input: "Hi", stream_id: "x" }));
      await until(() => other.events.some((e) => e.type === "response.completed"));
      const done = other.events.find((e) => e.type === "response.completed")!.response!.id;
      other.socket.send(JSON.stringify({ type: "response.steer", previous_response_id: done, input: "more" }));
      await until(() => steerFailures().length === 1);
      expect(steerFailures()[0]).toMatchObject({ stream_id: "x", steer: { input: "more", previous_response_id: done }, error: { code: "response_already_completed" } });
      other.socket.send(JSON.stringify({ type: "response.create", model: "failing-model", input: "Hi" }));
      await until(() => other.events.some((e) => e.type === "response.failed"));
      const failed = other.events.find((e) => e.type === "response.failed")!.response!.id;
      other.socket.send(JSON.stringify({ type: "response.steer", previous_response_id: failed, input: "more" }));
      await until(() => steerFailures().length === 2);
      expect(steerFailures()[1]).toMatchObject({ steer: { previous_response_id: failed }, error: { code: "response_not_active" } });
      expect(steerFailures()[1]!.stream_id).toBeUndefined();
    } finally {
      other.socket.close();
    }
  });

  test("one lane's messages are answered in order (a slow first one before a quick second); response.processed needs no answer; a binary frame of JSON is read", async () => {
    const { socket, events } = await rawSocket(gw.url);
    try {
      socket.send(JSON.stringify({ type: "response.create", model: "slow-model", input: "slow", max_output_tokens: 16 }));
      socket.send(JSON.stringify({ type: "response.processed", response_id: "resp_x" }));
      socket.send(new TextEncoder().encode(JSON.stringify({ type: "response.create", model: "dummy-model:1.0", input: "quick" })));
      await until(() => events.filter((e) => e.type === "response.completed" || e.type === "error").length >= 1, 1500);
      // The slow model streams until aborted: nothing of the second may come before the first ends.
      expect(events.some((e) => e.type === "response.created" && e.response!.model === "dummy-model:1.0")).toBe(false);
      expect(events.filter((e) => e.type === "error")).toEqual([]);
    } finally {
      socket.close();
    }
  });
});

describe("limits and shutdown", () => {
  test("a page of an origin not listed in CORS_ALLOWED_ORIGINS cannot open a socket; a listed one can", async () => {
    const listed = await startTestGateway({ CORS_ALLOWED_ORIGINS: "https://app.example" }, [dummy]);
    try {
      await expect(rawSocket(listed.url, { origin: "https://evil.example" })).rejects.toThrow("handshake refused");
      const ok = await rawSocket(listed.url, { origin: "https://app.example" });
      ok.socket.close();
    } finally {
      await listed.close();
    }
  });

  test("a message larger than MAX_BODY_BYTES closes the socket (1009), as HTTP refuses such a body", async () => {
    const small = await startTestGateway({ MAX_BODY_BYTES: "4000" }, [dummy]);
    try {
      const { socket, closed } = await rawSocket(small.url);
      socket.send(JSON.stringify({ type: "response.create", model: "dummy-model:1.0", input: "x".repeat(5000) }));
      expect(await closed).toBe(1009);
    } finally {
      await small.close();
    }
  });

  test("what a connection remembers is MAX_BODY_BYTES of history in all: the lane remembered longest ago is forgotten first", async () => {
    const small = await startTestGateway({ MAX_BODY_BYTES: "4000" }, [dummy]);
    const ws = new ResponsesWS(new OpenAI({ baseURL: `${small.url}/v1`, apiKey: "x", maxRetries: 0 }));
    ws.on("error", () => undefined); // the forgotten continuation's error event below
    try {
      // Each history is ~1,500 bytes: two fit in 4,000, a third pushes the oldest out.
      const turn = async (lane: string, previous?: string) => {
        const events = await createOver(ws, { model: "dummy-model:1.0", input: "x".repeat(1200), max_output_tokens: 16, store: false, stream_id: lane, ...(previous ? { previous_response_id: previous } : {}) });
        return events.at(-1)!;
      };
      const a = (await turn("a")).response!.id;
      const b = (await turn("b")).response!.id;
      const c = (await turn("c")).response!.id;
      expect(await turn("a2", a)).toMatchObject({ type: "error", error: { code: "previous_response_not_found" } });
      // The cut answers end incomplete (max_output_tokens), and are remembered as completed ones are.
      expect((await turn("b2", b)).type).toBe("response.incomplete");
      // b2's history (~2,800 bytes, b's and its own turn) made room by forgetting b's and then c's.
      expect(await turn("c2", c)).toMatchObject({ type: "error", error: { code: "previous_response_not_found" } });
    } finally {
      ws.close();
      await small.close();
    }
  });

  test("all connections together remember at most RESPONSES_MEMORY_MB: the history remembered longest ago, on any connection, is forgotten first", async () => {
    // 1 MiB in all; each connection's history is ~400 KB (well under its own MAX_BODY_BYTES): the third pushes out the first.
    const gw = await startTestGateway({ RESPONSES_MEMORY_MB: "1" }, [dummy]);
    const sockets = [0, 1, 2].map(() => new ResponsesWS(new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x", maxRetries: 0 })));
    for (const ws of sockets) ws.on("error", () => undefined);
    try {
      const turn = async (ws: ResponsesWS, previous?: string) =>
        (await createOver(ws, { model: "dummy-model:1.0", input: "x".repeat(400_000), max_output_tokens: 16, store: false, ...(previous ? { previous_response_id: previous } : {}) })).at(-1)!;
      const ids: string[] = [];
      for (const ws of sockets) ids.push((await turn(ws)).response!.id);
      expect(await turn(sockets[0]!, ids[0])).toMatchObject({ type: "error", error: { code: "previous_response_not_found" } });
      expect((await turn(sockets[2]!, ids[2])).type).toBe("response.incomplete");
    } finally {
      for (const ws of sockets) ws.close();
      await gw.close();
    }
  });

  test("a steered response whose successor cannot be made (too large a request) gives the steer's input back, and leaves the parent to the client's own continuation", async () => {
    const small = await startTestGateway({ MAX_BODY_BYTES: "4000" }, [paced]);
    const { socket, events } = await rawSocket(small.url);
    try {
      socket.send(JSON.stringify({ type: "response.create", model: "paced-model", input: "x".repeat(1500), store: false }));
      await until(() => events.some((e) => e.type === "response.created"));
      const parent = events.find((e) => e.type === "response.created")!.response!.id;
      // The parent's history and this input together are larger than a request may be.
      const steer = "y".repeat(2400);
      socket.send(JSON.stringify({ type: "response.steer", previous_response_id: parent, input: steer }));
      await until(() => events.some((e) => e.type === "response.steer.failed"));
      const accepted = events.find((e) => (e.type as string) === "response.steer.accepted") as unknown as { steer: { id: string } };
      expect(events.find((e) => e.type === "response.steer.failed")).toMatchObject({
        steer: { id: accepted.steer.id, input: steer, previous_response_id: parent },
        error: { type: "invalid_request_error", code: "successor_creation_failed" },
      });
      expect(events.filter((e) => e.type === "response.created")).toHaveLength(1);
      // The client continues the parent itself, as the failure tells it to: the parent is still remembered.
      socket.send(JSON.stringify({ type: "response.create", model: "paced-model", input: "Shorter, then.", previous_response_id: parent, store: false }));
      await until(() => events.filter((e) => e.type === "response.completed").length === 2);
      expect(events.filter((e) => e.type === "response.completed")).toHaveLength(2);
    } finally {
      socket.close();
      await small.close();
    }
  });

  test("shutdown closes an idle socket at once (1001) instead of waiting out the grace", async () => {
    const own = await startTestGateway({ SHUTDOWN_GRACE_MS: "5000" }, [dummy]);
    const { closed } = await rawSocket(own.url);
    await own.close();
    // 1001 is the gateway's own goodbye: a socket left open would be cut when the grace ran out.
    expect(await closed).toBe(1001);
  });
});

describe("with keys", () => {
  test("the handshake's key is every response's; without one the socket is refused", async () => {
    const keyed = await startTestGateway({ OLLAIX_API_KEYS: "ws-key-00000001" }, [dummy]);
    try {
      const good = new ResponsesWS(new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey: "ws-key-00000001", maxRetries: 0 }));
      try {
        expect((await createOver(good, { model: "dummy-model:1.0", input: "Hi" })).at(-1)!.type).toBe("response.completed");
      } finally {
        good.close();
      }
      const opened = await new Promise<boolean>((resolve) => {
        const socket = new WebSocket(`${keyed.url.replace("http", "ws")}/v1/responses`);
        socket.onopen = () => {
          socket.close();
          resolve(true);
        };
        socket.onerror = () => resolve(false);
      });
      expect(opened).toBe(false);
    } finally {
      await keyed.close();
    }
  });
});
