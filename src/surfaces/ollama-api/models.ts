import { sha256Text } from "../../sha256.ts";
import type { Model } from "../../schemas/models.ts";

/** Ollama's capability names (`/api/show` `capabilities`). */
export const CAPABILITIES = ["completion", "tools", "thinking", "vision", "embedding", "insert"] as const;

const digests = new Map<string, string>();

/** Ollama lists a model's manifest digest; a gateway model has none, so the id's SHA-256 stands in (stable per id). */
export function digestOf(id: string): string {
  let digest = digests.get(id);
  if (digest === undefined) {
    digest = sha256Text(id, "hex");
    // Ids come from the registry (bounded), but a long-running gateway with churning upstream lists must not grow without end.
    if (digests.size > 10_000) digests.clear();
    digests.set(id, digest);
  }
  return digest;
}

const text = (value: unknown): string => (typeof value === "string" ? value : "");

/** What the plugin said about the model (`family`, `parameter_size`, … extras) in Ollama's `details`. */
export function detailsOf(model: Model) {
  const m = model as Record<string, unknown>;
  const family = text(m.family);
  return {
    parent_model: "",
    format: text(m.format),
    family,
    families: family ? [family] : null,
    parameter_size: text(m.parameter_size),
    quantization_level: text(m.quantization_level),
  };
}

/**
 * The plugin's capability hints when it gave any; else a chat model is all the gateway can assume.
 * As Ollama lists them: a model that completes is not also `embedding` (Ollama's CLI runs any model
 * listing `embedding` as an embedding model: `ollama run` would print a vector), and not `insert`,
 * since this surface refuses `suffix`.
 */
export function capabilitiesOf(model: Model): string[] {
  const declared = (model as { capabilities?: unknown }).capabilities;
  if (Array.isArray(declared)) {
    const completes = declared.includes("completion");
    const known = declared.filter((c): c is string => typeof c === "string" && c !== "insert" && !(completes && c === "embedding"));
    if (known.length > 0) return known;
  }
  return ["completion"];
}

const isoOf = (seconds: number) => new Date(seconds * 1000).toISOString();

/**
 * A gateway id as Ollama names models: with a tag, `:latest` when it has none (`gpt-4o` is listed
 * `gpt-4o:latest`). Ollama always lists a tag, and its clients rely on it: Open WebUI adds
 * `:latest` to an untagged id it is sent and then looks it up among the names listed. The gateway
 * takes both forms (registry.ts).
 */
export const ollamaName = (id: string): string => (id.indexOf(":", id.lastIndexOf("/") + 1) >= 0 ? id : `${id}:latest`);

/** One `/api/tags` entry: `name` and `model` are the gateway id, tagged (`ollamaName`). */
export function toTagsEntry(model: Model) {
  const size = (model as { size?: unknown }).size;
  const name = ollamaName(model.id);
  return {
    name,
    model: name,
    modified_at: isoOf(model.created),
    size: typeof size === "number" && Number.isFinite(size) && size >= 0 ? size : 0,
    digest: digestOf(model.id),
    details: detailsOf(model),
  };
}

/**
 * `/api/show`: what Ollama clients read — `details`, `capabilities`, and `model_info` with
 * `<architecture>.context_length` (Open WebUI and others take the context window from there). The
 * Modelfile fields are empty: the gateway has no Modelfile.
 */
export function toShowAnswer(model: Model) {
  const details = detailsOf(model);
  const architecture = details.family || model.owned_by;
  const modelInfo: Record<string, unknown> = { "general.architecture": architecture };
  if (typeof model.context_length === "number") modelInfo[`${architecture}.context_length`] = model.context_length;
  return {
    license: "",
    modelfile: "",
    parameters: "",
    template: "",
    details,
    model_info: modelInfo,
    capabilities: capabilitiesOf(model),
    modified_at: isoOf(model.created),
  };
}
