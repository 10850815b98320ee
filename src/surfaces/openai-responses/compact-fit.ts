import { InvalidRequestError } from "../../errors.ts";
import type { ChatRequest, Message } from "../../schemas/chat.ts";
import { countPromptParts } from "../token-count.ts";
import { headAndTail } from "./compact.ts";

/** What a tool output is cut to at the least, in tokens: enough to say what the tool did. */
const OUTPUT_FLOOR = 256;
/** Room kept for the summary when the request sets no output limit: an eighth of the context, 4,096 tokens at most. */
const summaryRoom = (contextLength: number) => Math.min(4096, Math.floor(contextLength / 8));

/**
 * A compaction's conversation fitted to the model's context (the deployment's context length, when
 * its provider reports one). The conversation is what the summary is made of, so no turn is dropped
 * (an earlier compaction's summary least of all): the longest tool outputs, what fills an agent's
 * context, are cut to their head and tail, longest first, down to 256 tokens each, until the prompt
 * fits with room left for the summary. One that does not fit even so is a 400
 * `context_length_exceeded`, as the model would answer, rather than a summary of what is left.
 * The prompt is measured with the gateway's BPE estimate (token-count.ts), as truncation "auto" is.
 */
export async function fitCompaction(chat: ChatRequest, contextLength: number): Promise<ChatRequest> {
  const budget = contextLength - (chat.max_completion_tokens ?? chat.max_tokens ?? summaryRoom(contextLength));
  const counted = await countPromptParts(chat.messages, chat.tools, chat.response_format);
  let total = counted.rest;
  for (const n of counted.messages) total += n;
  if (total <= budget) return chat;

  const messages = chat.messages.slice();
  const tokens = counted.messages.slice();
  // The tool outputs that can still be cut; the longest is cut first, again while it stays the longest.
  const open = new Set(messages.flatMap((message, i) => (message.role === "tool" && typeof message.content === "string" && tokens[i]! > OUTPUT_FLOOR ? [i] : [])));
  while (total > budget && open.size > 0) {
    let i = -1;
    for (const j of open) if (i < 0 || tokens[j]! > tokens[i]!) i = j;
    // The cut's length is reckoned at four bytes a token; the count after it is the tokenizer's.
    const target = Math.max(OUTPUT_FLOOR, tokens[i]! - (total - budget));
    const cut: Message = { ...messages[i]!, content: headAndTail(messages[i]!.content as string, target) };
    const [after] = (await countPromptParts([cut], undefined)).messages;
    if (after! >= tokens[i]! || after! <= OUTPUT_FLOOR || target === OUTPUT_FLOOR) open.delete(i);
    if (after! < tokens[i]!) {
      messages[i] = cut;
      total -= tokens[i]! - after!;
      tokens[i] = after!;
    }
  }
  if (total > budget) {
    throw new InvalidRequestError(
      `The conversation to compact exceeds the context window of this model (${contextLength} tokens, ${contextLength - budget} of them kept for the summary) even with its tool outputs shortened. Compact an earlier part of it, or use a model with a larger context.`,
      { param: "input", code: "context_length_exceeded" },
    );
  }
  return { ...chat, messages };
}
