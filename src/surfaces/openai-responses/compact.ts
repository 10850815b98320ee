import { UpstreamError } from "../../errors.ts";
import type { TokenUsage } from "../../pipeline/outcome.ts";
import type { ChatResult } from "../../plugin.ts";
import type { Usage } from "../../schemas/common.ts";
import type { ChatRequest } from "../../schemas/chat.ts";
import { COMPACTION_PROMPT, sealCompaction } from "./compaction.ts";
import { outputItemId } from "./item-ids.ts";
import type { ResponsesCompactRequest, ResponsesRequest } from "./request-schema.ts";
import { finishedResponse, responseUsage, statusOf, type ResponseFrame } from "./response-frame.ts";
import type { CompactedResponse, CompactionItem, InputItemResource, ResponseObject } from "./response-schema.ts";

/**
 * A compaction, as OpenAI's `POST /v1/responses/compact` makes one: the model summarises the
 * conversation (asked after it, compaction.ts), and the answer is "all user messages, followed by a
 * single compaction item" (OpenAI's SDK), which the client sends as its next request's input in
 * place of the conversation. User messages are kept newest first within 64,000 tokens, the budget
 * Codex mirrors from OpenAI's endpoint; the one that crosses it keeps the head and tail of its text.
 */

/** The compaction request as the create request whose conversation the model reads; its tools are named and none may be called. */
export function compactionFields(body: ResponsesCompactRequest): ResponsesRequest {
  const fields: ResponsesRequest = { model: body.model };
  if (body.instructions != null) fields.instructions = body.instructions;
  if (body.tools != null && body.tools.length > 0) {
    fields.tools = body.tools;
    fields.tool_choice = "none";
    if (body.parallel_tool_calls != null) fields.parallel_tool_calls = body.parallel_tool_calls;
  }
  if (body.reasoning != null) fields.reasoning = body.reasoning;
  if (body.prompt_cache_key != null) fields.prompt_cache_key = body.prompt_cache_key;
  if (body.prompt_cache_retention != null) fields.prompt_cache_retention = body.prompt_cache_retention;
  if (body.prompt_cache_options != null) fields.prompt_cache_options = body.prompt_cache_options;
  if (body.safety_identifier != null) fields.safety_identifier = body.safety_identifier;
  if (body.service_tier != null) fields.service_tier = body.service_tier;
  return fields;
}

export const NO_SUMMARY = "The model wrote no summary for the compaction: its answer held no text.";

/** The summary the model wrote: its answer's text. An answer without any is the upstream's failure, not an empty summary that would lose the conversation. */
export function summaryOf(result: ChatResult): string {
  const text = result.choices[0]?.message?.content;
  if (typeof text !== "string" || text.trim() === "") throw new UpstreamError(NO_SUMMARY);
  return text;
}

/**
 * A create request ending with `compaction_trigger` as its compaction's model call: its tools named
 * and none called, no answer format, no log probabilities (the summary is free text, and not shown).
 */
export function asCompaction(chat: ChatRequest): ChatRequest {
  if (chat.tools !== undefined) chat.tool_choice = "none";
  delete chat.response_format;
  delete chat.logprobs;
  delete chat.top_logprobs;
  return withCompactionPrompt(chat);
}

/**
 * A create request's compaction as its Response: one compaction item, completed (or incomplete where
 * the model was cut); `kept`, the user messages the compaction keeps (retainedUserMessages of the
 * conversation compacted), which the item holds.
 */
export function compactionResponse(result: ChatResult, frame: ResponseFrame, tokens: TokenUsage, now: number, kept: readonly InputItemResource[]): ResponseObject {
  return finishedResponse(frame, statusOf(result.choices[0]?.finish_reason), [compactionItem(summaryOf(result), frame.id, 0, kept)], responseUsage(tokens, result.usage), now);
}

/**
 * What a continuation of a compaction (a response whose output holds a compaction item) reads
 * before its input: the compacted conversation, as the compact endpoint answers it (the user
 * messages within the budget, then the output), not the whole conversation the item replaced.
 */
export function compactedBefore(input: readonly InputItemResource[], output: readonly InputItemResource[]): InputItemResource[] {
  return [...retainedUserMessages(input), ...output];
}

/**
 * What the model reads of a conversation's items (Conversations API): all of them, or, once a
 * compaction is among them, the compacted conversation (the user messages before the last
 * compaction item within the budget, then that item and what follows), not the turns it replaced.
 */
