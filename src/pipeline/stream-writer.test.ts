// The stream writer against a tiny test encoder: what it writes, when it stops the provider, and how
// it ends. Streams are read through a real Bun server so the direct stream, backpressure and client
// aborts are Bun's own.
import { afterEach, describe, expect, test } from "bun:test";
import { ConnectionClock } from "../http/connection-clock.ts";
import { createLogger } from "../logger.ts";
import type { ChunkResult } from "../plugin.ts";
import { RequestScope } from "../request-scope.ts";
import type { StreamEncoder } from "./encoder.ts";
import { streamResponse, type ChunkBatch, type StreamEnd } from "./stream-writer.ts";

/** `[start]`, one `<text>` per chunk, `[end]` or `[error:<code>]`. */
const testEncoder: StreamEncoder = {
  headers: { "content-type": "text/plain" },
  start: () => "[start]",
  chunk: (chunk: ChunkResult) => `<${chunk.choices[0]?.delta.content ?? ""}>`,
  end: () => "[end]",
  error: (mapped) => `[error:${mapped.body.error.code}]`,
};

const chunk = (content: string): ChunkResult => ({ choices: [{ index: 0, delta: { content } }] });
const logger = createLogger({ level: "error", write: () => undefined });

interface Provider {
  iterator: AsyncIterator<ChunkBatch>;
  /** Chunks the writer pulled, and whether `return()` (the provider being stopped) was called. */
  pulled: number;
  returned: boolean;
}

/** A provider stream from a generator function, recording pulls and its stop. */
function provider(source: () => AsyncGenerator<ChunkBatch>): Provider {
  const generator = source();
  const p: Provider = {
    pulled: 0,
    returned: false,
    iterator: {
      next: () => {
        p.pulled++;
        return generator.next();
      },
      return: (value?: unknown) => {
        p.returned = true;
        return generator.return(value as never);
      },
    },
  };
  return p;
}

let servers: ReturnType<typeof Bun.serve>[] = [];
afterEach(() => {
  for (const s of servers) s.stop(true);
  servers = [];
});

/** Serves one streamed response built by `streamResponse` and returns its URL and how it ended. */
async function serve(p: Provider, idleTimeoutMs = 10_000, life?: AbortSignal, onScope?: (scope: RequestScope) => void, encoder: StreamEncoder = testEncoder) {
  let resolveEnd!: (end: StreamEnd) => void;
  const ended = new Promise<StreamEnd>((resolve) => (resolveEnd = resolve));
  const seen: string[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(request, server) {
      const scope = new RequestScope(request, life);
      new ConnectionClock(0).answeringStream(request, server); // as the app does: a stalled client's connection can be closed
      onScope?.(scope);
      const first = await p.iterator.next();
      return streamResponse(first, p.iterator, {
        encoder,
        scope,
        idleTimeoutMs,
        logger,
        redact: (text) => text,
        headers: { "x-test": "1" },
        onChunk: (c) => void seen.push(c.choices[0]?.delta.content ?? ""),
        onEnd: resolveEnd,
      });
    },
  });
  servers.push(server);
  return { url: `http://127.0.0.1:${server.port}/`, ended, seen };
}

