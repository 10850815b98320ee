import { InvalidRequestError, type ChatRequest } from "../../src/kit.ts";
import type { ModelTraits } from "./convert-models.ts";
import type { OllamaFormat, OllamaOptions, OllamaThink } from "./wire.ts";

/**
 * The sampling fields as Ollama's `options` (Modelfile parameters), or undefined when none is set.
 * `max_completion_tokens` is the newer name of `max_tokens`; both mean `num_predict`.
 */
export function toOllamaOptions(request: ChatRequest): OllamaOptions | undefined {
  const options: OllamaOptions = {};
  if (request.temperature != null) options.temperature = request.temperature;
  if (request.top_p != null) options.top_p = request.top_p;
  // No OpenAI field: Anthropic's `top_k` (and an Ollama client's) arrives as an extra.
  const topK = (request as { top_k?: unknown }).top_k;
  if (typeof topK === "number" && Number.isInteger(topK) && topK > 0) options.top_k = topK;
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens != null) options.num_predict = maxTokens;
  if (request.stop != null) options.stop = typeof request.stop === "string" ? [request.stop] : [...request.stop];
  if (request.seed != null) options.seed = request.seed;
  if (request.presence_penalty != null) options.presence_penalty = request.presence_penalty;
  if (request.frequency_penalty != null) options.frequency_penalty = request.frequency_penalty;
  return Object.keys(options).length > 0 ? options : undefined;
}

/** `response_format` as Ollama's top-level `format` (never inside `options`). */
export function toOllamaFormat(format: ChatRequest["response_format"]): OllamaFormat | undefined {
  if (!format) return undefined;
  switch (format.type) {
    case "text":
      return undefined;
    case "json_object":
      return "json";
    case "json_schema":
      // chat-rules.ts guarantees `json_schema`; OpenAI lets `schema` be left out, which is JSON mode.
      return format.json_schema?.schema ?? "json";
    default: {
      const unknownType: never = format.type;
      throw new InvalidRequestError(`Invalid 'response_format.type': ${String(unknownType)}.`, { param: "response_format.type" });
    }
  }
}

/** OpenAI's `reasoning_effort` values (openai SDK v7, `Shared.ReasoningEffort`). */
const EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh", "max"] as const;
type Effort = (typeof EFFORTS)[number];
type Level = "low" | "medium" | "high";

const isEffort = (value: string): value is Effort => (EFFORTS as readonly string[]).includes(value);

function levelOf(effort: Exclude<Effort, "none">): Level {
  switch (effort) {
    case "minimal":
    case "low":
      return "low";
    case "medium":
      return "medium";
    case "high":
    case "xhigh":
    case "max":
      return "high";
    default: {
      const unknownEffort: never = effort;
      return unknownEffort;
    }
  }
}

/**
 * `reasoning_effort` as Ollama's `think` (which must be set for `thinking` to come back on older
 * servers). Absent: unset, the model's default. `none`: `false`. A level: the level name for models
 * that take names — those whose `/api/show` lists them, else the gpt-oss family, the only one
 * servers without that list accept strings from (they answer 400 `think value "low" is not
 * supported` to others) — and `true` for every other model.
 */
export function toOllamaThink(effort: unknown, traits: ModelTraits | undefined): OllamaThink | undefined {
  if (effort == null) return undefined;
  if (typeof effort !== "string" || !isEffort(effort)) {
    throw new InvalidRequestError(
      `Invalid 'reasoning_effort': expected one of ${EFFORTS.map((e) => JSON.stringify(e)).join(", ")}, got ${JSON.stringify(effort)}.`,
      { param: "reasoning_effort" },
    );
  }
  if (effort === "none") return false;
  const named = traits?.thinkLevels;
  if (named?.includes(effort)) return effort;
  const level = levelOf(effort);
  const takesLevels = named ? named.includes(level) : isHarmonyFamily(traits?.family);
  return takesLevels ? level : true;
}

/** Ollama's `shouldUseHarmony` (server/routes.go) checks the same two family names. */
const isHarmonyFamily = (family: string | undefined) => family === "gptoss" || family === "gpt-oss";
