import type { ChatRequest } from "../../src/kit.ts";
import { toGeminiConversation, type LoadedImages } from "./convert-messages.ts";
import { toGeminiGenerationConfig } from "./convert-generation-config.ts";
import { isGemini3 } from "./convert-thinking.ts";
import { toGeminiToolConfig, toGeminiTools, type SchemaMode } from "./convert-tools.ts";
import type { GeminiGenerateRequest } from "./wire.ts";

/**
 * Models older than Gemini 2.0 reject `parametersJsonSchema` / `responseJsonSchema`; they get the
 * cleaned OpenAPI-subset `Schema` instead. Every newer (and unknown) model takes full JSON Schema.
 */
const PRE_JSON_SCHEMA_MODELS = /^(?:gemini-1\.|gemini-pro(?:-vision)?(?:$|-))/;

export function schemaModeFor(model: string): SchemaMode {
  return PRE_JSON_SCHEMA_MODELS.test(model) ? "openapi" : "json-schema";
}

/**
 * An OpenAI chat request as the body of Gemini's `generateContent`. Pure: images were loaded by the
 * caller; unknown OpenAI fields (`user`, `logit_bias`, …) have no Gemini form and are left out.
 */
export function toGeminiRequest(request: ChatRequest, o: { model: string; images: LoadedImages }): GeminiGenerateRequest {
  const mode = schemaModeFor(o.model);
  const { contents, systemInstruction } = toGeminiConversation(request.messages, o.images, isGemini3(o.model));
  const tools = toGeminiTools(request.tools, mode);
  const toolConfig = toGeminiToolConfig(request.tool_choice, request.tools);
  return {
    contents,
    ...(systemInstruction ? { systemInstruction } : {}),
    ...(tools ? { tools } : {}),
    ...(toolConfig ? { toolConfig } : {}),
    generationConfig: toGeminiGenerationConfig(request, mode, o.model),
  };
}

/** `batchEmbedContents` takes at most 100 requests per call. */
export const EMBED_BATCH_SIZE = 100;

/** The inputs in order, cut into batches Gemini accepts. */
export function toEmbedBatches(texts: readonly string[], size = EMBED_BATCH_SIZE): string[][] {
  const batches: string[][] = [];
  for (let i = 0; i < texts.length; i += size) batches.push(texts.slice(i, i + size));
  return batches;
}
