import { InvalidRequestError } from "../../errors.ts";
import type { ChatRequest } from "../../schemas/chat.ts";
import { countPromptParts } from "../token-count.ts";

/**
 * `truncation: "auto"`, as OpenAI describes it: when the input would not fit the model's context
 * window, items are dropped from the beginning of the conversation. Here the window is the
 * deployment's context length (when its provider reports one), less `max_output_tokens`, and the
 * prompt is measured with the gateway's BPE estimate (token-count.ts), not the model's tokenizer.
 *
 * The instructions (the leading system and developer messages) stay. The conversation resumes at a
 * user message where one fits, else at an assistant message, never at a tool result (its call would
 * be gone): providers refuse a tool message without its call, and many a conversation that does not
 * start with the user. An input that does not fit even so is a 400 `context_length_exceeded`.
 */
export async function dropOldestItems(chat: ChatRequest, contextLength: number): Promise<ChatRequest> {
  const budget = contextLength - (chat.max_completion_tokens ?? chat.max_tokens ?? 0);
  const messages = chat.messages;
  const counted = await countPromptParts(messages, chat.tools, chat.response_format);
  let kept = counted.rest;
  for (const n of counted.messages) kept += n;
  if (kept <= budget) return chat;

  let first = 0;
  while (first < messages.length - 1 && (messages[first]!.role === "system" || messages[first]!.role === "developer")) first++;
  // Tokens from message i to the end, for each place the conversation could resume.
  let fixed = counted.rest;
  for (let i = 0; i < first; i++) fixed += counted.messages[i]!;
  const suffix: number[] = new Array(messages.length + 1).fill(0);
  for (let i = messages.length - 1; i >= first; i--) suffix[i] = suffix[i + 1]! + counted.messages[i]!;
  // Where each tool result's call is (the last assistant turn before it that made the call), and
  // from each place on, the earliest such call: a conversation resumed at i keeps every call its
  // results answer only if that is at i or later.
  const callAt = new Map<string, number>();
  const earliestCall: number[] = new Array(messages.length + 1).fill(Infinity);
  const callOf: number[] = new Array(messages.length).fill(Infinity);
  messages.forEach((message, i) => {
    for (const call of message.tool_calls ?? []) callAt.set(call.id, i);
    if (message.role === "tool") callOf[i] = callAt.get(message.tool_call_id ?? "") ?? Infinity;
  });
  for (let i = messages.length - 1; i >= 0; i--) earliestCall[i] = Math.min(earliestCall[i + 1]!, callOf[i]!);
  const canStart = (i: number) => messages[i]!.role !== "tool" && earliestCall[i]! >= i && fixed + suffix[i]! <= budget;
  let start = -1;
  for (let i = first + 1; i < messages.length && start < 0; i++) if (messages[i]!.role === "user" && canStart(i)) start = i;
  for (let i = first + 1; i < messages.length && start < 0; i++) if (messages[i]!.role === "assistant" && canStart(i)) start = i;
  if (start < 0) {
    throw new InvalidRequestError(
      `Your input exceeds the context window of this model (${contextLength} tokens${budget < contextLength ? `, ${contextLength - budget} of them kept for max_output_tokens` : ""}), even after dropping the oldest items (truncation "auto"). Shorten the input or the instructions.`,
      { param: "input", code: "context_length_exceeded" },
    );
  }
  return { ...chat, messages: [...messages.slice(0, first), ...messages.slice(start)] };
}
