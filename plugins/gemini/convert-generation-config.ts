import { thinkingBudgetOf, thoughtsShown, type ChatRequest, type ClientOptions } from "../../src/kit.ts";
import { schemaBudget, toGeminiSchema, type SchemaBudget } from "./clean-schema.ts";
import { toGeminiThinkingConfig } from "./convert-thinking.ts";
import type { SchemaMode } from "./convert-tools.ts";
import type { GeminiGenerationConfig } from "./wire.ts";

/** The sampling and output fields of an OpenAI request as Gemini's `generationConfig`. */
export function toGeminiGenerationConfig(request: ChatRequest, mode: SchemaMode, model: string, client?: ClientOptions, budget: SchemaBudget = schemaBudget()): GeminiGenerationConfig {
  const config: GeminiGenerationConfig = {};
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens != null) config.maxOutputTokens = maxTokens;
  if (request.temperature != null) config.temperature = request.temperature;
  if (request.top_p != null) config.topP = request.top_p;
  // No OpenAI field: Anthropic's `top_k` arrives as an extra, an Ollama client's in its options.
  const topK = (request as { top_k?: unknown }).top_k ?? (client?.surface === "ollama" ? client.options?.top_k : undefined);
  if (typeof topK === "number" && Number.isInteger(topK) && topK > 0) config.topK = topK;
  if (request.stop != null) {
    const stop = typeof request.stop === "string" ? [request.stop] : request.stop;
    if (stop.length > 0) config.stopSequences = [...stop];
  }
  if (request.seed != null) config.seed = request.seed;
  if (request.presence_penalty != null) config.presencePenalty = request.presence_penalty;
  if (request.frequency_penalty != null) config.frequencyPenalty = request.frequency_penalty;
  if (request.n != null) config.candidateCount = request.n;
  Object.assign(config, toResponseFormat(request.response_format, mode, budget));
  const thinking = toGeminiThinkingConfig(request.reasoning_effort, model, thinkingBudgetOf(request), thoughtsShown(request));
  if (thinking) config.thinkingConfig = thinking;
  if (request.logprobs === true) {
    config.responseLogprobs = true;
    // OpenAI's 0 is no alternatives; Gemini takes 1–20.
    if (request.top_logprobs != null && request.top_logprobs > 0) config.logprobs = request.top_logprobs;
  }
  return config;
}

function toResponseFormat(format: ChatRequest["response_format"], mode: SchemaMode, budget: SchemaBudget): GeminiGenerationConfig {
  if (!format) return {};
  switch (format.type) {
    case "text":
      return {};
    case "json_object":
      return { responseMimeType: "application/json" };
    case "json_schema": {
      const schema = format.json_schema?.schema;
      if (!schema) return { responseMimeType: "application/json" };
      return mode === "json-schema"
        ? { responseMimeType: "application/json", responseJsonSchema: schema }
        : { responseMimeType: "application/json", responseSchema: toGeminiSchema(schema, "response_format.json_schema.schema", budget) };
    }
    default: {
      const unknownType: never = format.type;
      throw new Error(`unknown response_format type ${String(unknownType)}`);
    }
  }
}
