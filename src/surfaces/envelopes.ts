import { JSON_HEADERS, type MappedError } from "../error-response.ts";
import type { SurfaceName } from "../pipeline/outcome.ts";
import { anthropicEnvelope } from "./anthropic-messages/envelope.ts";
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

export function surfaceOfPath(path: string): { surface: SurfaceName | undefined; envelope: Envelope } {
  for (const row of BY_PREFIX) {
    if (path.startsWith(row.prefix) && (path.length === row.prefix.length || path[row.prefix.length] === "/")) return row;
  }
  return { surface: undefined, envelope: openAIEnvelope };
}
