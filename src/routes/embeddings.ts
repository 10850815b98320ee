import { Elysia } from "elysia";
import { jsonBodyParsers } from "../body.ts";
import { compileValidator } from "../validation.ts";
import { EmbeddingRequest, type EmbeddingList } from "../schemas/embeddings.ts";
import type { RouteDeps } from "./deps.ts";

/** Little-endian float32, as OpenAI's `encoding_format: "base64"` (and the SDKs' decoders) expect. */
function toBase64(vector: readonly number[]): string {
  const floats = new Float32Array(vector);
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString("base64");
}

export function embeddingRoutes(deps: RouteDeps) {
  const validate = compileValidator(EmbeddingRequest);
  const { config, pipeline } = deps;
  return new Elysia({ name: "ollaix:embeddings" }).post(
    "/v1/embeddings",
    async function createEmbeddings({ body: sent, request, set }) {
      const body = validate.assert(sent);
      const raw = body.input;
      const isTokens = Array.isArray(raw) && typeof raw[0] !== "string";
      const input: string[] | number[][] =
        typeof raw === "string" ? [raw] : isTokens && typeof raw[0] === "number" ? [raw as number[]] : (raw as string[] | number[][]);
      const call = { surface: "embeddings" as const, request, requestId: set.headers["x-request-id"] as string };
      const result = await pipeline.embed(call, body, input);
      Object.assign(set.headers, result.headers);
      const base64 = body.encoding_format === "base64";
      const prompt = result.usage?.prompt_tokens ?? 0;
      const answer: EmbeddingList = {
        object: "list",
        data: result.embeddings.map((vector, index) => ({
          object: "embedding" as const,
          index,
          embedding: base64 ? toBase64(vector) : vector,
        })),
        model: body.model,
        usage: { prompt_tokens: prompt, total_tokens: result.usage?.total_tokens ?? prompt },
      };
      return answer;
    },
    { parse: jsonBodyParsers(config.maxBodyBytes), detail: { tags: ["Embeddings"], summary: "Create embeddings", description: "OpenAI Embeddings; `encoding_format` `float` or `base64`." } },
  );
}
