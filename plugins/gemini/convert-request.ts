import type { ChatRequest, ClientOptions } from "../../src/kit.ts";
import { toGeminiConversation, type LoadedImages } from "./convert-messages.ts";
import { toGeminiGenerationConfig } from "./convert-generation-config.ts";
import { isGemini3 } from "./convert-thinking.ts";
import { toGeminiToolConfig, toGeminiTools, type SchemaMode } from "./convert-tools.ts";
import type { GeminiGenerateRequest } from "./wire.ts";
import { schemaBudget } from "./clean-schema.ts";

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
export function toGeminiRequest(request: ChatRequest, o: { model: string; images: LoadedImages; clientOptions?: ClientOptions }): GeminiGenerateRequest {
  const mode = schemaModeFor(o.model);
  const gemini3 = isGemini3(o.model);
  const { contents, systemInstruction: system } = toGeminiConversation(request.messages, o.images, gemini3);
  let systemInstruction = system;
  // One budget for all the request's schemas (clean-schema.ts): inlined copies add up across tools.
  const budget = schemaBudget();
  const tools = toGeminiTools(request.tools, mode, budget);
  const toolConfig = toGeminiToolConfig(request.tool_choice, request.tools);
  const generationConfig = toGeminiGenerationConfig(request, mode, o.model, o.clientOptions, budget);
  if (tools && !gemini3 && generationConfig.responseMimeType !== undefined) {
    // Gemini 2.x answers 400 to functions with a JSON answer ("Function calling with a response mime
    // type: 'application/json' is unsupported"); the Agents SDK sends both for an agent with tools
    // and an output type. The model is told the format instead; Gemini 3 takes both.
    const schema = generationConfig.responseJsonSchema ?? generationConfig.responseSchema;
    delete generationConfig.responseMimeType;
    delete generationConfig.responseJsonSchema;
    delete generationConfig.responseSchema;
    const told = { text: jsonAnswerInstruction(schema) };
    systemInstruction = { parts: [...(systemInstruction?.parts ?? []), told] };
  }
  return {
    contents,
    ...(systemInstruction ? { systemInstruction } : {}),
    ...(tools ? { tools } : {}),
    ...(toolConfig ? { toolConfig } : {}),
    generationConfig,
  };
}

/** The answer format, told: what a Gemini 2.x model with functions gets instead of a JSON answer it cannot be held to. */
export function jsonAnswerInstruction(schema: unknown): string {
  const shape = schema === undefined ? "a JSON value" : `JSON that matches this JSON Schema: ${JSON.stringify(schema)}`;
  return `When you answer without calling a function, answer only with ${shape}, with no text or code fences around it.`;
}

/** `batchEmbedContents` takes at most 100 requests per call. */
export const EMBED_BATCH_SIZE = 100;

/** The inputs in order, cut into batches Gemini accepts. */
export function toEmbedBatches(texts: readonly string[], size = EMBED_BATCH_SIZE): string[][] {
  const batches: string[][] = [];
  for (let i = 0; i < texts.length; i += size) batches.push(texts.slice(i, i + size));
  return batches;
}
