import type { ChatResult, ChunkResult } from "../plugin.ts";
import type { Usage } from "../schemas/common.ts";
import type { TokenUsage } from "./outcome.ts";

/** Roughly four characters a token: the gateway's own figure when a provider reports no usage. */
const estimateTokens = (chars: number) => (chars === 0 ? 0 : Math.max(1, Math.ceil(chars / 4)));

/**
 * The most tokens one of a provider's figures may say: a billion, a hundred times the largest
 * context window (10 M tokens) and more than any one request can read or write. Above it a figure
 * is an upstream's bug (a negative count read as an unsigned 64-bit one: 1.8e19; 1e300), not usage:
 * the gateway estimates instead, as for a negative one. So limits, logs and metrics never take
 * absurd values: a token update Redis's INCRBY refuses (signed 64 bits; a day's counter now takes
 * 9e9 such requests), or histogram sums no longer exact as doubles.
 */
export const MAX_TOKENS = 1_000_000_000;

/** A token figure as a provider should give it: a finite number, not negative, at most MAX_TOKENS. */
export const isCount = (n: unknown): n is number => typeof n === "number" && n >= 0 && n <= MAX_TOKENS;

/**
 * A provider's count as the gateway counts it: a negative, fractional, absurdly large or
 * non-numeric figure (an upstream's bug) is none, so that no histogram sum, log line, span or limit
 * goes down or reads nonsense.
 */
const count = (n: unknown): number => (isCount(n) ? Math.floor(n) : 0);

/**
 * A provider's usage as the pipeline counts it, when it has both figures; undefined otherwise (see
 * withEstimates). Thinking it sent as text (`reasoningChars`) but did not count (Ollama's `thinking`,
 * vLLM's `reasoning_content`) is estimated, within the output it counted.
 */
export function toTokenUsage(usage: Usage | null | undefined, reasoningChars = 0): TokenUsage | undefined {
  if (!usage || !isCount(usage.prompt_tokens) || !isCount(usage.completion_tokens)) return undefined;
  const output = count(usage.completion_tokens);
  const thought = usage.completion_tokens_details?.reasoning_tokens;
  const reasoning = isCount(thought) ? count(thought) : reasoningChars > 0 ? Math.min(output, estimateTokens(reasoningChars)) : 0;
  return { input: count(usage.prompt_tokens), output, reasoning };
}

/**
 * The gateway's estimate, with the figures a provider's partial usage has (some servers send
 * `{"prompt_tokens": 5}` alone, or `completion_tokens: null`): what it left out is estimated, and
 * the whole marked so; never a 0 or a null passed on.
 */
function withEstimates(usage: Usage | null | undefined, guessed: TokenUsage): TokenUsage {
  if (!usage) return guessed;
  const prompt = usage.prompt_tokens;
  const completion = usage.completion_tokens;
  const total = usage.total_tokens;
  const thought = usage.completion_tokens_details?.reasoning_tokens;
  // A figure left out but implied by the total and the other (OpenAI's total is prompt + completion; a total below the other implies nothing).
  const input = isCount(prompt) ? count(prompt) : isCount(total) && isCount(completion) && total >= completion ? count(total) - count(completion) : undefined;
  const output = isCount(completion) ? count(completion) : isCount(total) && isCount(prompt) && total > prompt ? count(total) - count(prompt) : undefined;
  // Thinking the provider sent as text but did not count (Ollama, vLLM): estimated, within its output.
  const reasoning = isCount(thought) ? count(thought) : output !== undefined ? Math.min(output, guessed.reasoning) : guessed.reasoning;
  return {
    input: input ?? guessed.input,
    // Reasoning the provider counted is output, however short the text the estimate saw.
    output: output ?? Math.max(guessed.output, reasoning + guessed.output - guessed.reasoning),
    reasoning,
    ...(input === undefined || output === undefined ? { estimated: true } : {}),
  };
}

/** Whether a usage has the figures Chat Completions' usage must (a provider's that lacks one is replaced by the pipeline's count). */
export const isWholeUsage = (usage: Usage | null | undefined): boolean =>
  usage != null && isCount(usage.prompt_tokens) && isCount(usage.completion_tokens) && isCount(usage.total_tokens);

/**
 * The prompt's tokens as the gateway estimates them, for a provider that reports none: read only
 * then, and at most once a request where a surface has its own count (Anthropic's `message_start`
 * tells the client one before the answer: the request's outcome must say the same).
 */
export type InputEstimate = () => number;

/** The default estimate: four characters a token of the messages' text. */
export const byChars =
  (messages: readonly { content?: unknown }[]): InputEstimate =>
  () =>
    estimateTokens(requestChars(messages));

/** Characters of a chat request's text, for an estimate of its input tokens. */
export function requestChars(messages: readonly { content?: unknown }[]): number {
  let chars = 0;
  for (const message of messages) {
    const content = message.content;
    if (typeof content === "string") chars += content.length;
    else if (Array.isArray(content)) {
      for (const part of content) if (typeof part?.text === "string") chars += part.text.length;
    }
  }
  return chars;
}

/** Whether a chunk's delta carries any of the answer (text, reasoning, a refusal, a tool call, audio: not only a role, a finish reason or usage). */
function carriesToken(delta: ChunkResult["choices"][number]["delta"]): boolean {
  const d = delta as { content?: unknown; reasoning_content?: unknown; refusal?: unknown; tool_calls?: unknown[] | null; audio?: unknown };
  return (
    (typeof d.content === "string" && d.content !== "") ||
    (typeof d.audio === "object" && d.audio !== null) ||
    (typeof d.reasoning_content === "string" && d.reasoning_content !== "") ||
    (typeof d.refusal === "string" && d.refusal !== "") ||
    (Array.isArray(d.tool_calls) && d.tool_calls.length > 0)
  );
}

