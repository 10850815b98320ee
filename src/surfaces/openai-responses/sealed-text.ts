/**
 * Text the gateway hands a client to send back as an opaque field (`encrypted_content` of a
 * compaction item or a reasoning item): a kind's prefix, then base64url of `{"text": …}`, which any
 * Ollaix reads back (a replica, a restarted gateway). Encoded, not encrypted: it is the client's own
 * conversation, which the client holds anyway, and a forged one says no more than a user message.
 */
export function sealText(prefix: string, text: string): string {
  return prefix + Buffer.from(JSON.stringify({ text }), "utf8").toString("base64url");
}

/** `sealText` of an object with more than its text (`{text, …}`): older builds read its text alone. */
export function sealValue(prefix: string, value: { text: string } & Record<string, unknown>): string {
  return prefix + Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}

/** The object sealed with `prefix`; undefined for any other content (OpenAI's own, or damaged). */
export function unsealValue(prefix: string, content: string): Record<string, unknown> | undefined {
  if (!content.startsWith(prefix)) return undefined;
  try {
    const value = JSON.parse(Buffer.from(content.slice(prefix.length), "base64url").toString("utf8")) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The text of content sealed with `prefix` (under `text`, or an earlier build's `field`); undefined for any other content (OpenAI's own, or damaged). */
export function unsealText(prefix: string, content: string, field = "text"): string | undefined {
  const value = unsealValue(prefix, content);
  const text = value?.text ?? value?.[field];
  return typeof text === "string" ? text : undefined;
}

/** What `include` asks for to have reasoning items carry `encrypted_content` (for `store: false` histories). */
export const REASONING_INCLUDE = "reasoning.encrypted_content";
const REASONING_PREFIX = "ollaix.reasoning.v1.";

export const wantsSealedReasoning = (include: readonly string[] | null | undefined): boolean => include != null && include.includes(REASONING_INCLUDE);
export const sealReasoning = (text: string): string => sealText(REASONING_PREFIX, text);
export const unsealReasoning = (content: string): string | undefined => unsealText(REASONING_PREFIX, content);

/**
 * A stored response read with `include=reasoning.encrypted_content` (OpenAI's retrieve takes
 * `include` too): its reasoning items carry their text sealed, as the create would have given them.
 * The same object when there is nothing to add.
 */
export function withSealedReasoning<T extends { output: readonly unknown[] }>(response: T): T {
  const isBare = (item: unknown): item is { type: "reasoning"; summary?: { text?: unknown }[]; encrypted_content?: unknown } =>
    (item as { type?: unknown }).type === "reasoning" && (item as { encrypted_content?: unknown }).encrypted_content == null;
  if (!response.output.some(isBare)) return response;
  const output = response.output.map((item) => {
    if (!isBare(item)) return item;
    const text = (item.summary ?? []).map((part) => (typeof part.text === "string" ? part.text : "")).join("\n\n");
    return { ...item, encrypted_content: sealReasoning(text) };
  });
  return { ...response, output };
}
