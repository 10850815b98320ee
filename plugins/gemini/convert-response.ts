import { InvalidRequestError, UpstreamError, type ChatResult, type ChunkResult, type Delta, type EmbedResult, type Usage } from "../../src/kit.ts";
import type { GeminiCandidate, GeminiEmbedResponse, GeminiLogprobsResult, GeminiPart, GeminiResponse, GeminiUsageMetadata } from "./wire.ts";
import { mapGeminiFinishReason, type MappedFinishReason } from "./map-finish-reason.ts";
import { newToolCallId, toExtraContent, type GoogleExtraContent } from "./tool-call-id.ts";

/** An OpenAI tool call as this plugin emits it: `extra_content` carries Gemini's thought signature. */
export interface GeminiToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
  extra_content?: GoogleExtraContent;
  /** Position in the choice's tool calls: stream deltas need it, and it stays unique per choice. */
  index: number;
}

export interface ReadParts {
  text: string;
  reasoning: string;
  toolCalls: GeminiToolCall[];
}

/**
 * One candidate's parts as OpenAI pieces: answer text, thought-summary text (→ `reasoning_content`,
 * never `content`) and function calls with fresh ids. `firstToolIndex` continues the numbering
 * across the chunks of a stream, so several calls get distinct `index` values.
 */
export function readGeminiParts(
  parts: readonly GeminiPart[],
  firstToolIndex = 0,
  /** Alias → the client's name, for functions that went to Gemini by an alias (tool-names.ts). */
  names?: ReadonlyMap<string, string>,
): ReadParts {
  let text = "";
  let reasoning = "";
  const toolCalls: GeminiToolCall[] = [];
  for (const part of parts) {
    if (part.functionCall) {
      const signature = part.thoughtSignature;
      toolCalls.push({
        index: firstToolIndex + toolCalls.length,
        id: newToolCallId(signature, part.functionCall.id),
        type: "function",
        function: { name: names?.get(part.functionCall.name) ?? part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) },
        ...(signature ? { extra_content: toExtraContent(signature) } : {}),
      });
    } else if (typeof part.text === "string") {
      if (part.thought === true) reasoning += part.text;
      else text += part.text;
    }
    // inlineData, executableCode, … have no Chat Completions form.
  }
  return { text, reasoning, toolCalls };
}

/**
 * A prompt Gemini refused to answer at all: `promptFeedback.blockReason` set, no candidates. That is
 * a 400 naming the reason, never an empty 200. An empty (or unspecified) blockReason is no block.
 */
export function assertPromptNotBlocked(response: GeminiResponse): void {
  const reason = response.promptFeedback?.blockReason;
  if (!reason || reason === "BLOCKED_REASON_UNSPECIFIED") return;
  const detail = response.promptFeedback?.blockReasonMessage;
  throw new InvalidRequestError(`Gemini blocked the prompt (blockReason ${reason})${detail ? `: ${detail}` : "."}`, {
    param: "messages",
    code: "content_filter",
  });
}

/** A finish reason that is an upstream failure (MALFORMED_FUNCTION_CALL, …) is a 502, not a filter. */
export function toFinishReason(candidate: GeminiCandidate, hasToolCalls: boolean): Exclude<MappedFinishReason, "error"> {
  const mapped = mapGeminiFinishReason(candidate.finishReason, hasToolCalls);
  if (mapped !== "error") return mapped;
  const detail = candidate.finishMessage ? `: ${candidate.finishMessage}` : ".";
  throw new UpstreamError(`Gemini could not complete the answer (finishReason ${candidate.finishReason})${detail}`);
}

const utf8 = new TextEncoder();
type TokenLogprob = { token: string; logprob: number; bytes: number[] };
const tokenOf = (candidate: { token?: string; logProbability?: number }): TokenLogprob | undefined =>
  typeof candidate.token === "string" && typeof candidate.logProbability === "number"
    ? { token: candidate.token, logprob: candidate.logProbability, bytes: Array.from(utf8.encode(candidate.token)) }
    : undefined;

