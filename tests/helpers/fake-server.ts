/**
 * A fake upstream on loopback for provider tests: a Bun.serve on a free port that records every
 * request (method, path, query, headers, parsed JSON body) before handing it to the test's handler.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  search: string;
  headers: Record<string, string>;
  body: unknown;
  /** Aborted when the gateway dropped the request (client abort reaching the upstream). */
  signal: AbortSignal;
}

export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  /** Swap the behaviour mid-test (e.g. upstream down, then up). */
  handle(handler: (request: RecordedRequest, raw: Request) => Response | Promise<Response>): void;
  close(): Promise<void>;
}

export function startFakeServer(handler: (request: RecordedRequest, raw: Request) => Response | Promise<Response>): FakeServer {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(raw) {
      const url = new URL(raw.url);
      const text = raw.method === "GET" || raw.method === "HEAD" ? "" : await raw.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // Not JSON: keep the text.
      }
      const recorded: RecordedRequest = {
        method: raw.method,
        path: url.pathname,
        search: url.search,
        headers: Object.fromEntries(raw.headers),
        body,
        signal: raw.signal,
      };
      requests.push(recorded);
      return current(recorded, raw);
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    handle(next) {
      current = next;
    },
    close: () => server.stop(true),
  };
}

/** A streamed body whose pieces are written with an optional pause between them. */
export function streamBody(pieces: readonly string[], delayMs = 0): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let i = 0;
  return new ReadableStream({
    async pull(controller) {
      if (i >= pieces.length) return controller.close();
      if (delayMs > 0 && i > 0) await Bun.sleep(delayMs);
      controller.enqueue(encoder.encode(pieces[i++]!));
    },
  });
}

export const ndjson = (objects: readonly unknown[]) => objects.map((o) => `${JSON.stringify(o)}\n`);
export const sseEvents = (objects: readonly unknown[], done = true) => [
  ...objects.map((o) => `data: ${JSON.stringify(o)}\n\n`),
  ...(done ? ["data: [DONE]\n\n"] : []),
];
