import type { RequestOutcome } from "../pipeline/outcome.ts";

/**
 * The OpenTelemetry GenAI operation (`gen_ai.operation.name`) a request performed: `embeddings`
 * for the embeddings surface and Ollama's embed endpoints, `text_completion` for Ollama's
 * prompt-in/text-out `/api/generate`, `chat` for every conversation surface.
 */
export type GenAiOperation = "chat" | "embeddings" | "text_completion";

export function operationOf(outcome: Pick<RequestOutcome, "surface" | "path">): GenAiOperation {
  switch (outcome.surface) {
    case "embeddings":
      return "embeddings";
    case "ollama":
      if (outcome.path.startsWith("/api/embed")) return "embeddings";
      return outcome.path === "/api/generate" ? "text_completion" : "chat";
    case "chat":
    case "responses":
    case "messages":
      return "chat";
    default: {
      const unknown: never = outcome.surface;
      return unknown;
    }
  }
}

/** `POST /v1/messages/count_tokens` and `/v1/responses/input_tokens`: counted requests, no model call of the conventions' operations. */
export const isTokenCount = (path: string): boolean => path.endsWith("/count_tokens") || path.endsWith("/input_tokens");
