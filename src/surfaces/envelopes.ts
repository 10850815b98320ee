import { JSON_HEADERS, type MappedError } from "../error-response.ts";
import type { SurfaceName } from "../pipeline/outcome.ts";
import { anthropicEnvelope } from "./anthropic-messages/envelope.ts";
import { isAnthropicClient } from "./anthropic-messages/models.ts";
import { ollamaEnvelope } from "./ollama-api/ndjson.ts";

/** A surface's error envelope: the mapped error (OpenAI's fields) in that surface's wire shape. */
/** `requestId`: the answer's request id, for an envelope that carries it in its body (Anthropic's `request_id`). */
export type Envelope = (mapped: MappedError, requestId?: string) => { status: number; body: string; headers: Record<string, string> };

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

/**
 * The routes whose requests call a model (through the pipeline, which reports each one): a refusal
 * before the pipeline ran is reported for these only. Reading, cancelling or deleting a stored
 * response, Conversations, and Ollama's model management are no model calls, and are not counted
 * as one when they fail either.
 */
const MODEL_ROUTES = new Set([
  "/v1/chat/completions",
  "/v1/embeddings",
  "/v1/responses",
  "/v1/responses/compact",
  "/v1/responses/input_tokens",
  "/v1/messages",
  "/v1/messages/count_tokens",
  "/api/chat",
  "/api/generate",
  "/api/embed",
  "/api/embeddings",
]);

/** Whether a refused request was a model call (a POST to one of the routes that make one). */
export const isModelCall = (method: string, path: string): boolean => method === "POST" && MODEL_ROUTES.has(path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path);

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
