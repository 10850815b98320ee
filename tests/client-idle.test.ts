// BODY_IDLE_TIMEOUT_S: a connection whose request body stalls is closed, so bodies sent in part and
// left there cannot pile up in memory; a request whose body is whole waits on its provider as long
// as the provider takes, streamed or not.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { definePlugin, type ChatResult, type ChunkResult } from "../src/kit.ts";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";

/** A model that thinks `ms` before its answer, and pauses as long mid-stream. */
const slowPlugin = (name: string, ms: number) =>
  definePlugin({
    name,
    models: [{ id: `${name}-model` }],
    async chat(): Promise<ChatResult> {
      await Bun.sleep(ms);
      return { choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: "late but whole" } }] };
    },
    async *chatStream(): AsyncGenerator<ChunkResult> {
      yield { choices: [{ index: 0, delta: { content: "first " } }] };
      await Bun.sleep(ms);
      yield { choices: [{ index: 0, delta: { content: "second" }, finish_reason: "stop" }] };
    },
  });
/** Longer than the idle time-out below. */
const slow = slowPlugin("slow", 3500);

/** A raw connection: what it was sent back, and when the server closed it. */
async function rawConnection(port: number) {
  let received = "";
  let closedAt: number | undefined;
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_socket, data) {
        received += new TextDecoder().decode(data);
      },
      close() {
        closedAt = performance.now();
      },
    },
  });
  return { socket, received: () => received, closedAt: () => closedAt };
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    if (check()) return true;
    await Bun.sleep(50);
  }
  return check();
}

describe("BODY_IDLE_TIMEOUT_S=1", () => {
  let gw: TestGateway;
  let port: number;
  beforeAll(async () => {
    gw = await startTestGateway({ BODY_IDLE_TIMEOUT_S: "1" }, [slow]);
    port = Number(new URL(gw.url).port);
  });
  afterAll(() => gw.close());

  test("a body half sent, then silence: the connection is closed, no answer waits for the rest (hot routes and Elysia's)", async () => {
    for (const path of ["/v1/responses", "/v1/chat/completions", "/v1/conversations"]) {
      const c = await rawConnection(port);
      c.socket.write(`POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{"model":"slow-model","input":"`);
      expect(await waitFor(() => c.closedAt() !== undefined, 6000)).toBe(true);
      expect(c.received()).toBe("");
    }
  }, 30_000);

  test("a parked body after a first request on the same keep-alive connection is closed too", async () => {
    const c = await rawConnection(port);
    const first = JSON.stringify({ model: "nope", input: "hi" });
    c.socket.write(`POST /v1/responses HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${first.length}\r\n\r\n${first}`);
    expect(await waitFor(() => c.received().startsWith("HTTP/1.1 404"), 3000)).toBe(true);
    c.socket.write(`POST /v1/responses HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{"model":"slow-model","input":"`);
    expect(await waitFor(() => c.closedAt() !== undefined, 6000)).toBe(true);
  }, 10_000);

  test("a model that takes longer than the time-out answers whole, streamed or not, on every surface", async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const [chat, response, stream] = await Promise.all([
      client.chat.completions.create({ model: "slow-model", messages: [{ role: "user", content: "hi" }] }),
      client.responses.create({ model: "slow-model", input: "hi" }),
      (async () => {
        let text = "";
        for await (const event of await client.responses.create({ model: "slow-model", input: "hi", stream: true })) {
          if (event.type === "response.output_text.delta") text += event.delta;
        }
        return text;
      })(),
    ]);
    expect(chat.choices[0]!.message.content).toBe("late but whole");
    expect(response.output_text).toBe("late but whole");
    expect(stream).toBe("first second");
    // Elysia's routes are exempted as well (a stream that pauses; Ollama's /api/chat is a hot route, /api/generate is not).
    const generate = await fetch(`${gw.url}/api/generate`, { method: "POST", body: JSON.stringify({ model: "slow-model", prompt: "hi", stream: false }) });
    expect(generate.status).toBe(200);
    expect(((await generate.json()) as { response: string }).response).toBe("late but whole");
  }, 20_000);
});

describe("BODY_IDLE_TIMEOUT_S=0", () => {
  test("never closes a stalled body", async () => {
    const gw = await startTestGateway({ BODY_IDLE_TIMEOUT_S: "0" }, [slow]);
    try {
      const c = await rawConnection(Number(new URL(gw.url).port));
      c.socket.write("POST /v1/responses HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{");
      expect(await waitFor(() => c.closedAt() !== undefined, 6000)).toBe(false); // BODY_IDLE_TIMEOUT_S=1 closes within ~4 s
      c.socket.end();
    } finally {
      await gw.close();
    }
  }, 12_000);
});

/** Longer than KEEPALIVE_TIMEOUT_S=1 plus Bun's 4 s check: a clock left on while the gateway works would cut it. */
const slower = slowPlugin("slower", 6000);

/** A stream that goes silent after its first chunk: one model heeds its abort, the other ignores it. */
const stall = definePlugin({
  name: "stall",
  models: [{ id: "heeds" }, { id: "deaf" }, { id: "quick" }],
  async chat(): Promise<ChatResult> {
    return { choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: "quick" } }] };
  },
  async *chatStream(request, ctx): AsyncGenerator<ChunkResult> {
    yield { choices: [{ index: 0, delta: { content: "a" } }] };
    if (request.model === "heeds") await new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true }));
    else if (request.model === "deaf") await Bun.sleep(20_000);
    yield { choices: [{ index: 0, delta: { content: "b" }, finish_reason: "stop" }] };
  },
});

