/**
 * An upstream's context overflow in Anthropic's words, which Claude Code acts on: "prompt is too
 * long: <input> tokens > <limit> maximum" when the prompt alone does not fit (it compacts the
 * conversation), "input length and `max_tokens` exceed context limit: <input> + <max_tokens> >
 * <limit>, …" when the prompt fits and the answer's room does not (it asks again with a smaller
 * `max_tokens`; compacting would not help). The figures are read from the words of OpenAI and vLLM;
 * other wordings keep their text after "prompt is too long: ".
 */
export function overflowInAnthropicWords(message: string): string {
  let limit: number | undefined;
  let input: number | undefined;
  let asked: number | undefined;
  // vLLM ≥ 0.6: "'max_tokens' or 'max_completion_tokens' is too large: 32000. This model's maximum context length is 32768 tokens and your request has 2778 input tokens (32000 > 32768 - 2778)."
  let m = /too large: (\d+)\. This model's maximum context length is (\d+) tokens and your request has (\d+) input tokens/.exec(message);
  if (m) [asked, limit, input] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // OpenAI, older vLLM: "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion)."
  m ??= /maximum context length is (\d+) tokens\. However, you requested \d+ tokens \((\d+) in the messages, (\d+) in the completion\)/.exec(message);
  if (m && limit === undefined) [limit, input, asked] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // OpenAI: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens."
  m ??= /maximum context length is (\d+) tokens\. However, your messages resulted in (\d+) tokens/.exec(message);
  if (m && limit === undefined) [limit, input] = [Number(m[1]), Number(m[2])];
  if (limit === undefined || input === undefined) return `prompt is too long: ${message}`;
  if (input >= limit || asked === undefined) return `prompt is too long: ${input} tokens > ${limit} maximum`;
  return `input length and \`max_tokens\` exceed context limit: ${input} + ${asked} > ${limit}, decrease input length or \`max_tokens\` and try again`;
}
