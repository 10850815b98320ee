import { startFakeServer, streamBody, type RecordedRequest } from "../../../tests/helpers/fake-server.ts";
import apiKeyInvalid from "./error-api-key-invalid.json";
import modelNotFound from "./error-model-not-found.json";
import generateText from "./generate-text.json";
import page1 from "./list-models.page1.json";
import page2 from "./list-models.page2.json";
import streamText from "./stream-text.events.json";

/**
 * A fake Gemini API (v1beta REST) on loopback for the end-to-end tests, following the documented
 * JSON and SSE formats: `GET /v1beta/models` (two pages), `POST /v1beta/models/{model}:generateContent`,
 * `:streamGenerateContent?alt=sse`, `:embedContent`, `:batchEmbedContents`. Like Google it checks
 * `x-goog-api-key` and answers 400 API_KEY_INVALID for a wrong key (its debug detail repeating the
 * key), and 404 for `gemini-9.9-ultra`.
 * `answer()` overrides one test's replies; every request is recorded. Also serves `/cat.png` (no
 * key) for image-URL tests.
 */
export interface FakeGemini {
  url: string;
  requests: RecordedRequest[];
  /** Requests whose path ends with `suffix`, e.g. `gemini-2.5-flash:generateContent`. */
  calls(suffix: string): RecordedRequest[];
  /** Replies first; `undefined` falls through to the default routes. Cleared by `reset()`. */
  answer(handler: (request: RecordedRequest) => Response | Promise<Response> | undefined): void;
  reset(): void;
  close(): Promise<void>;
}

export const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");
export const UNKNOWN_MODEL = "gemini-9.9-ultra";

export const json = (body: unknown, status = 200) => Response.json(body, { status });

/** Gemini's SSE framing: `data: <json>` events separated by CRLF CRLF. */
export const sse = (events: readonly unknown[], delayMs = 0) =>
  new Response(streamBody(events.map((event) => `data: ${JSON.stringify(event)}\r\n\r\n`), delayMs), {
    headers: { "content-type": "text/event-stream" },
  });

export function startFakeGemini(apiKey: string): FakeGemini {
  let override: ((request: RecordedRequest) => Response | Promise<Response> | undefined) | undefined;
  const server = startFakeServer(async (request) => {
    if (request.path === "/cat.png") return new Response(PNG, { headers: { "content-type": "image/png" } });
    if (request.path === "/page.html") return new Response("<html></html>", { headers: { "content-type": "text/html" } });
    if (request.headers["x-goog-api-key"] !== apiKey) return json(keyRefusal(request.headers["x-goog-api-key"]), 400);
    const replied = await override?.(request);
    return replied ?? defaultRoute(request);
  });
  return {
    url: server.url,
    requests: server.requests,
    calls: (suffix) => server.requests.filter((r) => r.path.endsWith(suffix)),
    answer(handler) {
      override = handler;
    },
    reset() {
      override = undefined;
      server.requests.length = 0;
    },
    close: () => server.close(),
  };
}

/** Google's answer to a wrong key; its DebugInfo detail repeats the key, which must never reach a client. */
function keyRefusal(presented: string | undefined) {
  const body = structuredClone(apiKeyInvalid) as { error: { details: unknown[] } };
  body.error.details.push({ "@type": "type.googleapis.com/google.rpc.DebugInfo", detail: `Invalid API key: ${presented}` });
  return body;
}

function defaultRoute(request: RecordedRequest): Response {
  if (request.method === "GET" && request.path === "/v1beta/models") {
    return json(new URLSearchParams(request.search).get("pageToken") === page1.nextPageToken ? page2 : page1);
  }
  const match = /^\/v1beta\/models\/([^/:]+):(\w+)$/.exec(request.path);
  if (request.method !== "POST" || !match) return json({ error: { code: 404, message: `No route ${request.path}`, status: "NOT_FOUND" } }, 404);
  const [, model, method] = match;
  if (model === UNKNOWN_MODEL) return json(modelNotFound, 404);
  const body = request.body as { requests?: { content: { parts: { text: string }[] } }[]; content?: { parts: { text: string }[] } };
  switch (method) {
    case "generateContent":
      return json(generateText);
    case "streamGenerateContent":
      return sse(streamText);
    // A vector that says which input it came from: [text length, position].
    case "batchEmbedContents":
      return json({ embeddings: (body.requests ?? []).map((r, i) => ({ values: [r.content.parts[0]!.text.length, i] })) });
    case "embedContent":
      return json({ embedding: { values: [body.content?.parts[0]?.text.length ?? 0, 0] } });
    default:
      return json({ error: { code: 400, message: `Unknown method ${method}`, status: "INVALID_ARGUMENT" } }, 400);
  }
}
