import { expect, test } from "bun:test";
import { overflowInAnthropicWords } from "./context-overflow.ts";

test.each([
  // vLLM ≥ 0.6, the prompt fits and max_tokens does not: Claude Code must ask again with less, not compact.
  [
    "'max_tokens' or 'max_completion_tokens' is too large: 32000. This model's maximum context length is 32768 tokens and your request has 2778 input tokens (32000 > 32768 - 2778). None",
    "input length and `max_tokens` exceed context limit: 2778 + 32000 > 32768, decrease input length or `max_tokens` and try again",
  ],
  // OpenAI and older vLLM, both ways.
  [
    "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.",
    "input length and `max_tokens` exceed context limit: 4000 + 1000 > 4096, decrease input length or `max_tokens` and try again",
  ],
  [
    "This model's maximum context length is 4096 tokens. However, you requested 6000 tokens (5000 in the messages, 1000 in the completion).",
    "prompt is too long: 5000 tokens > 4096 maximum",
  ],
  ["This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.", "prompt is too long: 130000 tokens > 128000 maximum"],
  // Words with no figures keep their text.
  ["the request exceeds the available context size, try increasing it", "prompt is too long: the request exceeds the available context size, try increasing it"],
])("%s → %s (a probe)", (upstream, anthropic) => {
  expect(overflowInAnthropicWords(upstream)).toBe(anthropic);
});
