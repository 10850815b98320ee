// A client that stops reading a stream (its receive window full, the gateway's send buffer full)
// is taken for gone after STREAM_IDLE_TIMEOUT_MS without progress, on every streaming surface: the
// upstream call is aborted, the connection closed, the request counted 499 client_gone. It held the
// stream and its upstream connection for as long as it stayed connected (a security probe: 256 of
// them hung every other request to that upstream). A client that reads slowly is not cut.
import { afterAll, beforeAll, expect, test } from "bun:test";
import net from "node:net";
import OpenAI from "openai";
import openaiCompatible from "../plugins/openai-compatible/index.ts";
import { startFakeServer, type FakeServer } from "./helpers/fake-server.ts";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";

const IDLE_MS = 1000;
/**
 * Filling the buffers takes the gateway ~2 s here (about 4 MiB a stream, five at once), far longer
 * on a loaded machine: the bound says the stream ends, not how fast a machine relays.
 */
const FILL_MS = 15_000;
const PIECE = "x".repeat(16 * 1024);
/** How many pieces the finite model streams (~24 MiB: many times what the socket buffers hold). */
const LONG_PIECES = 1500;

/** Upstream calls by the marker in their prompt, and whether the gateway aborted each. */
const aborted = new Map<string, boolean>();
/** Upstream calls (by marker) that streamed to their end. */
const finished = new Set<string>();

/** An OpenAI upstream streaming `endless` without end, and `long` for LONG_PIECES pieces, as fast as it is read. */
function upstreamHandler(request: { method: string; path: string; body: unknown; signal: AbortSignal }): Response {
  if (request.method === "GET" && request.path === "/v1/models") {
    return Response.json({ object: "list", data: ["endless", "long"].map((id) => ({ id, object: "model", created: 0, owned_by: "test" })) });
  }
  const body = request.body as { model: string };
  const marker = /stall-[a-z-]+/.exec(JSON.stringify(body))?.[0] ?? "other";
  aborted.set(marker, false);
  request.signal.addEventListener("abort", () => aborted.set(marker, true), { once: true });
  const chunk = (delta: object, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", created: 0, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const encoder = new TextEncoder();
  let sent = 0;
  return new Response(
    new ReadableStream({
      pull(controller) {
        if (body.model === "long" && sent === LONG_PIECES) {
          controller.enqueue(encoder.encode(chunk({}, "stop") + "data: [DONE]\n\n"));
          finished.add(marker);
          return controller.close();
        }
        controller.enqueue(encoder.encode(chunk(sent === 0 ? { role: "assistant", content: PIECE } : { content: PIECE })));
        sent++;
      },
    }),
    { headers: { "content-type": "text/event-stream" } },
  );
}

let upstream: FakeServer;
let gw: TestGateway;
beforeAll(async () => {
  upstream = startFakeServer(upstreamHandler);
  gw = await startTestGateway(
    { LOG_LEVEL: "info", STREAM_IDLE_TIMEOUT_MS: String(IDLE_MS), OPENAI_BASE_URL: `${upstream.url}/v1`, OPENAI_API_KEY: "sk-test" },
    [openaiCompatible],
  );
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
});

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const until = performance.now() + ms;
  while (performance.now() < until && !check()) await Bun.sleep(20);
  return check();
}

