// A body over MAX_BODY_BYTES sent by a client that writes it all before reading (Node's fetch,
// Python's http.client, curl without `Expect`): the gateway reads and drops the rest (up to four
// times the limit) before its 413, so the client gets the 413. Closed at once, the connection was
// reset under the client's writes, which reported a broken pipe and never the 413 (a probe: curl
// 9 times in 10). The gateway runs as its own process: in one with the client, the two take turns.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { connect } from "node:net";
import { join } from "node:path";
import { freePort, minimalEnv } from "./helpers/process.ts";

const MAIN = join(import.meta.dir, "..", "src", "main.ts");
let proc: Bun.Subprocess;
let port: number;

beforeAll(async () => {
  port = freePort();
  proc = Bun.spawn([process.execPath, MAIN], { env: minimalEnv({ PORT: String(port), HOST: "127.0.0.1", MAX_BODY_BYTES: String(1024 * 1024), LOG_LEVEL: "warn" }), stdout: "ignore", stderr: "ignore" });
  for (let i = 0; i < 200; i++) {
    if (await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false)) return;
    await Bun.sleep(50);
  }
  throw new Error("the gateway did not start");
});
afterAll(() => proc?.kill());

/** Sends the whole request in 64 KiB writes, reading nothing until then; the answer's first line and any socket error. */
function sendAllThenRead(head: string, body: Buffer, tail = ""): Promise<{ status: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    let error: string | undefined;
    socket.pause();
    socket.on("data", (data) => void (text += data.toString("latin1")));
    socket.on("error", (e: NodeJS.ErrnoException) => void (error = e.code ?? e.message));
    socket.on("close", () => resolve({ status: text.split("\r\n", 1)[0]!, error }));
    const sent = (data: string | Buffer) => new Promise<void>((done) => (socket.write(data) ? done() : socket.once("drain", done)));
    void (async () => {
      await sent(head);
      for (let at = 0; at < body.length && error === undefined; at += 64 * 1024) await sent(body.subarray(at, at + 64 * 1024));
      if (tail !== "" && error === undefined) await sent(tail);
      socket.resume();
    })();
  });
}

const body = Buffer.alloc(3 * 1024 * 1024, 0x20);
const head = "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n";

test("a declared body of three times the limit: the 413 reaches the client, no reset", async () => {
  for (let i = 0; i < 3; i++) {
    expect(await sendAllThenRead(`${head}content-length: ${body.length}\r\n\r\n`, body)).toEqual({ status: "HTTP/1.1 413 Payload Too Large", error: undefined });
  }
});

test("a chunked one too", async () => {
  for (let i = 0; i < 3; i++) {
    expect(await sendAllThenRead(`${head}transfer-encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n`, body, "\r\n0\r\n\r\n")).toEqual({ status: "HTTP/1.1 413 Payload Too Large", error: undefined });
  }
});

test("at most 16 refused bodies are read and dropped at once: past them, a 413 closes its connection at once (a client cannot hold many drains; a review)", async () => {
  // Slow senders: the head and a few bytes of a body declared over the limit, then nothing.
  const open = (answers: string[], i: number) => {
    const socket = connect(port, "127.0.0.1");
    socket.on("data", (data) => void (answers[i] = (answers[i] ?? "") + data.toString("latin1")));
    socket.on("error", () => undefined);
    socket.write(`${head}content-length: ${2 * 1024 * 1024}\r\n\r\n    `);
    return socket;
  };
  const answers: string[] = [];
  const held = Array.from({ length: 16 }, (_, i) => open(answers, i));
  try {
    await Bun.sleep(300); // all sixteen are being drained (each waits for the rest of its body)
    const late = open(answers, 16);
    for (let i = 0; i < 100 && answers[16] === undefined; i++) await Bun.sleep(50);
    expect(answers[16]?.split("\r\n", 1)[0]).toBe("HTTP/1.1 413 Payload Too Large");
    // The sixteen are still waiting for their bodies: none has its answer yet.
    expect(answers.slice(0, 16).filter((a) => a !== undefined)).toEqual([]);
    late.destroy();
  } finally {
    for (const socket of held) socket.destroy();
  }
});
