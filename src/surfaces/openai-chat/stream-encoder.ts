import type { StreamEncoder } from "../../pipeline/encoder.ts";
import type { ChunkResult } from "../../plugin.ts";
import type { Usage } from "../../schemas/common.ts";
import { SSE_DONE, SSE_HEADERS, sseError } from "../../sse.ts";
import type { TokenUsage } from "../../pipeline/outcome.ts";
import { wholeUsage } from "./from-chat-result.ts";

export interface ChatStreamSettings {
  id: string;
  created: number;
  /** The id the client asked for. */
  model: string;
  /** Number of choices asked for (`n`). */
  choices: number;
  includeUsage: boolean;
}

const ZERO_USAGE: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };

/** A chunk's field that the encoder sets itself (an OpenAI-shaped upstream sends all of them). */
function isChunkKey(key: string): boolean {
  switch (key) {
    case "id":
    case "object":
    case "created":
    case "model":
    case "choices":
    case "usage":
      return true;
    default:
      return false;
  }
}

function isChoiceKey(key: string): boolean {
  return key === "index" || key === "delta" || key === "finish_reason" || key === "logprobs";
}

/** Whether every own field of `value` passes `known` (then no object spread is needed to copy it). */
function hasOnly(value: object, known: (key: string) => boolean): boolean {
  for (const key in value) if (!known(key)) return false;
  return true;
}

/**
 * Chat Completions' SSE: every chunk gets the stream's `id`, `object`, `created` and `model`,
 * `finish_reason: null` until the last one, and the first delta of each choice its role; usage is
 * held for the final usage chunk, sent only when asked for; `[DONE]` closes. Builds new objects:
 * the provider's chunks are never changed.
 */
export function chatStreamEncoder(s: ChatStreamSettings): StreamEncoder {
  const roleSent: boolean[] = new Array(s.choices).fill(false);
  const finished: boolean[] = new Array(s.choices).fill(false);
  let usage: Usage | undefined;
  // OpenAI sends `usage: null` on every chunk when usage was asked for, and no field otherwise.
  const usageField = s.includeUsage ? null : undefined;
  const { id, created, model } = s;
  const object = "chat.completion.chunk";
  // Spread before and after the chunk: our fields come first (as OpenAI orders them) and win over any
  // the provider set (an OpenAI-shaped upstream's own id and model).
  const head = { id, object, created, model };

  const frame = (chunk: ChunkResult): string => {
    if (chunk.usage) usage = chunk.usage;
    const sent = chunk.choices;
    if (sent.length === 0) return ""; // a usage-only chunk: held for the end
    const choices = new Array(sent.length);
    for (let k = 0; k < sent.length; k++) {
      const choice = sent[k]!;
      const i = choice.index;
      const finishReason = choice.finish_reason ?? null;
      if (finishReason !== null) finished[i] = true;
      let delta = choice.delta;
      if (!roleSent[i]) {
        roleSent[i] = true;
        if (delta.role === undefined) delta = { role: "assistant", ...delta };
      }
      // The usual choice and chunk are built field by field; one with fields of the provider's own
      // (a system_fingerprint…) keeps them, by spreading. Object spreads were ~8 % of a stream's
      // gateway CPU in a profile.
      if (!hasOnly(choice, isChoiceKey)) choices[k] = { ...choice, delta, finish_reason: finishReason };
      else if ("logprobs" in choice) choices[k] = { index: i, delta, logprobs: choice.logprobs, finish_reason: finishReason };
      else choices[k] = { index: i, delta, finish_reason: finishReason };
    }
    const out = hasOnly(chunk, isChunkKey) ? { id, object, created, model, choices, usage: usageField } : { ...head, ...chunk, ...head, choices, usage: usageField };
    return `data: ${JSON.stringify(out)}\n\n`;
  };

  return {
    headers: SSE_HEADERS,
    start: () => "",
    chunk: frame,
    end(tokens?: TokenUsage) {
      let out = "";
      // Only the choices the provider began end here (choice 0 at least): one it never sent is not made
      // up (an upstream that ignores `n` answers one; its whole answer has one choice too, a probe).
      const begun = roleSent.includes(true);
      for (let i = 0; i < s.choices; i++) {
        if (finished[i] || (begun && !roleSent[i]) || (!begun && i > 0)) continue;
        // A provider that ended without saying why ended normally.
        const delta = roleSent[i] ? {} : { role: "assistant" as const, content: "" };
        out += frame({ choices: [{ index: i, delta, finish_reason: "stop" }] });
      }
      if (s.includeUsage) {
        // A provider that reports no usage gets the pipeline's count (its estimate), as the complete answer does.
        out += `data: ${JSON.stringify({ id, object, created, model, choices: [], usage: usage === undefined && !tokens ? ZERO_USAGE : wholeUsage(usage, tokens) })}\n\n`;
      }
      return out + SSE_DONE;
    },
    error: (mapped) => sseError(mapped.body),
  };
}
