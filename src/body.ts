import { ClientGoneError } from "./request-scope.ts";
import { InvalidRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from "./errors.ts";

/**
 * The 413. The answer closes the connection (RFC 9112 §9.6): Bun would otherwise keep it open for
 * bytes nobody reads, and a graceful shutdown waits for it.
 */
function tooLarge(limit: number): PayloadTooLargeError {
  const error = new PayloadTooLargeError(`Request body too large: the limit is ${limit} bytes (MAX_BODY_BYTES).`);
  return Object.assign(error, { responseHeaders: { connection: "close" } });
}

/** How much of a refused body is read and dropped before its 413 (times MAX_BODY_BYTES), and for how long at most. */
const DRAIN_FACTOR = 4;
const DRAIN_MS = 10_000;
/** Refused bodies read and dropped at once, at most: past it a 413 closes the connection at once (a client cannot hold many). */
const MAX_DRAINING = 16;
let draining = 0;

/**
 * The 413, once the rest of the body is read and dropped (a "lingering close", as nginx does): a
 * connection closed while its client still sends is reset, and most clients (Node's fetch, Python's
 * http.client, curl without `Expect`) then report a broken pipe, never the 413. Only a body of up to
 * DRAIN_FACTOR × the limit, read within DRAIN_MS, and MAX_DRAINING of them at once: past any, the
 * connection is closed at once.
 */
async function drainedTooLarge(request: Request, limit: number, read = 0, reader?: ReadableStreamDefaultReader<Uint8Array>): Promise<PayloadTooLargeError> {
  const error = tooLarge(limit);
  const bound = limit * DRAIN_FACTOR;
  if (read > bound || request.signal.aborted || draining >= MAX_DRAINING) return error;
  const body = reader ?? request.body?.getReader();
  if (body === undefined) return error;
  draining++;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => (timer = setTimeout(resolve, DRAIN_MS, "late")));
  try {
    for (let size = read; ; ) {
      const next = await Promise.race([body.read(), late]);
      if (next === "late" || next.done) break;
      size += next.value.byteLength;
      if (size > bound) break;
    }
  } catch {
    // The client left: there is no one to answer.
  } finally {
    draining--;
    clearTimeout(timer);
    void body.cancel().catch(() => undefined);
  }
  return error;
}

/**
 * Deepest nesting of arrays and objects a request body may have. Deeper JSON is refused before
 * anything walks or serialises it: echoing it back (a Response's `tools`, a stored input) or
 * sending it upstream would overflow the stack (`JSON.stringify` gives up at ~40,000 levels here).
 */
export const MAX_JSON_DEPTH = 1000;

/**
 * Whose rule for the content type: `json` (OpenAI's and Anthropic's APIs: a JSON type, else a 400),
 * or `any` (Ollama's API: Ollama reads the body as JSON whatever the header says, and its own
 * examples send `curl -d` bodies, typed `application/x-www-form-urlencoded`).
 */
export type ContentTypeRule = "json" | "any";

/** No coding: `identity`, or an empty header value (in any case, with spaces). */
const IDENTITY = /^\s*(?:identity)?\s*$/i;

/**
 * Reads a JSON request body with the size limit applied before and while reading, so a huge or
 * endless body never sits in memory. Errors are 400 (not JSON, wrong content type, nested deeper
 * than MAX_JSON_DEPTH) or 413.
 */
export async function readJsonBody(request: Request, limit: number, rule: ContentTypeRule = "json"): Promise<unknown> {
  const type = rule === "json" ? request.headers.get("content-type") : "application/json";
  if (!type || !/^application\/(?:[\w.+-]*\+)?json\b/i.test(type)) {
    throw new InvalidRequestError(
      `Invalid Content-Type header (${type ? JSON.stringify(type) : "none"}): send the body as application/json.`,
      { param: null },
    );
  }
  // A compressed body would be read as JSON and fail as malformed (gzip), or worse be read as if
  // plain (a coding no one decodes): HTTP's answer is 415, naming what is taken. The body stays
  // unread, so the connection closes.
  const coding = request.headers.get("content-encoding");
  if (coding !== null && !IDENTITY.test(coding)) {
    const error = new UnsupportedMediaTypeError(`Content-Encoding ${JSON.stringify(coding)} is not supported: send the request body uncompressed.`);
    throw Object.assign(error, { responseHeaders: { "accept-encoding": "identity", connection: "close" } });
  }
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    const size = Number(declared);
    if (size > limit) throw await drainedTooLarge(request, limit, size > limit * DRAIN_FACTOR ? size : 0);
    if (size === 0) throw emptyBody();
    // Parsed natively from the bytes (no intermediate string): the common case.
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      throw goneOr(request, notJson());
    }
    return checkedDepth(body, size);
  }
  const text = await readCapped(request, limit);
  if (text.length === 0) throw emptyBody();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw notJson();
  }
  return checkedDepth(body, text.length);
}

