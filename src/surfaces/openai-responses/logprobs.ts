/**
 * Log probabilities of the output text. OpenAI's Responses API returns them only when `include`
 * names `message.output_text.logprobs` (`top_logprobs` alone gives none); the chat request then asks
 * the provider for them (`logprobs`, `top_logprobs`), and a chat choice's `logprobs.content` becomes
 * the `output_text` part's `logprobs` and its delta events'. A provider that gives none leaves them empty.
 */
export const LOGPROBS_INCLUDE = "message.output_text.logprobs";

export const wantsLogprobs = (include: readonly string[] | null | undefined): boolean => include != null && include.includes(LOGPROBS_INCLUDE);

/** OpenAI's `TopLogProb`. */
export interface TopLogProb {
  token: string;
  logprob: number;
  bytes: number[];
}
/** OpenAI's `LogProb` (also a valid `ResponseLogProb`, the delta events' form, which has no `bytes`). */
export interface LogProb extends TopLogProb {
  top_logprobs: TopLogProb[];
}

const utf8 = new TextEncoder();

/** The token's UTF-8 bytes where the provider gave none (OpenAI's document requires them). */
function bytesOf(entry: { token: string; bytes?: unknown }): number[] {
  const bytes = entry.bytes;
  return Array.isArray(bytes) && bytes.every(Number.isInteger) ? (bytes as number[]) : Array.from(utf8.encode(entry.token));
}

const isTokenLogprob = (entry: unknown): entry is { token: string; logprob: number; bytes?: unknown; top_logprobs?: unknown } =>
  typeof entry === "object" && entry !== null && typeof (entry as { token?: unknown }).token === "string" && typeof (entry as { logprob?: unknown }).logprob === "number";

/** A chat choice's `logprobs` (`{ content: [...] }`, as OpenAI's Chat Completions gives them) in the Responses form; entries of another shape are left out. */
export function responseLogprobs(choiceLogprobs: unknown): LogProb[] {
  const content = (choiceLogprobs as { content?: unknown } | null | undefined)?.content;
  if (!Array.isArray(content)) return [];
  const out: LogProb[] = [];
  for (const entry of content) {
    if (!isTokenLogprob(entry)) continue;
    const top: TopLogProb[] = [];
    if (Array.isArray(entry.top_logprobs)) {
      for (const alternative of entry.top_logprobs) {
        if (isTokenLogprob(alternative)) top.push({ token: alternative.token, logprob: alternative.logprob, bytes: bytesOf(alternative) });
      }
    }
    out.push({ token: entry.token, logprob: entry.logprob, bytes: bytesOf(entry), top_logprobs: top });
  }
  return out;
}
