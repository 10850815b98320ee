import { randomId } from "../../ids.ts";
import type { ChatResult } from "../../plugin.ts";
import type { Usage } from "../../schemas/common.ts";
import { matchedStopOf, REFUSAL, toStopReason } from "./map-stop-reason.ts";
import type { DeltaUsage, MessageResponse, MessageUsage, ResponseBlock } from "./schema.ts";
import { callExtras, encodeSignature, type SignaturePayload } from "./thinking-signature.ts";
import { toToolUseId } from "./tool-use-id.ts";
import { isCount } from "../../pipeline/tally.ts";

// The answer's types come from its schema (schema.ts), which /docs/json shows.
export type AnthropicBlock = ResponseBlock;
export type AnthropicUsage = MessageUsage;
export type AnthropicMessage = Omit<MessageResponse, "context_management">;

/** Chat usage as Anthropic's `message_delta` has it: `input_tokens` leaves out what was read from a cache, as Anthropic counts. */
export function toDeltaUsage(usage: Usage | undefined, estimatedInput: () => number, estimatedOutput = 0): DeltaUsage {
  if (!usage) return { input_tokens: estimatedInput(), output_tokens: estimatedOutput, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens_details: null, server_tool_use: null };
  const cached = isCount(usage.prompt_tokens_details?.cached_tokens) ? usage.prompt_tokens_details.cached_tokens : 0;
  const thinking = usage.completion_tokens_details?.reasoning_tokens;
  // A figure the provider left out is the estimate (Anthropic's usage has both, always integers).
  return {
    input_tokens: isCount(usage.prompt_tokens) ? Math.max(0, usage.prompt_tokens - cached) : estimatedInput(),
    output_tokens: isCount(usage.completion_tokens) ? usage.completion_tokens : estimatedOutput,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
    output_tokens_details: typeof thinking === "number" ? { thinking_tokens: thinking } : null,
    server_tool_use: null,
  };
}

/** A Message's usage: the delta's fields and those only a Message has (no cache is written here, no tier but the standard one). */
export function toAnthropicUsage(usage: Usage | undefined, estimatedInput: () => number, estimatedOutput = 0): AnthropicUsage {
  return { ...toDeltaUsage(usage, estimatedInput, estimatedOutput), ...MESSAGE_ONLY_USAGE, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 } };
}
const MESSAGE_ONLY_USAGE = { service_tier: "standard", inference_geo: null, speed: null } as const;

/** A refusal's `stop_details` (Anthropic's RefusalStopDetails), else null. */
export const stopDetailsOf = (stopReason: string): MessageResponse["stop_details"] =>
  stopReason === "refusal" ? { type: "refusal", category: null, explanation: null } : null;

/** A tool call's JSON arguments as the object Anthropic's `input` is. */
export function parseToolInput(text: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    return { value };
  } catch {
    // A provider that produced broken JSON: keep what it said rather than dropping it.
    return { arguments: text };
  }
}

/**
 * A complete chat answer as an Anthropic Message: thinking (with Ollaix's signature), text, then
 * tool_use blocks; the first choice only (Anthropic has no `n`).
 */
export function toAnthropicMessage(
  result: ChatResult,
  o: { model: string; stopSequences?: readonly string[]; estimatedInput: () => number; omitThinking?: boolean; estimatedOutput?: number },
): AnthropicMessage {
  const choice = result.choices[0];
  const message = choice?.message;
  const content: AnthropicBlock[] = [];
  const calls = message?.tool_calls ?? [];
  const reasoning = (message as { reasoning_content?: unknown } | undefined)?.reasoning_content;
  if (typeof reasoning === "string" && reasoning !== "") {
    const extras: Record<string, Record<string, unknown>> = {};
    for (const call of calls) {
      const extra = callExtras(call);
      if (extra) extras[call.id] = extra;
    }
    const payload: SignaturePayload = Object.keys(extras).length > 0 ? { calls: extras } : {};
    // `thinking.display: "omitted"`: the text goes in the signature only, for the next turn.
    if (o.omitThinking) payload.thinking = reasoning;
    content.push({ type: "thinking", thinking: o.omitThinking ? "" : reasoning, signature: encodeSignature(payload) });
  }
  if (typeof message?.content === "string" && message.content !== "") content.push({ type: "text", text: message.content, citations: null });
  // OpenAI's refusal has no block of its own in Anthropic's format: its text, and stop_reason `refusal`.
  const refused = typeof message?.refusal === "string" && message.refusal !== "";
  if (refused) content.push({ type: "text", text: message!.refusal!, citations: null });
  for (const call of calls) {
    content.push({ type: "tool_use", id: toToolUseId(call.id || randomId("call_"), callExtras(call)), name: call.function.name ?? "", input: parseToolInput(call.function.arguments ?? ""), caller: DIRECT });
  }
  const stop =
    refused && calls.length === 0 && choice?.finish_reason !== "length" // a refusal cut off by the token limit is reported as cut off
      ? REFUSAL
      : toStopReason(choice?.finish_reason, { hasToolCalls: calls.length > 0, matched: choice ? matchedStopOf(choice) : undefined, stopSequences: o.stopSequences });
  return {
    id: randomId("msg_"),
    type: "message",
    role: "assistant",
    model: o.model,
    content,
    ...stop,
    stop_details: stopDetailsOf(stop.stop_reason),
    container: null,
    diagnostics: null,
    usage: toAnthropicUsage(result.usage, o.estimatedInput, o.estimatedOutput),
  };
}

/** A tool call's `caller`: the model called it (no server tool runs here). */
export const DIRECT = { type: "direct" } as const;
