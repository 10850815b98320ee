// Responses' WebSocket mode (Codex's preferred transport; the openai SDK's ResponsesWS) on a real
// port: response.create messages, their stream events back, a store: false continuation on the same
// connection, stream_id lanes, refusals as error events, keys.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { ResponsesWS } from "openai/resources/responses/ws";
import dummy from "../plugins/dummy/index.ts";
import type { ChatRequest } from "../src/kit.ts";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { expectOpenAI } from "./helpers/openai-schema.ts";
import { toolPlugin } from "./helpers/tool-plugin.ts";

const received: ChatRequest[] = [];
let gw: TestGateway;
let client: OpenAI;
beforeAll(async () => {
  gw = await startTestGateway({}, [dummy, toolPlugin(received)]);
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

  test("refusals are error events with the status and OpenAI's error: an unknown model, bad input, background, an unknown event", async () => {
    const ws = new ResponsesWS(client);
    try {
      const errors: Event[] = [];
      ws.on("error", () => undefined);
      for (const params of [{ model: "no-such-model", input: "x" }, { model: "dummy-model:1.0", input: "x", temperature: 9 }, { model: "dummy-model:1.0", input: "x", background: true }]) {
        errors.push((await createOver(ws, params)).at(-1)!);
      }
      expect(errors.map((e) => [e.type, e.status, e.error?.param])).toEqual([
        ["error", 404, "model"],
        ["error", 400, "temperature"],
        ["error", 400, "background"],
      ]);
    } finally {
      ws.close();
    }
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
