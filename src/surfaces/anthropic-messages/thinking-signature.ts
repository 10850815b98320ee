import { nestsTooDeep } from "../../body.ts";
import { sha256Text } from "../../sha256.ts";

/**
 * The `signature` of a thinking block: Ollaix's own opaque encoding of what the provider needs to
 * continue after that turn, in the chat format the plugins read: the provider's extras on each
 * tool call of the turn (Gemini's `extra_content.google.thought_signature`), keyed by the
 * provider's call id, and the thinking text itself when the block was sent without it
 * (`thinking.display: "omitted"`, Anthropic's "redacted but a signature is returned for
 * multi-turn continuity"). Format: `ollaix1.<base64url JSON>.<check>`; the check is a digest of the
 * payload so a signature Ollaix did not make (a real Claude signature, a typo) is recognised and
 * ignored rather than misread. It is not a secret: whatever it carries goes to the provider, which
 * checks its own signatures.
 */
export interface SignaturePayload {
  /** Provider call id → extra fields of that tool call (anything besides id, type, function, index). */
  calls?: Record<string, Record<string, unknown>>;
  /** The thinking text of a block sent without it (`thinking.display: "omitted"`), for the next turn. */
  thinking?: string;
}

const PREFIX = "ollaix1.";

const checkOf = (body: string) => sha256Text(PREFIX + body, "base64url").slice(0, 16);

export function encodeSignature(payload: SignaturePayload): string {
  const body = Buffer.from(JSON.stringify(payload), "utf8").toString("base64url");
  return `${PREFIX}${body}.${checkOf(body)}`;
}

/** The payload of a signature Ollaix made, or undefined for anything else. */
export function decodeSignature(signature: string | undefined): SignaturePayload | undefined {
  if (!signature?.startsWith(PREFIX)) return undefined;
  const dot = signature.lastIndexOf(".");
  if (dot <= PREFIX.length) return undefined;
  const body = signature.slice(PREFIX.length, dot);
  if (checkOf(body) !== signature.slice(dot + 1)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    // The check is no key (anyone can make one): JSON nested deeper than a body may be is no signature of ours.
    if (typeof value !== "object" || value === null || Array.isArray(value) || nestsTooDeep(value)) return undefined;
    const { calls, thinking } = value as { calls?: unknown; thinking?: unknown };
    const payload: SignaturePayload = {};
    if (calls !== undefined) {
      if (typeof calls !== "object" || calls === null || Array.isArray(calls)) return undefined;
      payload.calls = calls as Record<string, Record<string, unknown>>;
    }
    if (typeof thinking === "string") payload.thinking = thinking;
    return payload;
  } catch {
    return undefined;
  }
}

/** A tool call's fields beyond OpenAI's own: what a provider added for itself (e.g. `extra_content`). */
export function callExtras(call: object): Record<string, unknown> | undefined {
  let extras: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(call)) {
    if (key === "id" || key === "type" || key === "function" || key === "index") continue;
    (extras ??= {})[key] = value;
  }
  return extras;
}
