import { randomId, tokenLogprobs, UpstreamError, type ChatResult, type ChunkResult, type Delta, type EmbedResult, type LogProb, type ToolCall, type Usage } from "../../src/kit.ts";
import { mapFinishReason } from "./map-finish-reason.ts";
import type { OllamaChatResponse, OllamaEmbedResponse, OllamaLogprob, OllamaToolCallIn } from "./wire.ts";

/** Ids for tool calls Ollama sent without one; injectable so tests can pin them. */
export type NewToolCallId = () => string;
const newCallId: NewToolCallId = () => randomId("call_");

/**
 * Ollama's counts as OpenAI usage. `eval_count` already includes thinking tokens; Ollama does not
 * say how many, so `completion_tokens_details.reasoning_tokens` is left out (the core estimates it
 * from the thinking text). A count Ollama left out (older servers send no `prompt_eval_count` for a
 * prompt from their cache) is left out too, not 0: the core estimates what a usage lacks.
 */
export function toUsage(response: OllamaChatResponse): Usage {
  const prompt = response.prompt_eval_count;
  const completion = response.eval_count;
  if (prompt != null && completion != null) return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  // A partial usage (the pipeline's tally reads one: tally.ts withEstimates).
  return (prompt != null ? { prompt_tokens: prompt } : completion != null ? { completion_tokens: completion } : {}) as unknown as Usage;
}

/**
 * Ollama's `logprobs` (one entry per token, each with its `top_logprobs`) as an OpenAI choice's
 * `logprobs` (the surfaces' converter: `bytes` the token's UTF-8 where Ollama sends none, entries of
 * another shape left out). Undefined when it sent none.
 */
export function toLogprobs(logprobs: readonly OllamaLogprob[] | null | undefined): ChoiceLogprobs | undefined {
  if (!logprobs || logprobs.length === 0) return undefined;
  const content = tokenLogprobs({ content: logprobs });
  return content.length === 0 ? undefined : { content, refusal: null };
}
type ChoiceLogprobs = { content: LogProb[]; refusal: null };

/**
 * The tokens of a complete answer's text. Ollama's complete answer lists every token it generated,
 * its thinking's first: the text's are the last ones whose text makes the content (when they do not,
 * the first ones that make the thinking are dropped; failing both, all are kept).
 */
export function contentLogprobs(tokens: LogProb[], content: string, thinking: string): LogProb[] {
  let length = 0;
  let from = tokens.length;
  while (from > 0 && length < content.length) length += tokens[--from]!.token.length;
  if (length === content.length && tokens.slice(from).map((t) => t.token).join("") === content) return tokens.slice(from);
  length = 0;
  let to = 0;
  while (to < tokens.length && length < thinking.length) length += tokens[to++]!.token.length;
  return length === thinking.length && tokens.slice(0, to).map((t) => t.token).join("") === thinking ? tokens.slice(to) : tokens;
}

/** Ollama's tool calls (arguments an object, no id or type) in OpenAI's shape. */
function toToolCall(call: OllamaToolCallIn, newId: NewToolCallId): ToolCall {
  return {
    id: call.id || newId(),
    type: "function",
    function: { name: call.function.name, arguments: JSON.stringify(call.function.arguments) },
  };
}

/** A non-streamed `/api/chat` answer as a chat completion (the core adds id, created, model). */
export function fromOllamaChatResponse(response: OllamaChatResponse, newId: NewToolCallId = newCallId): ChatResult {
  const content = response.message?.content ?? "";
  const thinking = response.message?.thinking;
  const toolCalls = (response.message?.tool_calls ?? []).map((call) => toToolCall(call, newId));
  const message: ChatResult["choices"][number]["message"] = {
    role: "assistant",
    // OpenAI answers a pure tool call with `content: null`; Ollama sends "".
    content: toolCalls.length > 0 && content === "" ? null : content,
  };
  if (thinking) message.reasoning_content = thinking;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  const choice: ChatResult["choices"][number] = { index: 0, message, finish_reason: mapFinishReason(response.done_reason, toolCalls.length > 0) };
  const logprobs = response.logprobs ? toLogprobs(response.logprobs) : undefined;
  if (logprobs) {
    if (thinking) logprobs.content = contentLogprobs(logprobs.content, content, thinking);
    choice.logprobs = logprobs;
  }
  return { choices: [choice], usage: toUsage(response) };
}

/**
 * A mapper for one stream: each Ollama line becomes zero or more chunks. Thinking goes to
 * `reasoning_content`, tool calls arrive whole with a running `index`, and the `done` line becomes
 * the finish chunk followed by the usage chunk (`choices: []`).
 */
export function createChunkMapper(newId: NewToolCallId = newCallId): (line: OllamaChatResponse) => ChunkResult[] {
  let toolCalls = 0;
  return function fromOllamaChunk(line) {
    const delta: Delta = {};
    const message = line.message;
    if (message?.thinking) delta.reasoning_content = message.thinking;
    if (message?.content) delta.content = message.content;
    if (message?.tool_calls && message.tool_calls.length > 0) {
      delta.tool_calls = message.tool_calls.map((call) => ({ index: toolCalls++, ...toToolCall(call, newId) }));
    }
    const logprobs = line.logprobs ? toLogprobs(line.logprobs) : undefined;
    if (!line.done) {
      if (logprobs) return [{ choices: [{ index: 0, delta, logprobs }] }];
      return Object.keys(delta).length > 0 ? [{ choices: [{ index: 0, delta }] }] : [];
    }
    const finish: ChunkResult["choices"][number] = { index: 0, delta, finish_reason: mapFinishReason(line.done_reason, toolCalls > 0) };
    if (logprobs) finish.logprobs = logprobs;
    return [{ choices: [finish] }, { choices: [], usage: toUsage(line) }];
  };
}

/** `/api/embed`'s answer: one vector per input, usage from `prompt_eval_count`. */
export function fromOllamaEmbedResponse(response: OllamaEmbedResponse, inputs: number): EmbedResult {
  if (response.embeddings.length !== inputs) {
    throw new UpstreamError(`Ollama returned ${response.embeddings.length} embeddings for ${inputs} inputs.`);
  }
  const tokens = response.prompt_eval_count ?? 0;
  return { embeddings: response.embeddings, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}
