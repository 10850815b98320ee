import { randomId } from "../../ids.ts";
import type { TokenUsage } from "../../pipeline/outcome.ts";
import type { ChatResult } from "../../plugin.ts";
import { customInput, customToolNames } from "./custom-tools.ts";
import { namespacedCalls } from "./namespace-tools.ts";
import { outputItemId } from "./item-ids.ts";
import { sealReasoning } from "./sealed-text.ts";
import { tokenLogprobs } from "../../token-logprobs.ts";
import { finishedResponse, responseUsage, statusOf, tierOf, type ResponseFrame } from "./response-frame.ts";
import type { EchoedTool, OutputItem, OutputMessageItem, ResponseObject } from "./response-schema.ts";

/**
 * A complete chat answer as a Response: thinking → a `reasoning` item, text (or a refusal) → a
 * `message` item, each tool call → a `function_call` item (a `custom_tool_call` for a custom tool),
 * in that order, as OpenAI's models emit them. With `logprobs` (the request's `include` asked), the
 * choice's log probabilities are the text's; with `sealsReasoning` (`include` names
 * `reasoning.encrypted_content`) the reasoning item carries its text sealed too. A length cut is `incomplete` with `max_output_tokens`. Pure apart from a new call id where the provider gave none.
 */
export function toResponse(
  result: ChatResult,
  frame: ResponseFrame,
  tokens: TokenUsage,
  now: number,
  logprobs = false,
  sealsReasoning = false,
  /** The tools calls are read against: the request's, and those `additional_tools` items gave. */
  tools: readonly EchoedTool[] = frame.tools,
): ResponseObject {
  const choice = result.choices[0];
  const ended = statusOf(choice?.finish_reason);
  const itemStatus = ended.status === "completed" ? "completed" : "incomplete";
  const output: OutputItem[] = [];
  const message = choice?.message;
  const reasoning = (message as { reasoning_content?: unknown } | undefined)?.reasoning_content;
  if (typeof reasoning === "string" && reasoning.length > 0) {
    const item: OutputItem = { id: outputItemId("rs_", frame.id, output.length), type: "reasoning", summary: [{ type: "summary_text", text: reasoning }] };
    // Asked for (`include`), the thinking also rides in `encrypted_content`, which a `store: false` client sends back.
    if (sealsReasoning) item.encrypted_content = sealReasoning(reasoning);
    output.push(item);
  }
  const calls = message?.tool_calls ?? [];
  const text = message?.content ?? "";
  const refusal = message?.refusal;
  if (text.length > 0 || refusal || calls.length === 0) {
    const content: OutputMessageItem["content"] = [];
    if (text.length > 0 || !refusal) content.push({ type: "output_text", text, annotations: [], logprobs: logprobs ? tokenLogprobs(choice?.logprobs) : [] });
    if (refusal) content.push({ type: "refusal", refusal });
    output.push({ id: outputItemId("msg_", frame.id, output.length), type: "message", role: "assistant", status: itemStatus, content });
  }
  const custom = calls.length > 0 ? customToolNames(tools) : undefined;
  const namespaced = calls.length > 0 ? namespacedCalls(tools) : undefined;
  for (const call of calls) {
    const inNamespace = namespaced?.get(call.function.name);
    const naming = inNamespace ? { namespace: inNamespace.namespace!, name: inNamespace.name } : { name: call.function.name };
    if (inNamespace ? inNamespace.custom : custom?.has(call.function.name)) {
      output.push({
        id: outputItemId("ctc_", frame.id, output.length),
        type: "custom_tool_call",
        status: itemStatus,
        call_id: call.id || randomId("call_"),
        ...naming,
        input: customInput(call.function.arguments),
      });
      continue;
    }
    output.push({
      id: outputItemId("fc_", frame.id, output.length),
      type: "function_call",
      status: itemStatus,
      call_id: call.id || randomId("call_"),
      ...naming,
      arguments: call.function.arguments,
    });
  }
  return finishedResponse(frame, ended, output, responseUsage(tokens, result.usage), now, tierOf(result));
}