/**
 * Gemini's `logprobsResult` as an OpenAI choice's `logprobs`: each step's chosen token, with that
 * step's top candidates as `top_logprobs`. Undefined when Gemini sent none.
 */
export function toLogprobs(result: GeminiLogprobsResult | undefined): ChunkResult["choices"][number]["logprobs"] {
  const chosen = result?.chosenCandidates;
  if (!chosen || chosen.length === 0) return undefined;
  const content = [];
  for (let step = 0; step < chosen.length; step++) {
    const token = tokenOf(chosen[step]!);
    if (!token) continue;
    const top: TokenLogprob[] = [];
    for (const candidate of result.topCandidates?.[step]?.candidates ?? []) {
      const alternative = tokenOf(candidate);
      if (alternative) top.push(alternative);
    }
    content.push({ ...token, top_logprobs: top });
  }
  return { content, refusal: null };
}

/** A `generateContent` answer as the provider's chat result (the core stamps id, model, created). */
export function fromGeminiResponse(response: GeminiResponse, names?: ReadonlyMap<string, string>): ChatResult {
  assertPromptNotBlocked(response);
  const candidates = response.candidates ?? [];
  if (candidates.length === 0) throw new UpstreamError("Gemini answered without any candidate.");
  const choices = candidates.map((candidate, position): ChatResult["choices"][number] => {
    const { text, reasoning, toolCalls } = readGeminiParts(candidate.content?.parts ?? [], 0, names);
    const finish_reason = toFinishReason(candidate, toolCalls.length > 0);
    const logprobs = candidate.logprobsResult ? toLogprobs(candidate.logprobsResult) : undefined;
    return {
      index: candidate.index ?? position,
      message: {
        role: "assistant",
        content: text === "" && toolCalls.length > 0 ? null : text,
        ...(reasoning ? { reasoning_content: reasoning } : {}),
        ...(toolCalls.length > 0 ? { tool_calls: toolCalls.map(({ index: _index, ...call }) => call) } : {}),
      },
      ...(logprobs ? { logprobs } : {}),
      finish_reason,
    };
  });
  const usage = toOpenAIUsage(response.usageMetadata);
  return usage ? { choices, usage } : { choices };
}

/**
 * Gemini's token counts as OpenAI usage. Thinking tokens are billed as output, so they count in
 * `completion_tokens` and in `completion_tokens_details.reasoning_tokens`; tool-use prompt tokens
 * count as prompt, so the three totals add up the way Gemini's `totalTokenCount` does.
 */
export function toOpenAIUsage(metadata: GeminiUsageMetadata | undefined): Usage | undefined {
  if (!metadata) return undefined;
  const prompt = (metadata.promptTokenCount ?? 0) + (metadata.toolUsePromptTokenCount ?? 0);
  const thoughts = metadata.thoughtsTokenCount ?? 0;
  const completion = (metadata.candidatesTokenCount ?? 0) + thoughts;
  const usage: Usage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: metadata.totalTokenCount ?? prompt + completion,
  };
  if (metadata.thoughtsTokenCount !== undefined) usage.completion_tokens_details = { reasoning_tokens: thoughts };
  if (metadata.cachedContentTokenCount !== undefined) usage.prompt_tokens_details = { cached_tokens: metadata.cachedContentTokenCount };
  return usage;
}

// ---------------------------------------------------------------- streams

interface ChoiceState {
  toolCalls: number;
  finished: boolean;
}

type ChunkChoice = ChunkResult["choices"][number];

/**
 * Gemini's `streamGenerateContent` events as chat completion chunks: text and thought deltas,
 * whole function calls as tool-call deltas (numbered across the stream, per choice), the finish
 * reason on the chunk that carries it, and one usage-only chunk at the end (Gemini repeats running
 * totals on every event; the last one wins). A prompt block or an upstream finish failure throws.
 */