/**
 * The body, unless it nests deeper than MAX_JSON_DEPTH. Each level takes two characters at least,
 * so a body of up to 2 × MAX_JSON_DEPTH characters is never walked (the benchmark's bodies, and
 * most requests without a long history); a longer one is walked once, without recursion
 * (~4 µs for a 60 KB chat history, against ~25 µs to parse it).
 */
function checkedDepth(body: unknown, length: number): unknown {
  if (length <= 2 * MAX_JSON_DEPTH || !nestsDeeperThan(body, MAX_JSON_DEPTH)) return body;
  throw new InvalidRequestError(`The request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep.`, { param: null });
}

/**
 * Whether JSON a plugin or surface parsed out of a string (a tool call's arguments, a tool result)
 * nests deeper than a request body may: the body's own check cannot see inside its strings, and
 * serialising such a value again overflows the stack.
 */
export const nestsTooDeep = (value: unknown): boolean => nestsDeeperThan(value, MAX_JSON_DEPTH);

/** Whether `value` has arrays or objects more than `limit` levels deep (the outermost is level 1). */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== "object") return false;
  const pending: object[] = [value];
  const levels: number[] = [1];
  while (pending.length > 0) {
    const node = pending.pop()!;
    const level = levels.pop()!;
    if (level > limit) return true;
    if (Array.isArray(node)) {
      for (const child of node) {
        if (child !== null && typeof child === "object") {
          pending.push(child);
          levels.push(level + 1);
        }
      }
    } else {
      for (const key in node) {
        const child = (node as Record<string, unknown>)[key];
        if (child !== null && typeof child === "object") {
          pending.push(child);
          levels.push(level + 1);
        }
      }
    }
  }
  return false;
}

const emptyBody = () => new InvalidRequestError("The request body is empty: send a JSON object.");
const notJson = () =>
  new InvalidRequestError(
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)",
  );

/**
 * A client that closed its connection before its body was all sent left (nginx's 499, counted as
 * one), rather than sending malformed JSON (400). `request.signal` is read only here, on a failure:
 * reading it costs Bun ~15 µs a request (request-scope.ts).
 */
const goneOr = (request: Request, error: Error): Error => (request.signal.aborted ? new ClientGoneError() : error);

async function readCapped(request: Request, limit: number): Promise<string> {
  if (!request.body) return "";
  const decoder = new TextDecoder();
  const reader = request.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  let size = 0;
  let text = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) throw await drainedTooLarge(request, limit, size, reader);
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    throw goneOr(request, error as Error);
  }
  return text + decoder.decode();
}

/**
 * Route `parse` hooks for JSON endpoints: our reader first (content type, size limit, 400/413
 * envelopes); the string entry only tells the OpenAPI generator the body is `application/json`
 * (Elysia stops at the first parser that returns a value, so it never runs).
 */
export function jsonBodyParsers(limit: number, rule: ContentTypeRule = "json"): [(context: { request: Request }) => Promise<unknown>, "application/json"] {
  return [
    async function readJson({ request }) {
      return kept(request, await readJsonBody(request, limit, rule));
    },
    "application/json",
  ];
}

/**
 * What a route's parse hook read, by request: the error hook names a refused request's model and
 * stream from it. That hook must not read Elysia's own `body`: a hook that does makes Elysia read
 * the body of every route that has no parse hook (a DELETE, Ollama's refused /api/pull, a 405),
 * whole and uncapped (a 2 GB body took the process to 3.9 GB).
 */
const parsedRequests = new WeakMap<Request, unknown>();

const kept = (request: Request, parsed: unknown): unknown => {
  parsedRequests.set(request, parsed);
  return parsed;
};

/** The JSON a route's parse hook read for this request, if any. */
export const parsedOf = (request: Request): unknown => parsedRequests.get(request);

/**
 * The `parse` hook of a POST that takes no body (`/v1/responses/{id}/cancel`: clients send none):
 * a request without one reads nothing; one sent anyway is read as any other, capped, then ignored.
 */
export function noBodyParsers(limit: number): [(context: { request: Request }) => Promise<unknown>] {
  return [readIfSent(limit)];
}

/** The `parse` hooks of a POST whose JSON body is optional (OpenAI's create conversation): none reads as `{}`. */
export function optionalJsonBodyParsers(limit: number): [(context: { request: Request }) => Promise<unknown>, "application/json"] {
  return [readIfSent(limit), "application/json"];
}

function readIfSent(limit: number): (context: { request: Request }) => Promise<unknown> {
  return async function readJson({ request }) {
    return hasBody(request) ? kept(request, await readJsonBody(request, limit)) : {};
  };
}

/** HTTP/1.1: a request has a body only with a Content-Length (not 0) or a Transfer-Encoding. */
export function hasBody(request: Request): boolean {
  const length = request.headers.get("content-length");
  return length !== null ? length !== "0" : request.headers.has("transfer-encoding");
}