describe("KEEPALIVE_TIMEOUT_S=1 (a security probe: a connection left open after its answer was held forever)", () => {
  let gw: TestGateway;
  let port: number;
  beforeAll(async () => {
    gw = await startTestGateway({ KEEPALIVE_TIMEOUT_S: "1" }, [slow, slower]);
    port = Number(new URL(gw.url).port);
  });
  afterAll(() => gw.close());

  const chatBody = (stream: boolean) => JSON.stringify({ model: "slower-model", messages: [{ role: "user", content: "hi" }], stream });
  const post = (path: string, body: string) => `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;

  test("after its answer an idle connection is closed (Elysia's routes, hot routes, a stream's end), though the answers took longer than the time-out", async () => {
    const cases: [string, string, string][] = [
      ["health (Elysia)", "GET /health HTTP/1.1\r\nhost: x\r\n\r\n", '"status"'],
      ["chat (hot route), slower than the time-out", post("/v1/chat/completions", chatBody(false)), "late but whole"],
      ["a stream that pauses longer than the time-out", post("/v1/chat/completions", chatBody(true)), "data: [DONE]"],
    ];
    await Promise.all(
      cases.map(async ([what, request, last]) => {
        const c = await rawConnection(port);
        c.socket.write(request);
        expect(await waitFor(() => c.received().includes(last), 12_000)).toBe(true);
        // Answered whole, on a connection still open (the wait and the pause were not cut).
        expect([what, c.closedAt()]).toEqual([what, undefined]);
        const answeredAt = performance.now();
        expect(await waitFor(() => c.closedAt() !== undefined, 8000)).toBe(true);
        // Within the time-out and Bun's 4 s check.
        expect(c.closedAt()! - answeredAt).toBeLessThan(7000);
      }),
    );
  }, 40_000);

  test("a connection used again within the time-out serves its next request", async () => {
    const c = await rawConnection(port);
    c.socket.write("GET /health HTTP/1.1\r\nhost: x\r\n\r\n");
    expect(await waitFor(() => c.received().includes('"status"'), 3000)).toBe(true);
    await Bun.sleep(300);
    c.socket.write("GET /v1/models HTTP/1.1\r\nhost: x\r\n\r\n");
    expect(await waitFor(() => c.received().includes('"slow-model"'), 3000)).toBe(true);
    c.socket.end();
  });
});

describe("KEEPALIVE_TIMEOUT_S=1 with STREAM_IDLE_TIMEOUT_MS=1000", () => {
  let gw: TestGateway;
  let port: number;
  beforeAll(async () => {
    gw = await startTestGateway({ KEEPALIVE_TIMEOUT_S: "1", STREAM_IDLE_TIMEOUT_MS: "1000" }, [stall]);
    port = Number(new URL(gw.url).port);
  });
  afterAll(() => gw.close());
  const post = (path: string, body: string) => `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;

  test("a stream ended by the gateway (STREAM_IDLE_TIMEOUT_MS, a provider that heeds its abort or not), and a background stream replayed, close their idle connection too (a review)", async () => {
    const closesAfter = async (request: string, ended: (received: string) => boolean) => {
      const c = await rawConnection(port);
      c.socket.write(request);
      expect(await waitFor(() => ended(c.received()), 8000)).toBe(true);
      expect(await waitFor(() => c.closedAt() !== undefined, 8000)).toBe(true);
      return c.received();
    };
    const streamOf = (model: string) => post("/v1/chat/completions", JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], stream: true }));
    const [heeds, deaf] = await Promise.all(["heeds", "deaf"].map((model) => closesAfter(streamOf(model), (r) => r.endsWith("0\r\n\r\n"))));
    for (const received of [heeds!, deaf!]) expect(received).toContain("idle");
    // A streamed background response, then its events again.
    const created = await fetch(`${gw.url}/v1/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "quick", input: "hi", background: true, stream: true }) });
    const text = await created.text();
    const id = /"id":"(resp_[^"]+)"/.exec(text)![1]!;
    const replay = await closesAfter(`GET /v1/responses/${id}?stream=true HTTP/1.1\r\nhost: x\r\n\r\n`, (r) => r.includes("response.completed") && r.endsWith("0\r\n\r\n"));
    expect(replay).toContain("response.created");
  }, 30_000);
});

describe("KEEPALIVE_TIMEOUT_S=0", () => {
  test("never closes a connection after its answer (as before the setting)", async () => {
    const gw = await startTestGateway({ KEEPALIVE_TIMEOUT_S: "0" }, [slow]);
    try {
      const c = await rawConnection(Number(new URL(gw.url).port));
      c.socket.write("GET /health HTTP/1.1\r\nhost: x\r\n\r\n");
      expect(await waitFor(() => c.received().includes('"status"'), 3000)).toBe(true);
      expect(await waitFor(() => c.closedAt() !== undefined, 6000)).toBe(false);
      c.socket.end();
    } finally {
      await gw.close();
    }
  }, 12_000);
});
