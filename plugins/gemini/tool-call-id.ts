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

/** A fresh OpenAI-style tool-call id, carrying the signature when there is one. */
export function newToolCallId(thoughtSignature?: string): string {
  const id = randomId("call_");
  return thoughtSignature ? `${id}${THOUGHT_SIGNATURE_SEPARATOR}${thoughtSignature}` : id;
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