export async function* fromGeminiStream(
  events: AsyncIterable<GeminiResponse>,
  /** Given the `modelVersion` Gemini says answered (RequestContext.responseModel). */
  answered?: { responseModel?: string },
  /** Alias → the client's name, for functions that went to Gemini by an alias (tool-names.ts). */
  names?: ReadonlyMap<string, string>,
): AsyncGenerator<ChunkResult> {
  const choices = new Map<number, ChoiceState>();
  let usage: GeminiUsageMetadata | undefined;
  let isFirst = true;
  for await (const event of events) {
    if (answered !== undefined && answered.responseModel === undefined && event.modelVersion) answered.responseModel = event.modelVersion;
    assertPromptNotBlocked(event);
    if (event.usageMetadata) usage = event.usageMetadata;
    const out: ChunkChoice[] = [];
    (event.candidates ?? []).forEach((candidate, position) => {
      const index = candidate.index ?? position;
      const state = choices.get(index) ?? { toolCalls: 0, finished: false };
      choices.set(index, state);
      const { text, reasoning, toolCalls } = readGeminiParts(candidate.content?.parts ?? [], state.toolCalls, names);
      state.toolCalls += toolCalls.length;
      const delta: Delta = {};
      if (reasoning) delta.reasoning_content = reasoning;
      if (text) delta.content = text;
      if (toolCalls.length > 0) delta.tool_calls = toolCalls;
      const choice: ChunkChoice = { index, delta };
      if (candidate.logprobsResult) {
        const logprobs = toLogprobs(candidate.logprobsResult);
        if (logprobs) choice.logprobs = logprobs;
      }
      // Some events repeat the finish with the final usage; an OpenAI choice finishes once.
      if (candidate.finishReason && !state.finished) {
        choice.finish_reason = toFinishReason(candidate, state.toolCalls > 0);
        state.finished = true;
      }
      if (Object.keys(delta).length > 0 || choice.finish_reason) out.push(choice);
    });
    if (out.length > 0) {
      // The prompt's count, which Gemini sends from its first event, rides on the first chunk
      // (Anthropic's message_start reports it; a stream cut short is charged it). A partial usage:
      // Gemini's running output count is not the answer's, which the last chunk's whole usage gives.
      const prompt = isFirst ? event.usageMetadata?.promptTokenCount : undefined;
      isFirst = false;
      yield prompt === undefined ? { choices: out } : { choices: out, usage: { prompt_tokens: prompt } as Usage };
    }
  }
  if (choices.size === 0) throw new UpstreamError("Gemini's stream ended without any candidate.");
  const unfinished = [...choices].filter(([, state]) => !state.finished);
  // No candidate finished: the stream was cut ("if empty, the model has not stopped generating
  // tokens", Gemini's Candidate.finishReason), a failure as a cut stream of any provider is.
  if (unfinished.length === choices.size) throw new UpstreamError("Gemini's stream ended before the answer was finished (no finishReason).");
  // Of several candidates, one left without a finishReason once another finished is closed as ended; one that called tools says so.
  if (unfinished.length > 0) {
    yield { choices: unfinished.map(([index, state]) => ({ index, delta: {}, finish_reason: state.toolCalls > 0 ? "tool_calls" : "stop" })) };
  }
  const totals = toOpenAIUsage(usage);
  if (totals) yield { choices: [], usage: totals };
}

// ---------------------------------------------------------------- embeddings

/**
 * The answers of the batches, in order, as one vector per input. Gemini reports no token counts for
 * embeddings unless it sends `usageMetadata`; without it usage is left to the core (zero).
 */
export function fromGeminiEmbeddings(responses: readonly GeminiEmbedResponse[], inputs: number): EmbedResult {
  const embeddings = responses.flatMap((response) => response.embeddings.map((embedding) => embedding.values));
  if (embeddings.length !== inputs) {
    throw new UpstreamError(`Gemini returned ${embeddings.length} embeddings for ${inputs} inputs.`);
  }
  const counted = responses.filter((response) => response.usageMetadata?.promptTokenCount !== undefined);
  if (counted.length === 0) return { embeddings };
  const prompt = counted.reduce((sum, response) => sum + (response.usageMetadata?.promptTokenCount ?? 0), 0);
  return { embeddings, usage: { prompt_tokens: prompt, total_tokens: prompt } };
}
