/**
 * A fake Ollama for the ollama plugin's tests: route tables for tests/helpers/fake-server.ts, bodies
 * in Ollama's documented wire format (docs/api.md), and the fixtures in plugins/ollama/__fixtures__.
 */
import { readFileSync } from "node:fs";
import { ndjson, streamBody, type RecordedRequest } from "../helpers/fake-server.ts";

const FIXTURES = new URL("../../plugins/ollama/__fixtures__/", import.meta.url);

/** A JSON fixture, parsed fresh each time (tests may change it). */
export function fixture<T extends object = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8")) as T;
}

/** An NDJSON fixture as its objects. */
export function fixtureLines(name: string): Record<string, unknown>[] {
  return readFileSync(new URL(name, FIXTURES), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export type Handler = (request: RecordedRequest, raw: Request) => Response | Promise<Response>;

/** Ollama answers JSON with this content type (gin). */
export const json = (value: unknown, status = 200) =>
  new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json; charset=utf-8" } });

/** Ollama's error body: `{"error": "..."}`. */
export const ollamaError = (status: number, message: string) => json({ error: message }, status);

/** A streamed answer: one JSON object per line. */
export const ndjsonResponse = (lines: readonly unknown[], delayMs = 0) =>
  new Response(streamBody(ndjson(lines), delayMs), { headers: { "content-type": "application/x-ndjson" } });

/** Sends `lines`, then stays open without a word until the reader goes away. */
export function heldResponse(lines: readonly unknown[]): Response {
  const encoder = new TextEncoder();
  let release = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const line of ndjson(lines)) controller.enqueue(encoder.encode(line));
    },
    pull: () => new Promise<void>((resolve) => (release = resolve)),
    cancel: () => release(),
  });
  return new Response(body, { headers: { "content-type": "application/x-ndjson" } });
}

/** Dispatches on `METHOD /path`; anything else gets gin's plain-text 404, as Ollama does. */
export function ollamaRoutes(routes: Record<string, Handler>): Handler {
  return (request, raw) => {
    const route = routes[`${request.method} ${request.path}`];
    return route ? route(request, raw) : new Response("404 page not found", { status: 404, headers: { "content-type": "text/plain" } });
  };
}

/** One streamed `/api/chat` line in the documented shape. */
export const chatLine = (message: { content?: string; thinking?: string; tool_calls?: unknown[] }, model = "llama3.2") => ({
  model,
  created_at: "2023-08-04T08:52:19.385406455-07:00",
  message: { role: "assistant", content: "", ...message },
  done: false,
});

/** The final streamed line: counts and `done_reason`. */
export const doneLine = (extra: Record<string, unknown> = {}, model = "llama3.2") => ({
  model,
  created_at: "2023-08-04T19:22:45.499127Z",
  message: { role: "assistant", content: "" },
  done_reason: "stop",
  done: true,
  total_duration: 4883583458,
  load_duration: 1334875,
  prompt_eval_count: 26,
  prompt_eval_duration: 342546000,
  eval_count: 282,
  eval_duration: 4535599000,
  ...extra,
});

/** Resolves when `signal` aborts; rejects after `ms` so a missing abort fails the test clearly. */
export function aborted(signal: AbortSignal, ms = 3000): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the upstream request was not aborted within ${ms} ms`)), ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/** A loopback port with nothing listening: a stopped Ollama. */
export function closedPort(): number {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = server.port!;
  server.stop(true);
  return port;
}

/**
 * An "Ollama" that answers every request with a 200 NDJSON stream, sends `lines`, then drops the
 * connection without ending the chunked body: a crash in the middle of a stream.
 */
export function startDroppingServer(lines: readonly unknown[]): { url: string; close(): void } {
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket) {
        const body = ndjson(lines).join("");
        socket.write(
          "HTTP/1.1 200 OK\r\ncontent-type: application/x-ndjson\r\ntransfer-encoding: chunked\r\n\r\n" +
            `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n`,
        );
        setTimeout(() => socket.end(), 50);
      },
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, close: () => server.stop(true) };
}
