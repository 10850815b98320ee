import { JSON_HEADERS, type MappedError } from "../error-response.ts";
import type { SurfaceName } from "../pipeline/outcome.ts";
import { anthropicEnvelope } from "./anthropic-messages/envelope.ts";
import { isAnthropicClient } from "./anthropic-messages/models.ts";
import { ollamaEnvelope } from "./ollama-api/ndjson.ts";

/** A surface's error envelope: the mapped error (OpenAI's fields) in that surface's wire shape. */
export type Envelope = (mapped: MappedError) => { status: number; body: string; headers: Record<string, string> };

/** OpenAI's `{"error":{message,type,param,code}}`. */
export const openAIEnvelope: Envelope = (mapped) => ({
  status: mapped.status,
  body: JSON.stringify(mapped.body),
  headers: { ...JSON_HEADERS, ...mapped.headers },
});

/**
 * Which envelope a path's errors use (the contract's "Surfaces": refusals before a route's own
 * code runs use the envelope of the surface the path belongs to), and which surface it counts as.
 * Surfaces with their own envelope add a row here.
 */
const BY_PREFIX: { prefix: string; surface: SurfaceName | undefined; envelope: Envelope }[] = [
  { prefix: "/v1/chat/completions", surface: "chat", envelope: openAIEnvelope },
  { prefix: "/v1/embeddings", surface: "embeddings", envelope: openAIEnvelope },
  { prefix: "/v1/responses", surface: "responses", envelope: openAIEnvelope },
  { prefix: "/v1/messages", surface: "messages", envelope: anthropicEnvelope },
  { prefix: "/api", surface: "ollama", envelope: ollamaEnvelope },
];

const startsSegment = (path: string, prefix: string) => path.startsWith(prefix) && (path.length === prefix.length || path[prefix.length] === "/");

export function surfaceOfPath(path: string): { surface: SurfaceName | undefined; envelope: Envelope } {
  for (const row of BY_PREFIX) {
    if (startsSegment(path, row.prefix)) return row;
  }
  return { surface: undefined, envelope: openAIEnvelope };
}

/** `surfaceOfPath`, where `/v1/models` answers an Anthropic client (`anthropic-version`) in Anthropic's envelope, as its list does. */
export function surfaceOfRequest(path: string, request: Request): { surface: SurfaceName | undefined; envelope: Envelope } {
  const found = surfaceOfPath(path);
  return found.surface === undefined && startsSegment(path, "/v1/models") && isAnthropicClient(request) ? { surface: undefined, envelope: anthropicEnvelope } : found;
}
