/**
 * OpenAI's Responses API returns the output text's log probabilities only when `include` names
 * `message.output_text.logprobs` (`top_logprobs` alone gives none). The chat request then asks the
 * provider for them (`logprobs`, `top_logprobs`), and a chat choice's `logprobs.content` becomes the
 * `output_text` part's `logprobs` and its delta events' (src/token-logprobs.ts). A provider that
 * gives none leaves them empty.
 */
export const LOGPROBS_INCLUDE = "message.output_text.logprobs";

export const wantsLogprobs = (include: readonly string[] | null | undefined): boolean => include != null && include.includes(LOGPROBS_INCLUDE);
