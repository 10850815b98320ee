import { sealValue, unsealText, unsealValue } from "./sealed-text.ts";

/**
 * A compaction item's content. OpenAI's `encrypted_content` is a summary only OpenAI can read back;
 * this gateway, in front of any model, writes its own: the summary the model wrote, sealed as
 * sealed-text.ts seals text (readable by any Ollaix, encoded, not encrypted).
 */
const PREFIX = "ollaix.compaction.v1.";

/**
 * The content of a compaction item holding `summary` and the content of the user messages the
 * compaction kept (`users`, each a message's `content`): the item stands for the whole compacted
 * conversation, as OpenAI's does, so a client that drops what comes before it (the Agents SDK's
 * compaction session) loses nothing. Builds before `users` read the summary alone.
 */
export const sealCompaction = (summary: string, users: readonly unknown[] = []): string =>
  sealValue(PREFIX, users.length > 0 ? { text: summary, users } : { text: summary });

/** A compaction item's content with the summary alone (what builds before `users` wrote). */
export const sealSummary = (summary: string): string => sealCompaction(summary);

/** The summary a compaction item of this gateway's making holds; undefined for any other content (OpenAI's own, or damaged). */
export const openSummary = (content: string): string | undefined => unsealText(PREFIX, content, "summary"); // `summary`: the first builds' items

/** The user messages' content a compaction item of this gateway's making kept (none in older items, or any other content). */
export function keptUsers(content: string): unknown[] {
  const users = unsealValue(PREFIX, content)?.users;
  return Array.isArray(users) ? users : [];
}

/** What the model is asked, after the conversation, to make a compaction's summary. */
export const COMPACTION_PROMPT =
  "Compact this conversation: it will continue in a fresh context that holds only the user's messages and your summary. " +
  "Write a handoff summary for whoever continues the work: the user's goals, requirements and constraints; what has been done and decided, " +
  "with the exact names, paths, commands, identifiers and values it will need; what the tools returned that still matters; what is unfinished or failing; " +
  "and the next steps. Answer with the summary only.";

/** What the model reads in place of a compaction item: its summary, said to be one. */
export function summaryMessage(summary: string): string {
  return `Summary of the conversation so far (its earlier turns were compacted into it):\n\n${summary}`;
}
