/**
 * Log probabilities of the answer's tokens, for surfaces that answer them in a list of their own:
 * a chat choice's `logprobs.content` (OpenAI's Chat Completions form, which every plugin gives) as
 * `{ token, logprob, bytes, top_logprobs }` entries — OpenAI Responses' `LogProb`, and Ollama's.
 */

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

/** A chat choice's `logprobs` (`{ content: [...] }`) as a list of tokens; entries of another shape are left out. */
export function tokenLogprobs(choiceLogprobs: unknown): LogProb[] {
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
