/**
 * A compaction item's content. OpenAI's `encrypted_content` is a summary only OpenAI can read back;
 * this gateway, in front of any model, writes its own: the summary the model wrote, in a form any
 * Ollaix reads back (a version prefix, then base64url of `{"summary": …}`), so a replica or a
 * restarted gateway reads what another made. Encoded, not encrypted: it is the client's own
 * conversation, which the client holds anyway, and a forged one says no more than a user message.
 */
const PREFIX = "ollaix.compaction.v1.";

/** The content of a compaction item holding `summary`. */
export function sealSummary(summary: string): string {
  return PREFIX + Buffer.from(JSON.stringify({ summary }), "utf8").toString("base64url");
}

/** The summary a compaction item of this gateway's making holds; undefined for any other content (OpenAI's own, or damaged). */
export function openSummary(content: string): string | undefined {
  if (!content.startsWith(PREFIX)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(content.slice(PREFIX.length), "base64url").toString("utf8"));
    const summary = (value as { summary?: unknown } | null)?.summary;
    return typeof summary === "string" ? summary : undefined;
  } catch {
    return undefined;
  }
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