describe("streamResponse", () => {
  test("writes start, every chunk (batches too) and end, with the encoder's and the caller's headers", async () => {
    const p = provider(async function* () {
      yield chunk("a");
      yield [chunk("b"), chunk("c")];
      yield chunk("d");
    });
    const { url, ended, seen } = await serve(p);
    const response = await fetch(url);
    expect(response.headers.get("content-type")).toBe("text/plain");
    expect(response.headers.get("x-test")).toBe("1");
    expect(await response.text()).toBe("[start]<a><b><c><d>[end]");
    expect((await ended).kind).toBe("ok");
    expect(seen).toEqual(["a", "b", "c", "d"]);
  });

  test("error after the start: the encoder's error event ends the stream", async () => {
    const p = provider(async function* () {
      yield chunk("a");
      throw Object.assign(new Error("upstream broke"), { status: 502, type: "api_error", code: "upstream_error", param: null });
    });
    const { url, ended } = await serve(p);
    expect(await (await fetch(url)).text()).toBe("[start]<a>[error:upstream_error]");
    const end = await ended;
    expect(end.kind).toBe("error");
    expect(end.error?.status).toBe(502);
  });

  test("an encoder that finishes asynchronously: its end is written once it resolves; if it rejects, the stream fails with that error (the outcome too)", async () => {
    const source = () =>
      provider(async function* () {
        yield chunk("a");
      });
    const later = { ...testEncoder, end: async () => (await Bun.sleep(5), "[end later]") };
    const ok = await serve(source(), 10_000, undefined, undefined, later);
    expect(await (await fetch(ok.url)).text()).toBe("[start]<a>[end later]");
    expect((await ok.ended).kind).toBe("ok");

    const refused = { ...testEncoder, end: () => Promise.reject(Object.assign(new Error("gone"), { status: 404, type: "invalid_request_error", code: "gone", param: null })) };
    const failed = await serve(source(), 10_000, undefined, undefined, refused);
    expect(await (await fetch(failed.url)).text()).toBe("[start]<a>[error:gone]");
    const end = await failed.ended;
    expect(end.kind).toBe("error");
    expect(end.error?.status).toBe(404);
  });

  test("idle time-out: a silent provider is stopped and the client gets the time-out event", async () => {
    const p = provider(async function* () {
      yield chunk("a");
      await new Promise(() => undefined); // never answers again, ignoring any signal
    });
    const { url, ended } = await serve(p, 50);
    expect(await (await fetch(url)).text()).toBe("[start]<a>[error:upstream_timeout]");
    expect((await ended).error?.body.error.code).toBe("upstream_timeout");
  });

  test("a stream that ends while it waits on the provider (its failure, an idle time-out) counts that wait as the provider's, not overhead", async () => {
    const broken = provider(async function* () {
      yield chunk("a");
      await Bun.sleep(80);
      throw Object.assign(new Error("upstream broke"), { status: 502, type: "api_error", code: "upstream_error", param: null });
    });
    const failed = await serve(broken);
    await (await fetch(failed.url)).text();
    expect((await failed.ended).upstreamMs).toBeGreaterThanOrEqual(70);
    const silent = provider(async function* () {
      yield chunk("a");
      await new Promise(() => undefined);
    });
    const idle = await serve(silent, 80);
    await (await fetch(idle.url)).text();
    expect((await idle.ended).upstreamMs).toBeGreaterThanOrEqual(70);
  });

  test("abort before the first read: a body never pulled still stops the provider and ends as client_gone", async () => {
    const p = provider(async function* () {
      yield chunk("a");
      yield chunk("b");
    });
    const client = new AbortController();
    const scope = new RequestScope(new Request("http://localhost/", { signal: client.signal }));
    let end: StreamEnd | undefined;
    const response = streamResponse(await p.iterator.next(), p.iterator, {
      encoder: testEncoder,
      scope,
      idleTimeoutMs: 10_000,
      logger,
      redact: (text) => text,
      headers: {},
      onChunk: () => undefined,
      onEnd: (e) => (end = e),
    });
    expect(response.status).toBe(200);
    client.abort(); // the client leaves; nobody ever reads `response.body`
    for (let i = 0; i < 50 && !end; i++) await Bun.sleep(10); // the scope notices within one tick
    expect(end?.kind).toBe("client_gone");
    expect(p.returned).toBe(true);
    expect(p.pulled).toBe(1);
  });

  test("backpressure: a client that stops reading stops the pulls from the provider", async () => {
    const big = "x".repeat(64 * 1024);
    let produced = 0;
    const p = provider(async function* () {
      for (let i = 0; i < 2_000; i++) {
        produced++;
        yield chunk(big);
      }
    });
    const { url, ended } = await serve(p);
    const response = await fetch(url);
    const reader = response.body!.getReader();
    await reader.read(); // read a little, then stall
    await Bun.sleep(300);
    // 2,000 × 64 KiB = 125 MiB if nothing held the writer back; socket buffers hold a few MiB.
    expect(produced).toBeLessThan(500);
    await reader.cancel();
    const end = await ended;
    expect(end.kind).toBe("client_gone");
    // The request ends when the client leaves; the provider is stopped once the pending write lets go.
    for (let i = 0; i < 100 && !p.returned; i++) await Bun.sleep(10);
    expect(p.returned).toBe(true);
  });

  test("a slow client is neither an idle upstream nor a stalled client: stalls shorter than the idle time-out, many in all, end nothing", async () => {
    const big = "x".repeat(64 * 1024);
    const p = provider(async function* () {
      for (let i = 0; i < 800; i++) yield chunk(big);
    });
    const idleMs = 800;
    const { url, ended } = await serve(p, idleMs);
    const response = await fetch(url);
    const reader = response.body!.getReader();
    let bytes = 0;
    let stalledMs = 0;
    for (;;) {
      // Stall a quarter of the time-out, then read a burst (more than the client's fetch buffers
      // itself, so the server's socket drains): the send buffer stays full while it stalls.
      const stallStart = performance.now();
      await Bun.sleep(idleMs / 4);
      stalledMs += performance.now() - stallStart;
      let burst = 0;
      let done = false;
      while (burst < 4 * 1024 * 1024) {
        const read = await reader.read();
        if ((done = read.done)) break;
        burst += read.value.length;
      }
      bytes += burst;
      if (done) break;
    }
    const end = await ended;
    expect(end.kind).toBe("ok");
    expect(bytes).toBeGreaterThan(800 * 64 * 1024);
    expect(stalledMs).toBeGreaterThan(2 * idleMs); // stalled longer than the time-out in all, with the upstream ready all along
  }, 15_000);

  test("a client that takes no byte for the idle time-out while its send buffer is full is gone: the provider is stopped, the end is client_gone, the connection closes", async () => {
    const big = "x".repeat(64 * 1024);
    let scope: RequestScope | undefined;
    const p = provider(async function* () {
      for (;;) yield chunk(big); // without end: only the client's stall can stop it
    });
    const { url, ended } = await serve(p, 300, undefined, (s) => (scope = s));
    const response = await fetch(url);
    const reader = response.body!.getReader();
    await reader.read(); // read a little, then never again
    const stalledAt = performance.now();
    const end = await Promise.race([ended, Bun.sleep(5000).then(() => undefined)]);
    expect(end?.kind).toBe("client_gone");
    expect(scope!.isClientGone).toBe(true); // what aborts the provider's upstream call
    // The end counts from when the buffer filled (a few MiB on loopback, within a second): the time-out, not a multiple.
    expect(performance.now() - stalledAt).toBeLessThan(300 + 1500);
    // Its connection is closed at Bun's next check (every 4 s): the write waiting lets go and the provider is stopped.
    for (let i = 0; i < 700 && !p.returned; i++) await Bun.sleep(10);
    expect(p.returned).toBe(true);
    const rest = await (async () => {
      try {
        while (!(await reader.read()).done);
        return "ended";
      } catch {
        return "closed";
      }
    })();
    expect(["ended", "closed"]).toContain(rest);
  }, 15_000);

  test("a call stopped by its own life (a background response's cancel) ends with the error event, even when the provider then ends quietly", async () => {
    const life = new AbortController();
    let scope: RequestScope | undefined;
    const p = provider(async function* () {
      for (let i = 0; !scope?.signal.aborted; i++) {
        yield chunk(String(i));
        await Bun.sleep(5);
      }
    });
    const { url, ended } = await serve(p, 10_000, life.signal, (s) => (scope = s));
    const response = await fetch(url);
    const cancel = Object.assign(new Error("The response was cancelled."), { status: 499, type: "invalid_request_error", code: "response_cancelled", param: null });
    setTimeout(() => life.abort(cancel), 60);
    const text = await response.text();
    expect(text).toStartWith("[start]<0><1>");
    expect(text).toEndWith(">[error:response_cancelled]");
    const end = await ended;
    expect(end.kind).toBe("error");
    expect(scope!.signal.reason).toBe(cancel);
  });

  test("a client that leaves while a provider that ignores its signal is silent ends the request at once (client_gone)", async () => {
    const p = provider(async function* () {
      yield chunk("a");
      await new Promise(() => undefined); // never answers again, ignoring any signal
    });
    const { url, ended } = await serve(p, 10_000);
    const controller = new AbortController();
    const response = await fetch(url, { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    await Bun.sleep(50); // past the scope's first tick
    controller.abort();
    const end = await Promise.race([ended, Bun.sleep(2000).then(() => undefined)]);
    expect(end?.kind).toBe("client_gone"); // not only after the 10 s idle time-out
  });
});