/**
 * Whether a batch of a stream's first chunks begins the answer: a token (text, reasoning, a refusal,
 * a tool call, audio) or a finish. A role-only delta, an empty batch, a content-filter note or usage
 * alone say nothing yet: until one that does, a failure is still no answer (an HTTP error the
 * route may retry or fall back from), not a stream begun.
 */
export function startsAnswer(batch: ChunkResult | readonly ChunkResult[]): boolean {
  const chunks = Array.isArray(batch) ? (batch as readonly ChunkResult[]) : [batch as ChunkResult];
  for (const chunk of chunks) {
    for (const choice of chunk.choices) if (choice.finish_reason != null || carriesToken(choice.delta)) return true;
  }
  return false;
}

/**
 * What a stream has carried so far: the provider's usage (the last figures it sent), its finish
 * reason, and the characters of output, so a stream without usage (or one the client left) is still
 * counted. Reads the chunks; never changes them.
 */
export class StreamTally {
  usage: Usage | undefined;
  finishReason: string | undefined;
  outputChars = 0;
  reasoningChars = 0;
  chunks = 0;
  /**
   * `performance.now()` at the first chunk that carried a token (text, reasoning, a tool call, a
   * refusal): the GenAI conventions' time to first token. A provider's first chunk may carry none
   * (Azure's content-filter results, a role-only delta), and a stream may end without any.
   */
  firstTokenAt: number | undefined;
  /**
   * The provider's first batch: when it arrived, and how many chunks it holds. Its chunks are read
   * when the answer's body is first pulled (after the headers, a background run's first store
   * write): a token among them came when the batch did.
   */
  #firstBatch: { at: number; chunks: number } | undefined;

  firstBatchArrived(at: number, chunks: number): void {
    this.#firstBatch = { at, chunks };
  }

  constructor(private readonly inputTokens: InputEstimate) {}

  add(chunk: ChunkResult): void {
    this.chunks++;
    if (chunk.usage) this.usage = chunk.usage;
    const choices = chunk.choices;
    for (let i = 0; i < choices.length; i++) {
      const choice = choices[i]!;
      const delta = choice.delta;
      if (typeof delta.content === "string") this.outputChars += delta.content.length;
      const reasoning = (delta as { reasoning_content?: unknown }).reasoning_content;
      if (typeof reasoning === "string") this.reasoningChars += reasoning.length;
      const calls = delta.tool_calls;
      if (calls) {
        for (const call of calls) {
          // Checked before it is counted (plugin-output.ts): text or nothing.
          const args = call.function?.arguments;
          if (typeof args === "string") this.outputChars += args.length;
          if (call.function?.name) this.outputChars += call.function.name.length;
        }
      }
      if (choice.finish_reason) this.finishReason = choice.finish_reason;
      if (this.firstTokenAt === undefined && carriesToken(delta)) {
        this.firstTokenAt = this.#firstBatch !== undefined && this.chunks <= this.#firstBatch.chunks ? this.#firstBatch.at : performance.now();
      }
    }
  }

  /** The provider's figures when it sent any, else the gateway's estimate. */
  tokens(): TokenUsage {
    const reported = toTokenUsage(this.usage, this.reasoningChars);
    if (reported) return reported;
    const reasoning = estimateTokens(this.reasoningChars);
    return withEstimates(this.usage, { input: this.inputTokens(), output: estimateTokens(this.outputChars) + reasoning, reasoning, estimated: true });
  }
}

/**
 * What a call given up while its provider worked used, as far as the gateway can tell: its input
 * (the provider read it, and bills it), no output.
 */
export const inputOnly = (input: number): TokenUsage => ({ input, output: 0, reasoning: 0, estimated: true });

/**
 * An embeddings input's tokens: the provider's `prompt_tokens` when it is a count (isCount), else
 * token ids counted, text estimated.
 */
export function embeddedTokens(input: readonly string[] | readonly (readonly number[])[], reported?: unknown): TokenUsage {
  if (isCount(reported)) return { input: Math.floor(reported), output: 0, reasoning: 0 };
  let count = 0;
  if (typeof input[0] === "string") {
    for (const text of input as readonly string[]) count += text.length;
    return inputOnly(estimateTokens(count));
  }
  for (const ids of input as readonly (readonly number[])[]) count += ids.length;
  return { input: count, output: 0, reasoning: 0 };
}

/** Usage of a complete answer: the provider's, or an estimate from the text. */
export function resultTokens(result: ChatResult, inputTokens: InputEstimate): TokenUsage {
  let thinking = 0;
  for (const choice of result.choices) {
    const r = (choice.message as { reasoning_content?: unknown }).reasoning_content;
    if (typeof r === "string") thinking += r.length;
  }
  const reported = toTokenUsage(result.usage, thinking);
  if (reported) return reported;
  let out = 0;
  for (const choice of result.choices) {
    const m = choice.message;
    if (typeof m.content === "string") out += m.content.length;
    for (const call of m.tool_calls ?? []) out += call.function.arguments.length + call.function.name.length;
  }
  const reasoning = estimateTokens(thinking);
  return withEstimates(result.usage, { input: inputTokens(), output: estimateTokens(out) + reasoning, reasoning, estimated: true });
}
