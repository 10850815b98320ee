import type { ModelInfo } from "../../src/kit.ts";
import type { OllamaShow, OllamaTagsModel } from "./wire.ts";

/** What request translation needs to know about a model (for `think`). */
export interface ModelTraits {
  family?: string;
  /** The named thinking levels `/api/show` lists (`thinking.values`), when the server says. */
  thinkLevels?: readonly string[];
}

/**
 * One `/api/tags` entry (plus its `/api/show` details, when known) as a listed model: the id is
 * Ollama's name, `created` the time it was pulled or built, extras as Ollama describes the model.
 */
export function fromOllamaModel(model: OllamaTagsModel, show: OllamaShow | undefined): ModelInfo {
  const info: ModelInfo = { id: model.name };
  const created = secondsOf(model.modified_at);
  if (created !== undefined) info.created = created;
  if (typeof model.size === "number" && model.size >= 0) info.size = model.size;
  const details = model.details;
  if (details?.format) info.format = details.format;
  if (details?.family) info.family = details.family;
  if (details?.parameter_size) info.parameter_size = details.parameter_size;
  if (details?.quantization_level) info.quantization_level = details.quantization_level;
  const contextLength = contextLengthOf(show);
  if (contextLength !== undefined) info.context_length = contextLength;
  if (show?.capabilities) info.capabilities = [...show.capabilities];
  return info;
}

export function traitsOf(model: OllamaTagsModel, show: OllamaShow | undefined): ModelTraits {
  const traits: ModelTraits = {};
  if (model.details?.family) traits.family = model.details.family;
  const values = show?.thinking?.values;
  if (values) traits.thinkLevels = values.filter((v): v is string => typeof v === "string");
  return traits;
}

/** `model_info["<general.architecture>.context_length"]`, as docs/api.md's `/api/show` example shows. */
function contextLengthOf(show: OllamaShow | undefined): number | undefined {
  const info = show?.model_info;
  if (!info) return undefined;
  const architecture = info["general.architecture"];
  const value = typeof architecture === "string" ? info[`${architecture}.context_length`] : undefined;
  return typeof value === "number" && Number.isInteger(value) && value > 0 ? value : undefined;
}

/** Ollama's timestamps carry nanoseconds and an offset (`2025-05-10T08:06:48.639712648-07:00`). */
function secondsOf(timestamp: string | undefined): number | undefined {
  if (!timestamp) return undefined;
  const ms = Date.parse(timestamp.replace(/(\.\d{3})\d+/, "$1"));
  return Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : undefined;
}
