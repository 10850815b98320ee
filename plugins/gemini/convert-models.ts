import type { ModelInfo } from "../../src/kit.ts";
import type { GeminiModel } from "./wire.ts";

/** The methods that make a Gemini model usable through chat completions or embeddings. */
const SERVED_METHODS = ["generateContent", "embedContent"];

/**
 * Listed models as OpenAI model entries: only those that support `generateContent` (chat) or
 * `embedContent` (embeddings), ids without the `models/` prefix; the display name and token limits
 * as extras (`owned_by` is set by the core).
 */
export function fromGeminiModels(models: readonly GeminiModel[]): ModelInfo[] {
  const out: ModelInfo[] = [];
  for (const model of models) {
    if (!model.supportedGenerationMethods?.some((method) => SERVED_METHODS.includes(method))) continue;
    const id = model.name.replace(/^models\//, "");
    if (id === "" || id.includes("/")) continue;
    out.push({
      id,
      capabilities: capabilitiesOf(id, model),
      ...(model.displayName ? { name: model.displayName } : {}),
      ...(model.description ? { description: model.description } : {}),
      ...(model.inputTokenLimit !== undefined ? { context_length: model.inputTokenLimit, input_token_limit: model.inputTokenLimit } : {}),
      ...(model.outputTokenLimit !== undefined ? { output_token_limit: model.outputTokenLimit } : {}),
    });
  }
  return out;
}

/**
 * What Ollama clients read in `/api/show` (Ollama's names): a Gemini chat model takes images and
 * function calls, and thinks when Gemini's list says so; the speech, image-generation, live and
 * Gemma models of the same list take no function calls. An embedding model embeds.
 */
function capabilitiesOf(id: string, model: GeminiModel): string[] {
  const methods = model.supportedGenerationMethods ?? [];
  const capabilities: string[] = [];
  if (methods.includes("generateContent")) {
    capabilities.push("completion");
    if (/^gemini-/.test(id) && !/(tts|image|live|audio|embedding)/.test(id)) capabilities.push("tools", "vision");
    if (model.thinking === true) capabilities.push("thinking");
  }
  if (methods.includes("embedContent")) capabilities.push("embedding");
  return capabilities;
}

/**
 * Served when listing fails (Gemini down, key refused) before any list succeeded: the stable models
 * of the Gemini API models page, with the limits `GET models` reports for them.
 */
export const DEFAULT_GEMINI_MODELS: readonly ModelInfo[] = fromGeminiModels([
  { name: "models/gemini-2.5-pro", displayName: "Gemini 2.5 Pro", inputTokenLimit: 1_048_576, outputTokenLimit: 65_536, supportedGenerationMethods: ["generateContent"], thinking: true },
  { name: "models/gemini-2.5-flash", displayName: "Gemini 2.5 Flash", inputTokenLimit: 1_048_576, outputTokenLimit: 65_536, supportedGenerationMethods: ["generateContent"], thinking: true },
  { name: "models/gemini-2.5-flash-lite", displayName: "Gemini 2.5 Flash-Lite", inputTokenLimit: 1_048_576, outputTokenLimit: 65_536, supportedGenerationMethods: ["generateContent"], thinking: true },
  { name: "models/gemini-2.0-flash", displayName: "Gemini 2.0 Flash", inputTokenLimit: 1_048_576, outputTokenLimit: 8_192, supportedGenerationMethods: ["generateContent"] },
  { name: "models/gemini-embedding-001", displayName: "Gemini Embedding 001", inputTokenLimit: 2_048, outputTokenLimit: 1, supportedGenerationMethods: ["embedContent"] },
]);

/**
 * An id this instance accepts without listing it (`gemini/<id>`): a bare Gemini model name, with or
 * without `models/`. Anything with a path or query character is not one (the SDK refuses `..`, `?`, `&`).
 */
export function toGeminiModelId(id: string): string | undefined {
  const bare = id.replace(/^models\//, "");
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(bare) && !bare.includes("..") ? bare : undefined;
}
