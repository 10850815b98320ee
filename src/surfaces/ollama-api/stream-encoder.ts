import type { MappedError } from "../../error-response.ts";
import type { StreamEncoder } from "../../pipeline/encoder.ts";
import { StreamTally, type InputEstimate } from "../../pipeline/tally.ts";
import type { ChunkResult } from "../../plugin.ts";
import type { FinishReason } from "../../schemas/chat.ts";
import { finalFields, hasWholeArguments, toDoneReason, toOllamaToolCall } from "./from-chat-result.ts";
import { NDJSON_HEADERS, ndjsonError } from "./ndjson.ts";
import { tokenLogprobs } from "../../token-logprobs.ts";

export interface OllamaStreamSettings {
  /** `/api/chat` lines carry `message`, `/api/generate` lines `response`. */
  kind: "chat" | "generate";
  /** The id the client asked for. */
  model: string;
  /** `performance.now()` when the request arrived. */
  startedAt: number;
  /** The prompt's tokens as the pipeline estimates them (for a provider that counts none). */
  inputTokens: InputEstimate;
  /** The wall clock as `created_at` (injectable for tests). */
  now?: () => string;
  /** The request asked for log probabilities: each text line carries its chunk's tokens' (`logprobs`). */
  logprobs?: boolean;
}

/** `created_at` for every line: one ISO string per millisecond, not one per line. */
export function cachedIsoClock(): () => string {
  let lastMs = -1;
  let last = "";
  return () => {
    const ms = Date.now();
    if (ms !== lastMs) {
      lastMs = ms;
      last = new Date(ms).toISOString();
    }
    return last;
  };
}

interface PendingCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * Ollama's NDJSON stream: one object a line, text as it comes (`message.content` / `response`, thinking
 * as `thinking`), tool calls whole (Ollama streams a call only once its arguments are complete, with
 * arguments as an object), then the final `done: true` line with the counts and durations. Only the
 * first choice is streamed (Ollama has no `n`). Keeps its own state; never changes the chunks.
 */
export function ollamaStreamEncoder(s: OllamaStreamSettings): StreamEncoder {
  const now = s.now ?? cachedIsoClock();
  const tally = new StreamTally(s.inputTokens);
  /** The calls being read, by the upstream's index (which need not start at 0 nor run without gaps). */
  const calls = new Map<number, PendingCall>();
  let finish: FinishReason | undefined;
  let firstTokenAt: number | undefined;
  // Everything before `created_at`'s value is the same on every line.
  const head = `{"model":${JSON.stringify(s.model)},"created_at":"`;
  const isChat = s.kind === "chat";

  const textLine = (content: string, thinking: string | undefined, logprobs: string): string => {
    const think = thinking === undefined ? "" : `,"thinking":${JSON.stringify(thinking)}`;
    return isChat
      ? `${head}${now()}","message":{"role":"assistant","content":${JSON.stringify(content)}${think}}${logprobs},"done":false}\n`
      : `${head}${now()}","response":${JSON.stringify(content)}${think}${logprobs},"done":false}\n`;
  };
  /** A chunk's tokens' log probabilities as the line's `logprobs` field ("" when none came). */
  const logprobsOf = (choiceLogprobs: unknown): string => {
    const tokens = tokenLogprobs(choiceLogprobs);
    return tokens.length === 0 ? "" : `,"logprobs":${JSON.stringify(tokens)}`;
  };

  const flushCalls = (): string => {
    if (calls.size === 0 || !isChat) return "";
    // A call the output limit cut has arguments cut short: not a call (the answer ends `length`), not the provider's fault.
    const all = [...calls.entries()].sort((a, b) => a[0] - b[0]).map(([, call]) => call);
    const whole = finish === "length" ? all.filter((call) => hasWholeArguments(call.arguments)) : all;
    // Numbered from 0 as Ollama numbers them, whatever the upstream's indexes were (a gap was a `null` call).
    const toolCalls = whole.map((call, index) => toOllamaToolCall(call.name, call.arguments, call.id, index));
    calls.clear();
    if (toolCalls.length === 0) return "";
    return `${head}${now()}","message":${JSON.stringify({ role: "assistant", content: "", tool_calls: toolCalls })},"done":false}\n`;
  };

  return {
    headers: NDJSON_HEADERS,
    start: () => "",
    chunk(chunk: ChunkResult): string {
      tally.add(chunk);
      firstTokenAt ??= performance.now();
      let out = "";
      for (const choice of chunk.choices) {
        if (choice.index !== 0) continue;
        const delta = choice.delta;
        // Ollama's messages have no refusal: a provider's refusal (OpenAI's) is the answer's text.
        const content = (typeof delta.content === "string" ? delta.content : "") + (typeof delta.refusal === "string" ? delta.refusal : "");
        const reasoning = (delta as { reasoning_content?: unknown }).reasoning_content;
        const thinking = typeof reasoning === "string" && reasoning !== "" ? reasoning : undefined;
        // Asked for, a chunk's tokens go on its line; tokens with no text of their own get a line as Ollama sends them.
        const logprobs = s.logprobs && choice.logprobs != null ? logprobsOf(choice.logprobs) : "";
        if (content !== "" || thinking !== undefined || logprobs !== "") out += textLine(content, thinking, logprobs);
        for (const call of delta.tool_calls ?? []) {
          let pending = calls.get(call.index);
          if (pending === undefined) calls.set(call.index, (pending = { id: "", name: "", arguments: "" }));
          if (call.id) pending.id = call.id;
          // A name split over deltas is joined; one an upstream repeats on every delta (some OpenAI-compatible servers do) is taken once.
          const name = call.function?.name;
          if (name && name !== pending.name) pending.name += name;
          if (call.function?.arguments) pending.arguments += call.function.arguments;
        }
        if (choice.finish_reason) {
          finish = choice.finish_reason;
          out += flushCalls();
        }
      }
      return out;
    },
    end(): string {
      const endedAt = performance.now();
      const final = finalFields(toDoneReason(finish), tally.tokens(), s.startedAt, firstTokenAt, endedAt);
      // A generate's last line has `context` as Ollama's does (clients' schemas require it): empty, the gateway keeps none.
      const empty = isChat ? `"message":{"role":"assistant","content":""}` : `"response":"","context":[]`;
      return `${flushCalls()}${head}${now()}",${empty},${JSON.stringify(final).slice(1)}\n`;
    },
    error: (mapped: MappedError) => ndjsonError(mapped),
  };
}
