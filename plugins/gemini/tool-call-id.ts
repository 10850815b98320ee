import { randomId, type ToolCall } from "../../src/kit.ts";

/**
 * Gemini's `thoughtSignature` on a `functionCall` part must come back on the next turn exactly as
 * received, or Gemini 3 answers 400. OpenAI's tool call has no field for it, so it travels two ways:
 * `extra_content.google.thought_signature` on the tool call (what Google's own OpenAI-compatible
 * endpoint sends), and appended to the tool-call id after this separator, for clients that drop
 * unknown fields but keep ids. The separator is LiteLLM's, so histories move between gateways.
 */
export const THOUGHT_SIGNATURE_SEPARATOR = "__thought__";

export interface GoogleExtraContent {
  google: { thought_signature: string };
}

/**
 * Gemini's own id for a call (`functionCall.id`), which its result must carry back
 * (`functionResponse.id`, "to match the corresponding function call id"): it rides in the tool-call
 * id after this marker, before any signature.
 */
export const GEMINI_ID_SEPARATOR = "__gid__";

/** A fresh OpenAI-style tool-call id, carrying Gemini's call id and the signature when there are. */
export function newToolCallId(thoughtSignature?: string, geminiId?: string): string {
  let id = randomId("call_");
  // Only an id that cannot run into the markers (Gemini's are short alphanumerics).
  if (geminiId !== undefined && geminiId !== "" && !geminiId.includes("__")) id += `${GEMINI_ID_SEPARATOR}${geminiId}`;
  return thoughtSignature ? `${id}${THOUGHT_SIGNATURE_SEPARATOR}${thoughtSignature}` : id;
}

/** Gemini's id for a call a client sent back (or answers with `tool_call_id`), when the id carries one. */
export function geminiIdOf(toolCallId: string | undefined): string | undefined {
  if (toolCallId === undefined) return undefined;
  const at = toolCallId.indexOf(GEMINI_ID_SEPARATOR);
  if (at < 0) return undefined;
  const end = toolCallId.indexOf(THOUGHT_SIGNATURE_SEPARATOR, at);
  const id = toolCallId.slice(at + GEMINI_ID_SEPARATOR.length, end < 0 ? undefined : end);
  return id === "" ? undefined : id;
}

export function toExtraContent(thoughtSignature: string): GoogleExtraContent {
  return { google: { thought_signature: thoughtSignature } };
}

/** The signature a client sent back with a tool call: `extra_content` first, else the id's suffix. */
export function thoughtSignatureOf(toolCall: ToolCall): string | undefined {
  // ToolCall is an open object; `extra_content` is Google's extension to it, unchecked until here.
  const extra = (toolCall as { extra_content?: { google?: { thought_signature?: unknown } } }).extra_content;
  const fromExtra = extra?.google?.thought_signature;
  if (typeof fromExtra === "string" && fromExtra !== "") return fromExtra;
  const at = toolCall.id.indexOf(THOUGHT_SIGNATURE_SEPARATOR);
  if (at < 0) return undefined;
  const fromId = toolCall.id.slice(at + THOUGHT_SIGNATURE_SEPARATOR.length);
  return fromId === "" ? undefined : fromId;
}
