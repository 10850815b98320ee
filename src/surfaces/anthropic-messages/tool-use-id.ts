/**
 * Anthropic tool-use ids (`toolu_…`) that carry the provider's own call id, so a `tool_use` or
 * `tool_result` sent back in a later request reaches the provider with the id it made — without
 * any state in the gateway. The provider id may hold anything (Gemini's thought signature rides
 * on it after `__thought__`), so it is base64url-encoded: Anthropic's ids match `^[a-zA-Z0-9_-]+$`.
 */
const PREFIX = "toolu_";
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

export function toToolUseId(providerCallId: string): string {
  return PREFIX + Buffer.from(providerCallId, "utf8").toString("base64url");
}

/**
 * The provider call id inside a `toolu_` id this gateway made; any other id (a real Claude id, a
 * client's own) is handed on as it is, the same way in `tool_use` and `tool_result`, so pairs still match.
 */
export function fromToolUseId(id: string): string {
  if (!id.startsWith(PREFIX)) return id;
  const encoded = id.slice(PREFIX.length);
  if (encoded.length === 0 || !BASE64URL.test(encoded)) return id;
  const bytes = Buffer.from(encoded, "base64url");
  // base64url decoding is lenient: only an exact round trip is one of ours.
  if (bytes.toString("base64url") !== encoded) return id;
  try {
    const decoded = utf8.decode(bytes);
    return decoded.length > 0 && !/[\u0000-\u001f]/.test(decoded) ? decoded : id;
  } catch {
    return id;
  }
}