/** Posts `body` to `path` on a raw TCP connection paused before the request is written: it reads nothing until resumed. */
async function postUnread(path: string, body: object): Promise<{ socket: net.Socket; isClosed: () => boolean }> {
  const url = new URL(gw.url);
  const socket = net.connect(Number(url.port), url.hostname);
  socket.pause();
  let closed = false;
  socket.on("close", () => (closed = true));
  socket.on("error", () => undefined);
  await new Promise((resolve) => socket.once("connect", resolve));
  const text = JSON.stringify(body);
  socket.write(`POST ${path} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
  return { socket, isClosed: () => closed };
}

/**
 * Sends a streamed request on a raw TCP connection that never reads (paused before the request is
 * written: its receive window fills, then the gateway's send buffer). Resolves with whether the
 * gateway closed the connection: once the upstream call is aborted and Bun's clock has had its turn
 * (it checks every 4 s), the socket is resumed; a connection the gateway closed then ends at once.
 */
async function stall(path: string, body: object, marker: string): Promise<{ abortedAfterMs: number; closed: boolean; request: string }> {
  const start = performance.now();
  const { socket, isClosed } = await postUnread(path, body);
  try {
    // The buffers fill (a few MiB); then STREAM_IDLE_TIMEOUT_MS without progress.
    expect(await waitFor(() => aborted.get(marker) === true, FILL_MS + IDLE_MS)).toBe(true);
    const abortedAfterMs = performance.now() - start;
    await Bun.sleep(5500); // the connection's clock, set to 1 s, and Bun's 4 s check
    socket.resume(); // reads what the socket still holds, then sees the close
    return { abortedAfterMs, closed: await waitFor(isClosed, 3000), request: marker };
  } finally {
    socket.destroy();
  }
}

test("a client that stops reading is cut off after STREAM_IDLE_TIMEOUT_MS on every streaming surface: upstream aborted, connection closed, 499 client_gone", async () => {
  const results = await Promise.all([
    stall("/v1/chat/completions", { model: "endless", stream: true, messages: [{ role: "user", content: "stall-chat" }] }, "stall-chat"),
    stall("/v1/responses", { model: "endless", stream: true, input: "stall-responses" }, "stall-responses"),
    stall("/v1/messages", { model: "endless", stream: true, max_tokens: 100, messages: [{ role: "user", content: "stall-messages" }] }, "stall-messages"),
    stall("/api/chat", { model: "endless", messages: [{ role: "user", content: "stall-ollama-chat" }] }, "stall-ollama-chat"),
    stall("/api/generate", { model: "endless", prompt: "stall-ollama-generate" }, "stall-ollama-generate"),
  ]);
  for (const r of results) {
    expect(r.abortedAfterMs).toBeLessThan(FILL_MS + IDLE_MS);
    expect(r).toMatchObject({ closed: true });
  }
  const lines = gw.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
  const requests = lines.filter((l) => l.msg === "request" && l.model === "endless");
  expect(requests).toHaveLength(5);
  for (const line of requests) expect(line).toMatchObject({ status: 499, error: "client_gone" });
  expect(lines.filter((l) => l.msg === "client stopped reading")).toHaveLength(5);
  expect(lines.some((l) => l.level === "error")).toBe(false);
}, 45_000);

test("a client that reads slowly, stalling in pieces shorter than STREAM_IDLE_TIMEOUT_MS and longer in all, gets the whole stream (openai SDK)", async () => {
  const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "unused", maxRetries: 0 });
  const stream = await client.chat.completions.create({ model: "long", stream: true, messages: [{ role: "user", content: "stall-slow" }] });
  let pieces = 0;
  let finish: string | null | undefined;
  let stalledMs = 0;
  for await (const chunk of stream) {
    if (chunk.choices[0]?.delta.content) pieces++;
    finish ??= chunk.choices[0]?.finish_reason;
    if (pieces % 150 === 0 && chunk.choices[0]?.delta.content) {
      const from = performance.now();
      await Bun.sleep(IDLE_MS * 0.4); // ~2.4 MiB a pause: the buffers stay full while it waits
      stalledMs += performance.now() - from;
    }
  }
  expect(pieces).toBe(LONG_PIECES);
  expect(finish).toBe("stop");
  expect(stalledMs).toBeGreaterThan(3 * IDLE_MS);
  expect(aborted.get("stall-slow")).toBe(false);
}, 30_000);

test("a background stream's client that stops reading is cut off too (its connection closed), while the run goes on to its end", async () => {
  const { socket, isClosed } = await postUnread("/v1/responses", { model: "long", stream: true, background: true, input: "stall-background" });
  try {
    // The run is not the client's: it streams its ~24 MiB to the end, recorded, while the replay fills the buffers.
    expect(await waitFor(() => finished.has("stall-background"), FILL_MS)).toBe(true);
    expect(aborted.get("stall-background")).toBe(false);
    await Bun.sleep(IDLE_MS + 5500); // STREAM_IDLE_TIMEOUT_MS without progress, then Bun's 4 s check
    socket.resume();
    expect(await waitFor(isClosed, 3000)).toBe(true);
  } finally {
    socket.destroy();
  }
}, 45_000);
