import type { ChatRequest } from "../schemas/chat.ts";
import type { ChatResult, ChunkResult } from "../plugin.ts";
import type { ChunkBatch } from "./stream-writer.ts";

/**
 * `parallel_tool_calls: false` (Chat Completions and Responses; Anthropic's
 * `disable_parallel_tool_use`), kept whatever the provider: OpenAI's models then call at most one
 * tool a turn, and clients built on that run one call and send its result. An OpenAI upstream is
 * sent the field and keeps it itself; Gemini and Ollama have no such setting, and their models may
 * answer several calls. Here the first call is kept and the others are dropped: the model is asked
 * again with the first one's result and makes the next then. The provider's objects are not changed.
 */
export const wantsOneToolCall = (chat: ChatRequest): boolean => (chat as { parallel_tool_calls?: unknown }).parallel_tool_calls === false;

/** A complete answer with each choice's first tool call only (`n` > 1 asks for several choices). */
export function firstToolCallOnly(result: ChatResult): ChatResult {
  let choices: ChatResult["choices"] | undefined;
  for (let i = 0; i < result.choices.length; i++) {
    const choice = result.choices[i]!;
    const calls = choice.message.tool_calls;
    if (calls === undefined || calls.length <= 1) continue;
    choices ??= result.choices.slice();
    choices[i] = { ...choice, message: { ...choice.message, tool_calls: calls.slice(0, 1) } };
  }
  return choices === undefined ? result : { ...result, choices };
}

/**
 * A stream's chunks with the first tool call of each choice only: the deltas of the first call index
 * the stream names for that choice, and none of any other.
 */
export function firstToolCallStream(first: IteratorResult<ChunkBatch>, iterator: AsyncIterator<ChunkBatch>): { first: IteratorResult<ChunkBatch>; iterator: AsyncIterator<ChunkBatch> } {
  /** Choice index → the call index kept for it. */
  const keptOf = new Map<number, number>();
  const chunkOf = (chunk: ChunkResult): ChunkResult => {
    let choices: ChunkResult["choices"] | undefined;
    for (let i = 0; i < chunk.choices.length; i++) {
      const choice = chunk.choices[i]!;
      const calls = choice.delta.tool_calls;
      if (calls === undefined || calls.length === 0) continue;
      let kept = keptOf.get(choice.index);
      if (kept === undefined) keptOf.set(choice.index, (kept = calls[0]!.index));
      const only = calls.filter((call) => call.index === kept);
      if (only.length === calls.length) continue;
      choices ??= chunk.choices.slice();
      if (only.length > 0) choices[i] = { ...choice, delta: { ...choice.delta, tool_calls: only } };
      else {
        // A delta of another call's alone: what else it holds (a finish reason, text) stays.
        const { tool_calls: _dropped, ...rest } = choice.delta;
        choices[i] = { ...choice, delta: rest };
      }
    }
    return choices === undefined ? chunk : { ...chunk, choices };
  };
  const batchOf = (value: ChunkBatch): ChunkBatch => (Array.isArray(value) ? (value as readonly ChunkResult[]).map(chunkOf) : chunkOf(value as ChunkResult));
  const resultOf = (result: IteratorResult<ChunkBatch>): IteratorResult<ChunkBatch> => (result.done ? result : { done: false, value: batchOf(result.value) });
  return {
    first: resultOf(first),
    iterator: {
      next: async () => resultOf(await iterator.next()),
      return: iterator.return ? (value?: unknown) => iterator.return!(value as ChunkBatch) : undefined,
    },
  };
}
