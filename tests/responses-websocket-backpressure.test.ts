// Responses' WebSocket mode under backpressure: a client that stops reading while two lanes stream
// fills the socket's send buffer; once it reads again, both lanes must run to their end (each waits
// for the buffer to drain: a lane left waiting would hang, holding its response and the connection).
// A raw TCP client, so the reading can be paused (a WebSocket object reads all it is sent).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import net from "node:net";
import { definePlugin } from "../src/kit.ts";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";

const PIECES = 250;
/** A provider streaming PIECES deltas of 32 KiB each (~12.5 MiB a response). */
const big = definePlugin({
  name: "big",
  models: [{ id: "big-model" }],
  chat: () => Promise.reject(new Error("stream only")),
  async *chatStream(_request, ctx) {
    const piece = "x".repeat(32 * 1024);
    for (let i = 0; i < PIECES && !ctx.signal.aborted; i++) {
      yield { choices: [{ index: 0, delta: { content: piece } }] };
      await Bun.sleep(0);
    }
  },
});

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({}, [big]);
});
afterAll(() => gw.close());

/** A masked client text frame (RFC 6455 §5.2). */
function frame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const header = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 255]);
  return Buffer.concat([header, mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]);
}

test("two lanes streaming to a client that stopped reading both run to their end once it reads again", async () => {
  const url = new URL(gw.url);
  const socket = net.connect(Number(url.port), url.hostname);
  await new Promise((resolve) => socket.once("connect", resolve));
  let upgraded = false;
  const ended: Record<string, string> = {};
  const deltas: Record<string, number> = { a: 0, b: 0 };
  // What has come and is not read yet: joined only once a whole frame is there (the last events carry the whole text).
  let chunks: Buffer[] = [];
  let have = 0;
  let need = 0;
  socket.on("data", (data: Buffer) => {
    chunks.push(data);
    have += data.length;
    if (have < need) return;
    let buffer = Buffer.concat(chunks);
    const wait = (bytes: number) => {
      chunks = [buffer];
      have = buffer.length;
      need = bytes;
    };
    if (!upgraded) {
      const end = buffer.indexOf("\r\n\r\n");
      if (end < 0) return wait(0);
      upgraded = true;
      buffer = buffer.subarray(end + 4);
    }
    for (;;) {
      if (buffer.length < 10) return wait(0);
      let length = buffer[1]! & 127;
      let offset = 2;
      if (length === 126) {
        length = buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        length = Number(buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (buffer.length < offset + length) return wait(offset + length);
      const head = buffer.subarray(offset, offset + Math.min(length, 80)).toString();
      const tail = buffer.subarray(offset + Math.max(0, length - 40), offset + length).toString();
      buffer = buffer.subarray(offset + length);
      const lane = /"stream_id":"(\w)"\}$/.exec(tail)?.[1];
      if (lane === undefined) continue;
      const type = /^\{"type":"([^"]+)"/.exec(head)?.[1];
      if (type === "response.output_text.delta") deltas[lane]!++;
      if (type === "response.completed" || type === "response.incomplete" || type === "response.failed" || type === "error") ended[lane] = type;
    }
  });
  try {
    socket.write(
      `GET /v1/responses HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    for (let i = 0; i < 100 && !upgraded; i++) await Bun.sleep(10);
    expect(upgraded).toBe(true);
    socket.write(frame(JSON.stringify({ type: "response.create", model: "big-model", input: "a", stream_id: "a" })));
    socket.write(frame(JSON.stringify({ type: "response.create", model: "big-model", input: "b", stream_id: "b" })));
    for (let i = 0; i < 100 && deltas.a! + deltas.b! === 0; i++) await Bun.sleep(10);
    socket.pause();
    await Bun.sleep(1000);
    // Both lanes are held by the full buffer: neither can have ended.
    expect(ended).toEqual({});
    socket.resume();
    for (let i = 0; i < 1000 && Object.keys(ended).length < 2; i++) await Bun.sleep(10);
    expect(ended).toEqual({ a: "response.completed", b: "response.completed" });
    expect(deltas).toEqual({ a: PIECES, b: PIECES });
  } finally {
    socket.destroy();
  }
}, 20_000);

test("a client that reads nothing for STREAM_IDLE_TIMEOUT_MS while its buffer is full is closed (1008), not held with its responses", async () => {
  const own = await startTestGateway({ STREAM_IDLE_TIMEOUT_MS: "1000" }, [big]);
  const url = new URL(own.url);
  const socket = net.connect(Number(url.port), url.hostname);
  try {
    await new Promise((resolve) => socket.once("connect", resolve));
    let received = Buffer.alloc(0);
    let ended = false;
    socket.on("data", (data: Buffer) => (received = Buffer.concat([received, data])));
    socket.on("close", () => (ended = true));
    socket.write(
      `GET /v1/responses HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    for (let i = 0; i < 100 && !received.includes("\r\n\r\n"); i++) await Bun.sleep(10);
    socket.write(frame(JSON.stringify({ type: "response.create", model: "big-model", input: "a" })));
    for (let i = 0; i < 100 && received.length < 100_000; i++) await Bun.sleep(10);
    socket.pause();
    await Bun.sleep(2500); // past the 1 s the gateway waits for the client to read
    socket.resume();
    for (let i = 0; i < 500 && !ended; i++) await Bun.sleep(10);
    expect(ended).toBe(true);
    // Its last frame is a close frame (opcode 8) with 1008, not the response's end.
    const text = received.toString("latin1");
    expect(text).not.toContain('"response.completed"');
    const close = received.lastIndexOf(Buffer.from([0x88]));
    expect(close).toBeGreaterThan(0);
    expect(received.readUInt16BE(close + 2)).toBe(1008);
  } finally {
    socket.destroy();
    await own.close();
  }
}, 20_000);
