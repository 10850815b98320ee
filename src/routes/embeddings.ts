import { Elysia } from "elysia";
import { jsonBodyParsers } from "../body.ts";
import { InvalidRequestError } from "../errors.ts";
import { compileValidator } from "../validation.ts";
import { EmbeddingRequest, type EmbeddingList } from "../schemas/embeddings.ts";
import type { RouteDeps } from "./deps.ts";
import { providerContext } from "./provider-context.ts";

/** Little-endian float32, as OpenAI's `encoding_format: "base64"` (and the SDKs' decoders) expect. */
function toBase64(vector: readonly number[]): string {
  const floats = new Float32Array(vector);
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString("base64");
}

export function embeddingRoutes(deps: RouteDeps) {
  const validate = compileValidator(EmbeddingRequest);
  const { config, registry } = deps;
  return new Elysia({ name: "ollaix:embeddings" }).post(
    "/v1/embeddings",
    async function createEmbeddings({ body: sent, request, set }) {
      const body = validate.assert(sent);
      if (!registry.isReady) await registry.ready; // only in the first moments after start
      const { provider, upstreamId } = registry.resolve(body.model);
      if (!provider.embed) {
        throw new InvalidRequestError(`The model '${body.model}' does not support embeddings.`, { param: "model" });
      }
      const raw = body.input;
      const isTokens = Array.isArray(raw) && typeof raw[0] !== "string";
      if (isTokens && !provider.acceptsTokenIds) {
        throw new InvalidRequestError(`The model '${body.model}' takes text input only, not token ids.`, { param: "input" });
      }
      const input: string[] | number[][] =
        typeof raw === "string" ? [raw] : isTokens && typeof raw[0] === "number" ? [raw as number[]] : (raw as string[] | number[][]);
      const requestId = set.headers["x-request-id"] as string;
      const { scope, ctx } = providerContext(deps, request, requestId, body.model, upstreamId, provider.name);
      try {
        const result = await scope.deadline(provider.embed(input, body, ctx), config.upstreamTimeoutMs, "embeddings");
        if (result.embeddings.length !== input.length) {
          throw new Error(`provider ${provider.name} returned ${result.embeddings.length} embeddings for ${input.length} inputs`);
        }
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
      } finally {
        scope.dispose();
      }
    },
    { parse: jsonBodyParsers(config.maxBodyBytes), detail: { tags: ["Embeddings"], summary: "Create embeddings", description: "OpenAI Embeddings; `encoding_format` `float` or `base64`." } },
  );
}