export function fromLastCompaction(items: readonly InputItemResource[]): InputItemResource[] {
  let last = -1;
  for (let i = items.length - 1; i >= 0 && last < 0; i--) if (items[i]!.type === "compaction") last = i;
  return last < 0 ? (items as InputItemResource[]) : compactedBefore(items.slice(0, last), items.slice(last));
}

/**
 * The compaction item of response `responseId` at output `index`: its id names them, as other output
 * items' do (item-ids.ts); it holds the summary and the user messages kept (`kept`, compaction.ts).
 */
export function compactionItem(summary: string, responseId: string, index: number, kept: readonly InputItemResource[]): CompactionItem {
  return { id: outputItemId("cmp_", responseId, index), type: "compaction", encrypted_content: sealCompaction(summary, kept.map((item) => item.content)) };
}

/** The chat request of a compaction, the prompt last (a trigger made into items, or a referenced conversation, leaves it out: it is added here). */
export function withCompactionPrompt(chat: ChatRequest): ChatRequest {
  const last = chat.messages[chat.messages.length - 1];
  if (last?.role !== "user" || last.content !== COMPACTION_PROMPT) chat.messages.push({ role: "user", content: COMPACTION_PROMPT });
  return chat;
}

export function compactedResponse(
  id: string,
  conversation: readonly InputItemResource[],
  summary: string,
  tokens: TokenUsage,
  reported: Usage | null | undefined,
  now: number,
): CompactedResponse {
  const kept = retainedUserMessages(conversation);
  const output = [...kept] as CompactedResponse["output"];
  output.push(compactionItem(summary, id, output.length, kept));
  return { id, object: "response.compaction", created_at: now, output, usage: responseUsage(tokens, reported) };
}

const RETAINED_TOKENS = 64_000;

type Part = { type: string; text?: string } & Record<string, unknown>;

/** Four UTF-8 bytes a token, as Codex counts for this budget: a budget, not a bill. */
const approxTokens = (text: string) => Math.ceil(Buffer.byteLength(text, "utf8") / 4);

function textTokens(parts: readonly Part[]): number {
  let n = 0;
  for (const part of parts) if (typeof part.text === "string") n += approxTokens(part.text);
  return n;
}

/** The user messages of a conversation (normalized items), newest first within `budget` tokens, in their order. */
export function retainedUserMessages(items: readonly InputItemResource[], budget = RETAINED_TOKENS): InputItemResource[] {
  const kept: InputItemResource[] = [];
  let left = budget;
  for (let i = items.length - 1; i >= 0 && left > 0; i--) {
    const item = items[i]!;
    if (item.type !== "message" || item.role !== "user") continue;
    const parts = item.content as Part[];
    // A message of images alone still takes a token, so a budget spent drops them too.
    const n = Math.max(1, textTokens(parts));
    if (n <= left) {
      kept.push(item);
      left -= n;
      continue;
    }
    const cut = truncatedParts(parts, left);
    if (cut.length > 0) kept.push({ ...item, content: cut });
    left = 0;
  }
  return kept.reverse();
}

/** A message's parts within `budget` tokens: text parts in order until it is spent (the one crossing it keeps its head and tail), images and files all. */
function truncatedParts(parts: readonly Part[], budget: number): Part[] {
  const out: Part[] = [];
  let left = budget;
  for (const part of parts) {
    if (typeof part.text !== "string") {
      out.push(part);
      continue;
    }
    if (left === 0) continue;
    const n = approxTokens(part.text);
    if (n <= left) {
      out.push(part);
      left -= n;
      continue;
    }
    out.push({ ...part, text: headAndTail(part.text, left) });
    left = 0;
  }
  return out;
}

/**
 * `text` cut to about `tokens` tokens: its head and its tail, and how much was left out between.
 * The cut keeps the share of characters that the budget is of the bytes, and never splits a
 * surrogate pair (a lone half is not text a JSON parser such as Codex's serde accepts).
 */
export function headAndTail(text: string, tokens: number): string {
  const keep = Math.floor((text.length * tokens * 4) / Buffer.byteLength(text, "utf8"));
  let headEnd = Math.ceil(keep / 2);
  let tailStart = text.length - Math.floor(keep / 2);
  if (isHighSurrogate(text.charCodeAt(headEnd - 1))) headEnd--;
  if (isLowSurrogate(text.charCodeAt(tailStart))) tailStart++;
  return `${text.slice(0, headEnd)}…${approxTokens(text) - tokens} tokens truncated…${text.slice(tailStart)}`;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;
