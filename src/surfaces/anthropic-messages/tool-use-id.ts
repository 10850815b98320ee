import { nestsTooDeep } from "../../body.ts";
/**
 * Anthropic tool-use ids (`toolu_…`) that carry the provider's own call id, so a `tool_use` or
 * `tool_result` sent back in a later request reaches the provider with the id it made — without
 * any state in the gateway. The provider id may hold anything (Gemini's thought signature rides
 * on it after `__thought__`), so it is base64url-encoded: Anthropic's ids match `^[a-zA-Z0-9_-]+$`.
 */
const PREFIX = "toolu_";
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Between a provider call id and its extras inside a `toolu_` id: a control character, which no
 * call id holds (one that did would not read back, below).
 */
const EXTRAS = "\u001e";

/**
 * The `toolu_` id of a provider's call; with `extras` (fields of the call besides its id and
 * function: Gemini's `extra_content.google.thought_signature` through Google's OpenAI-compatible
 * endpoint) those ride in it too, so that a streamed answer (whose thinking block closed before its
 * calls came) or one with no thinking at all still hands them back on the next turn, as Gemini 3
 * requires (a 4xx without its signatures).
 */
export function toToolUseId(providerCallId: string, extras?: Record<string, unknown>): string {
  const carried = extras === undefined ? providerCallId : `${providerCallId}${EXTRAS}${JSON.stringify(extras)}`;
  return PREFIX + Buffer.from(carried, "utf8").toString("base64url");
}

/** The provider call id and its extras inside a `toolu_` id this gateway made; any other id as it is, with none. */
export function fromToolUseIdParts(id: string): { id: string; extras?: Record<string, unknown> } {
  const decoded = decodeOwn(id);
  if (decoded === undefined) return { id };
  const cut = decoded.indexOf(EXTRAS);
  if (cut < 0) return /[\u0000-\u001f]/.test(decoded) ? { id } : { id: decoded };
  const callId = decoded.slice(0, cut);
  try {
    const extras: unknown = JSON.parse(decoded.slice(cut + 1));
    if (callId !== "" && !/[\u0000-\u001f]/.test(callId) && typeof extras === "object" && extras !== null && !Array.isArray(extras) && !nestsTooDeep(extras)) {
      return { id: callId, extras: extras as Record<string, unknown> };
    }
  } catch {
    // Not one of ours after all.
  }
  return { id };
}

/**
 * The provider call id inside a `toolu_` id this gateway made; any other id (a real Claude id, a
 * client's own) is handed on as it is, the same way in `tool_use` and `tool_result`, so pairs still match.
 */
export function fromToolUseId(id: string): string {
  return fromToolUseIdParts(id).id;
}

/** The text inside a `toolu_` id of this gateway's making (undefined for any other id). */
function decodeOwn(id: string): string | undefined {
  if (!id.startsWith(PREFIX)) return undefined;
  const encoded = id.slice(PREFIX.length);
  if (encoded.length === 0 || !BASE64URL.test(encoded)) return undefined;
  const bytes = Buffer.from(encoded, "base64url");
  // base64url decoding is lenient: only an exact round trip is one of ours.
  if (bytes.toString("base64url") !== encoded) return undefined;
  try {
    const decoded = utf8.decode(bytes);
    return decoded.length > 0 ? decoded : undefined;
  } catch {
    return undefined;
  }
}
