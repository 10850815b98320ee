import { UpstreamError } from "../../errors.ts";
import type { TokenUsage } from "../../pipeline/outcome.ts";
import type { ChatResult } from "../../plugin.ts";
import type { FinishReason } from "../../schemas/chat.ts";
import { tokenLogprobs } from "../../token-logprobs.ts";

/** Ollama's finish reasons: a tool call ends a turn with `stop`, as Ollama reports it. */
export function toDoneReason(finish: FinishReason | null | undefined): string {
  switch (finish) {
    case undefined:
    case null:
    case "stop":
    case "tool_calls":
      return "stop";
    case "length":
      return "length";
    case "content_filter":
      return "content_filter";
    default: {
      const unknown: never = finish;
      return String(unknown);
    }
  }
}

const NS_PER_MS = 1e6;
const ns = (ms: number) => Math.max(0, Math.round(ms * NS_PER_MS));

/**
 * The `*_duration` fields in nanoseconds, measured by the gateway (providers report none through
 * the plugin contract): the prompt's share is the wait for the first token, the rest is generation.
 * Nothing is loaded by the gateway, so `load_duration` is 0.
 */
export function durations(startedAt: number, firstTokenAt: number | undefined, endedAt: number) {
  // Without a first-token time (a complete answer) all of it counts as generation, so eval_count /
  // eval_duration, what clients show as tokens per second, stays a finite lower bound.
  const first = firstTokenAt ?? startedAt;
  return {
    total_duration: ns(endedAt - startedAt),
    load_duration: 0,
    prompt_eval_duration: ns(first - startedAt),
    eval_duration: ns(endedAt - first),
  };
}

/** Ollama's final fields, in Ollama's order. */
export function finalFields(doneReason: string, usage: TokenUsage, startedAt: number, firstTokenAt: number | undefined, endedAt: number) {
  const d = durations(startedAt, firstTokenAt, endedAt);
  return {
    done_reason: doneReason,
    done: true as const,
    total_duration: d.total_duration,
    load_duration: d.load_duration,
    prompt_eval_count: usage.input,
    prompt_eval_duration: d.prompt_eval_duration,
    eval_count: usage.output,
    eval_duration: d.eval_duration,
  };
}

export interface OllamaToolCall {
  id?: string;
  function: { index: number; name: string; arguments: Record<string, unknown> };
}

/**
 * Ollama sends arguments as an object; a provider's JSON text that is no object is the provider's
 * fault. The provider's call id goes along as `id` (newer Ollama servers send one too): a client that
 * sends the message back as it came keeps it, and with it what the id carries (Gemini's thought
 * signature); clients that drop it get the stable ids of tool-call-ids.ts. `index` is the call's place
 * in the answer, which Ollama always sends (Open WebUI joins streamed pieces of one index into one call).
 */
export function toOllamaToolCall(name: string, args: string | undefined, id: string | undefined, index: number): OllamaToolCall {
  let parsed: unknown = {};
  if (args !== undefined && args.trim() !== "") {
    try {
      parsed = JSON.parse(args);
    } catch {
      parsed = undefined;
    }
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new UpstreamError(`The provider's call of the tool '${name}' has arguments that are not a JSON object.`);
  }
  const call: OllamaToolCall = { function: { index, name, arguments: parsed as Record<string, unknown> } };
  return id ? { id, ...call } : call;
}

/** Whether a call's arguments are a whole JSON object (or none): a call cut by the output limit has not. */
export function hasWholeArguments(args: string | undefined): boolean {
  if (args === undefined || args.trim() === "") return true;
  try {
    const parsed: unknown = JSON.parse(args);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}

export interface AnswerMessage {
  role: "assistant";
  content: string;
  thinking?: string;
  tool_calls?: OllamaToolCall[];
}

/** The first choice's message in Ollama's shape (without its calls for `/api/generate`, whose answer has none). */
export function toAnswerMessage(result: ChatResult, withCalls = true): { message: AnswerMessage; finish: FinishReason | undefined } {
  const choice = result.choices[0];
  // Ollama's messages have no refusal: a provider's refusal (OpenAI's) is the answer's text.
  const message: AnswerMessage = { role: "assistant", content: (choice?.message.content ?? "") + (choice?.message.refusal ?? "") };
  const reasoning = (choice?.message as { reasoning_content?: unknown } | undefined)?.reasoning_content;
  if (typeof reasoning === "string" && reasoning !== "") message.thinking = reasoning;
  // A call the output limit cut (arguments cut short) is no call: the answer ends `length`.
  const sent = withCalls ? choice?.message.tool_calls : undefined;
  const calls = choice?.finish_reason === "length" ? sent?.filter((call) => hasWholeArguments(call.function.arguments)) : sent;
  if (calls && calls.length > 0) message.tool_calls = calls.map((call, index) => toOllamaToolCall(call.function.name, call.function.arguments, call.id, index));
  return { message, finish: choice?.finish_reason };
}

export interface Timing {
  startedAt: number;
  endedAt: number;
  createdAt: string;
}

/** The answer's tokens as Ollama lists them, when the request asked and the provider gave some (Ollama leaves the field out otherwise). */
function withLogprobs<T extends object>(answer: T, result: ChatResult, isAsked: boolean): T {
  if (!isAsked) return answer;
  const tokens = tokenLogprobs(result.choices[0]?.logprobs);
  return tokens.length === 0 ? answer : { ...answer, logprobs: tokens };
}

/** A complete `/api/chat` answer; with `logprobs` (the request asked), the answer's tokens' as Ollama lists them. */
export function toChatAnswer(result: ChatResult, model: string, usage: TokenUsage, t: Timing, logprobs = false) {
  const { message, finish } = toAnswerMessage(result);
  const answer = { model, created_at: t.createdAt, message, ...finalFields(toDoneReason(finish), usage, t.startedAt, undefined, t.endedAt) };
  return withLogprobs(answer, result, logprobs);
}

/** A complete `/api/generate` answer: the text as `response`, thinking beside it. */
export function toGenerateAnswer(result: ChatResult, model: string, usage: TokenUsage, t: Timing, logprobs = false) {
  // Calls are not read (a generate answer shows none, and its stream skips them): ones the provider garbled fail nothing.
  const { message, finish } = toAnswerMessage(result, false);
  const answer: Record<string, unknown> = { model, created_at: t.createdAt, response: message.content };
  if (message.thinking !== undefined) answer.thinking = message.thinking;
  // `context` as Ollama answers it (the AI SDK's Ollama provider requires it): empty, the gateway keeps no context.
  return withLogprobs({ ...answer, ...finalFields(toDoneReason(finish), usage, t.startedAt, undefined, t.endedAt), context: [] }, result, logprobs);
}
