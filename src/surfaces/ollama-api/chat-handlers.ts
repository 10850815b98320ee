import { assertModelIdLength } from "../../model-id.ts";
import { PermissionError } from "../../errors.ts";
import { mayUse, type RouteLookup } from "../../keys/model-access.ts";
import { keyOf } from "../../keys/request-key.ts";
import type { Logger } from "../../logger.ts";
import type { CallInfo, Pipeline } from "../../pipeline/pipeline.ts";
import { byChars } from "../../pipeline/tally.ts";
import type { ModelRegistry } from "../../registry.ts";
import { toChatAnswer, toGenerateAnswer } from "./from-chat-result.ts";
import type { Converted } from "./to-chat-request.ts";
import { cachedIsoClock, ollamaStreamEncoder } from "./stream-encoder.ts";
import { withOllamaParam } from "./to-ollama-param.ts";

const isoNow = cachedIsoClock();

/**
 * Ollama says `model '<id>' not found`, and its clients look for those words (Open WebUI offers to
 * pull the model). The gateway's own error is kept (the pipeline already reported it as the
 * request's outcome); only its message changes.
 */
export async function ollamaNotFound<T>(model: string, work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === "model_not_found") (error as Error).message = `model '${model}' not found`;
    throw error;
  }
}

/**
 * Waits out the first discovery round (only in the first moments after start), then resolves the id
 * — as the request's key sees it: a model the key may not use is refused (403, as on every surface),
 * so a restricted key cannot probe which models exist through a request with nothing to generate.
 */
export async function assertModelExists(registry: ModelRegistry, model: string, request: Request, routes?: RouteLookup): Promise<void> {
  assertModelIdLength(model);
  if (!registry.isReady) await registry.ready;
  const key = keyOf(request);
  if (key && !mayUse(key, model, registry, routes)) {
    throw new PermissionError(`The key '${key.name}' is not allowed to use the model '${model}'.`, { param: "model" });
  }
  // A route's id is a model to its clients (`/api/tags` lists it): it exists, as a chat with it answers.
  if (routes?.find(model) !== undefined) return;
  await ollamaNotFound(model, () => registry.resolve(model));
}

/**
 * Ollama's answer to a request with nothing to generate (no messages, an empty prompt): the model is
 * "loaded" (`keep_alive: 0`: "unloaded"), by its provider's `load` where it has one (pipeline.load).
 */
export function loadAnswer(kind: "chat" | "generate", model: string, keepAlive: unknown) {
  const reason = isZeroDuration(keepAlive) ? "unload" : "load";
  const empty = kind === "chat" ? { message: { role: "assistant", content: "" } } : { response: "" };
  return { model, created_at: isoNow(), ...empty, done_reason: reason, done: true };
}

/**
 * `keep_alive` of zero, as Ollama reads it: a number of seconds, or a Go duration string ("0",
 * "0s", "0m", "0h0m0s"…; `ollama stop` and Go clients send "0s").
 */
export function isZeroDuration(value: unknown): boolean {
  if (typeof value === "number") return value === 0;
  if (typeof value !== "string") return false;
  const unsigned = value.startsWith("+") || value.startsWith("-") ? value.slice(1) : value;
  // Zero written longer than any duration a client sends is not read (a pattern over megabytes of "0h0h…0x" took seconds).
  return unsigned === "0" || (unsigned.length <= MAX_DURATION_LENGTH && !/[1-9]/.test(unsigned) && GO_DURATION.test(unsigned));
}
const MAX_DURATION_LENGTH = 64;
/**
 * One way only to read each number (digits, then a fraction only after a dot): `\d+\.?\d*` could
 * split a run of digits anywhere, and 120,000 zeros then a letter held the event loop 12 s.
 */
const GO_DURATION = /^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;

export interface ChatCallDeps {
  pipeline: Pipeline;
  logger: Logger;
}

/**
 * One `/api/chat` or `/api/generate` call through the pipeline: a complete answer (an object the
 * route sends as JSON, its headers set on `set`) or an NDJSON stream (a Response).
 */
export async function runChat(
  deps: ChatCallDeps,
  call: CallInfo,
  kind: "chat" | "generate",
  converted: Converted,
  stream: boolean,
  startedAt: number,
  setHeaders: Record<string, unknown>,
): Promise<object | Response> {
  const { chat, ignored } = converted;
  if (ignored.length > 0 && deps.logger.isEnabled("debug")) {
    deps.logger.debug("ollama request fields accepted and ignored", { request_id: call.requestId, fields: ignored });
  }
  if (converted.clientOptions) call.clientOptions = converted.clientOptions;
  const model = chat.model;
  try {
    if (stream) {
      const encoder = ollamaStreamEncoder({ kind, model, startedAt, inputTokens: byChars(chat.messages), logprobs: chat.logprobs === true });
      return await ollamaNotFound(model, () => deps.pipeline.stream(call, chat, encoder));
    }
    const done = await ollamaNotFound(model, () => deps.pipeline.complete(call, chat));
    Object.assign(setHeaders, done.headers);
    const timing = { startedAt, endedAt: performance.now(), createdAt: isoNow() };
    const logprobs = chat.logprobs === true;
    return kind === "chat" ? toChatAnswer(done.result, model, done.usage, timing, logprobs) : toGenerateAnswer(done.result, model, done.usage, timing, logprobs);
  } catch (error) {
    // The pipeline and plugins name the chat request's fields: an image is one of the message's `images`.
    throw withOllamaParam(error, kind, chat);
  }
}
