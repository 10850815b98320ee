import type { FinishReason } from "../../src/kit.ts";

/**
 * An upstream's finish reason as one of the contract's four. OpenAI-compatible servers mostly send
 * these already; the others seen in the wild: `function_call` (OpenAI's deprecated functions),
 * `eos`/`eos_token` (older TGI and llama.cpp builds), `end_turn`/`stop_sequence`/`max_tokens`
 * (Anthropic-shaped proxies), `abort` (vLLM when a request was cancelled), `error` (OpenRouter).
 * A value nobody documents counts as a normal end.
 */
export function mapFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case "stop":
    case "length":
    case "tool_calls":
    case "content_filter":
      return reason;
    case "function_call":
    case "tool_use":
      return "tool_calls";
    case "max_tokens":
    case "model_length":
      return "length";
    case "eos":
    case "eos_token":
    case "end_turn":
    case "stop_sequence":
    case "abort":
    case "error":
    case null:
    case undefined:
      return "stop";
    default:
      return "stop";
  }
}
