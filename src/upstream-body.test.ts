import { afterAll, describe, expect, test } from "bun:test";
import { boundedFetch, readUpstreamText } from "./upstream-body.ts";

/** A body that never ends (a broken upstream), counting what was pulled from it. */
function endless(pulled: { bytes: number }): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  return new ReadableStream({
    pull(controller) {
      pulled.bytes += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
}

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: { status?: number; message: string }) => error);

describe("readUpstreamText", () => {
  const bomb = Bun.gzipSync(new Uint8Array(8 * 1024 * 1024));
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: () => new Response(bomb, { headers: { "content-encoding": "gzip", "content-type": "application/json" } }),
  });
  afterAll(() => server.stop(true));

  test("an answer within the cap is its text, declared or not; a UTF-8 character split across reads is whole", async () => {
    expect(await readUpstreamText(new Response('{"a":"é"}'), 100)).toBe('{"a":"é"}');
    const bytes = new TextEncoder().encode('{"a":"é"}');
    const split = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.subarray(0, 7));
        controller.enqueue(bytes.subarray(7));
        controller.close();
      },
    });
    expect(await readUpstreamText(new Response(split), 100)).toBe('{"a":"é"}');
  });

  test("past the cap, a 502 naming it, and the read stops (a body that never ends is not read to its end)", async () => {
    const pulled = { bytes: 0 };
    const error = await failure(readUpstreamText(new Response(endless(pulled)), 1024 * 1024));
    expect(error).toMatchObject({ status: 502 });
    expect(error!.message).toContain("larger than the 1 MiB");
    expect(pulled.bytes).toBeLessThan(2 * 1024 * 1024);
    const declared = new Response("x".repeat(2000), { headers: { "content-length": "2000" } });
    expect(await failure(readUpstreamText(declared, 1000))).toMatchObject({ status: 502 });
  });

  test("a compressed answer is held to the cap as it inflates, whatever length it declares", async () => {
    const response = await fetch(server.url);
    expect(Number(response.headers.get("content-length"))).toBeLessThan(1024 * 1024);
    expect(await failure(readUpstreamText(response, 1024 * 1024))).toMatchObject({ status: 502 });
  });

  test("a chunked answer that also declares a small length (chunked wins) is held to the cap too (a review)", async () => {
    const liar = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(socket) {
          const chunk = "x".repeat(64 * 1024);
          let out = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 10\r\ntransfer-encoding: chunked\r\n\r\n";
          for (let i = 0; i < 48; i++) out += `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
          socket.write(`${out}0\r\n\r\n`);
        },
      },
    });
    try {
      const response = await fetch(`http://127.0.0.1:${liar.port}/`);
      expect(await failure(readUpstreamText(response, 1024 * 1024))).toMatchObject({ status: 502 });
    } finally {
      liar.stop(true);
    }
  });

  test("truncate: an error body's first bytes, the rest let go", async () => {
    const pulled = { bytes: 0 };
    const text = await readUpstreamText(new Response(endless(pulled)), 100_000, true);
    expect(text).toBe("a".repeat(100_000));
    expect(pulled.bytes).toBeLessThan(1024 * 1024);
    expect(await readUpstreamText(new Response("x".repeat(2000), { headers: { "content-length": "2000" } }), 1000, true)).toBe("x".repeat(1000));
  });
});

describe("boundedFetch (for client packages that read answers whole)", () => {
  const fetchOf = (response: Response) => boundedFetch((() => Promise.resolve(response)) as unknown as typeof fetch, 1024 * 1024);

  test("an answer that declares a length within the bound is passed as it came", async () => {
    const response = new Response('{"ok":true}', { headers: { "content-length": "11" } });
    expect(await fetchOf(response)("http://upstream/")).toBe(response);
  });

  test("one that declares more is refused before its body is read", async () => {
    const declared = new Response("x".repeat(2 * 1024 * 1024), { headers: { "content-length": String(2 * 1024 * 1024) } });
    expect(await failure(fetchOf(declared)("http://upstream/"))).toMatchObject({ status: 502, message: "The upstream's answer is larger than the 1 MiB the gateway reads." });
  });

  test("one that declares none is counted as it is read: past the bound the read fails with the 502 and the body is let go", async () => {
    const pulled = { bytes: 0 };
    const response = await fetchOf(new Response(endless(pulled)))("http://upstream/");
    expect(response.status).toBe(200);
    expect(await failure(response.json())).toMatchObject({ status: 502, message: "The upstream's answer is larger than the 1 MiB the gateway reads." });
    expect(pulled.bytes).toBeLessThan(2 * 1024 * 1024);
    // Within the bound, the same answer reads whole.
    expect(await (await fetchOf(new Response(new Blob(['{"a":1}']).stream()))("http://upstream/")).json()).toEqual({ a: 1 });
  });
});
