/**
 * The fuzz suite's checks for the surfaces that are not OpenAI Chat: each surface's own error
 * envelope (and only it) and its stream framing (Responses' and Anthropic's named SSE events,
 * Ollama's NDJSON). Each returns what is wrong, or undefined.
 */
import { validateOpenAI } from "./openai-schema.ts";

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

const ANTHROPIC_TYPES = new Set([
  "invalid_request_error",
  "authentication_error",
  "permission_error",
  "not_found_error",
  "request_too_large",
  "rate_limit_error",
  "timeout_error",
  "api_error",
  "overloaded_error",
]);

/** Anthropic's `{"type":"error","error":{"type","message"},"request_id"}` (its `ErrorResponse`: the answer's request id) and nothing else. */
export function checkAnthropicError(body: unknown): string | undefined {
  if (!isObject(body)) return "not a JSON object";
  if (Object.keys(body).sort().join() !== "error,request_id,type") return `top-level keys ${JSON.stringify(Object.keys(body))}`;
  // The answer's request id (the client's own x-request-id when it sent a usable one).
  if (typeof body.request_id !== "string" || body.request_id === "") return `request_id ${JSON.stringify(body.request_id)}`;
  if (body.type !== "error") return `type ${JSON.stringify(body.type)}`;
  const error = body.error;
  if (!isObject(error)) return "error is not an object";
  if (Object.keys(error).sort().join() !== "message,type") return `error keys ${JSON.stringify(Object.keys(error))}`;
  if (typeof error.type !== "string" || !ANTHROPIC_TYPES.has(error.type)) return `error type ${JSON.stringify(error.type)}`;
  if (typeof error.message !== "string" || error.message === "") return "message is not a non-empty string";
  return undefined;
}

/** Anthropic's status ↔ type pairs (the contract's table), checked on every error answer. */
export function checkAnthropicStatus(status: number, body: unknown): string | undefined {
  const type = (body as { error: { type: string } }).error.type;
  const expected: Record<number, string> = { 400: "invalid_request_error", 401: "authentication_error", 403: "permission_error", 404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 504: "timeout_error", 529: "overloaded_error" };
  const want = expected[status] ?? (status >= 500 ? "api_error" : undefined);
  return want === undefined || want === type ? undefined : `status ${status} with type ${type} (expected ${want})`;
}

/** Ollama's `{"error":"<message>"}` and nothing else. */
export function checkOllamaError(body: unknown): string | undefined {
  if (!isObject(body)) return "not a JSON object";
  if (Object.keys(body).join() !== "error") return `top-level keys ${JSON.stringify(Object.keys(body))}`;
  return typeof body.error === "string" && body.error !== "" ? undefined : "error is not a non-empty string";
}

interface NamedEvent {
  event: string;
  data: Record<string, unknown>;
}

/** `event: <type>\ndata: <json>\n\n` frames whose data's `type` is the event name. */
function namedEvents(response: Response, text: string): NamedEvent[] | string {
  if (!response.headers.get("content-type")?.startsWith("text/event-stream")) return `content-type ${response.headers.get("content-type")}`;
  if (!text.endsWith("\n\n")) return "the stream does not end with a blank line";
  const out: NamedEvent[] = [];
  for (const frame of text.slice(0, -2).split("\n\n")) {
    const match = /^event: ([a-z_.]+)\ndata: (.*)$/.exec(frame);
    if (!match) return `bad SSE frame ${JSON.stringify(frame.slice(0, 80))}`;
    let data: unknown;
    try {
      data = JSON.parse(match[2]!);
    } catch {
      return `an event's data is not JSON: ${JSON.stringify(match[2]!.slice(0, 80))}`;
    }
    if (!isObject(data) || data.type !== match[1]) return `event ${match[1]} carries type ${JSON.stringify((data as { type?: unknown })?.type)}`;
    out.push({ event: match[1]!, data });
  }
  return out;
}

const RESPONSES_END = new Set(["response.completed", "response.incomplete", "response.failed"]);

/** Responses' stream: OpenAI's ResponseStreamEvent frames, sequence numbers 0,1,2…, one terminal event last. */
export function checkResponsesSse(response: Response, text: string): string | undefined {
  const events = namedEvents(response, text);
  if (typeof events === "string") return events;
  if (events[0]?.event !== "response.created") return `first event ${events[0]?.event}`;
  for (const [i, { event, data }] of events.entries()) {
    if (data.sequence_number !== i) return `event ${i} (${event}) has sequence_number ${data.sequence_number}`;
    const errors = validateOpenAI("ResponseStreamEvent", data);
    if (errors.length > 0) return `${event} is not a ResponseStreamEvent: ${errors.slice(0, 3).join("; ")}`;
    if (RESPONSES_END.has(event) !== (i === events.length - 1)) return `${event} at ${i} of ${events.length}`;
  }
  return undefined;
}

const ANTHROPIC_EVENTS = new Set(["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop", "ping", "error"]);

/** Anthropic's stream: message_start first, then blocks opened and closed in index order, message_stop or error last. */
export function checkAnthropicSse(response: Response, text: string): string | undefined {
  const events = namedEvents(response, text);
  if (typeof events === "string") return events;
  if (events[0]?.event !== "message_start") return `first event ${events[0]?.event}`;
  let open: number | undefined;
  let next = 0;
  for (const [i, { event, data }] of events.entries()) {
    if (!ANTHROPIC_EVENTS.has(event)) return `unknown event ${event}`;
    const last = i === events.length - 1;
    if ((event === "message_stop" || event === "error") !== last) return `${event} at ${i} of ${events.length}`;
    if (event === "error") return checkAnthropicError(data);
    if (event === "content_block_start") {
      if (open !== undefined || data.index !== next) return `content_block_start ${data.index} (open ${open}, next ${next})`;
      open = next++;
    } else if (event === "content_block_delta" && data.index !== open) return `delta for block ${data.index} while ${open} is open`;
    else if (event === "content_block_stop") {
      if (data.index !== open) return `content_block_stop ${data.index} while ${open} is open`;
      open = undefined;
    }
  }
  return open === undefined ? undefined : `block ${open} never closed`;
}

/** Ollama's NDJSON stream: one JSON object a line, the last `done: true` or `{"error"}`. */
export function checkNdjson(response: Response, text: string, checkLine?: (line: Record<string, unknown>) => string | undefined): string | undefined {
  if (response.headers.get("content-type") !== "application/x-ndjson") return `content-type ${response.headers.get("content-type")}`;
  if (!text.endsWith("\n")) return "the stream does not end with a newline";
  const lines = text.slice(0, -1).split("\n");
  for (const [i, line] of lines.entries()) {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return `line ${i} is not JSON: ${JSON.stringify(line.slice(0, 80))}`;
    }
    if (!isObject(value)) return `line ${i} is not an object`;
    const last = i === lines.length - 1;
    if ("error" in value) return last ? checkOllamaError(value) : "lines after an error line";
    if ((value.done === true) !== last) return `done ${value.done} on line ${i} of ${lines.length}`;
    const problem = checkLine?.(value);
    if (problem) return `line ${i}: ${problem}`;
  }
  return undefined;
}

/** A JSON 2xx body checked by `check`. */
export const jsonAnswer =
  (check: (value: Record<string, unknown>) => string | undefined) =>
  (_response: Response, text: string): string | undefined => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return "a 2xx body that is not JSON";
    }
    return isObject(value) ? check(value) : "a 2xx body that is not an object";
  };
