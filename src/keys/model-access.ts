import type { ModelRegistry } from "../registry.ts";
import type { Model } from "../schemas/models.ts";
import type { KeyRecord } from "./key-store.ts";

/**
 * Whether a key may use a model id: the id as sent (a route, a bare or prefixed id) or, for a
 * gateway model, its `<instance>/<id>` form, so `ollama/*` also covers a bare `llama3:8b` that
 * Ollama serves.
 */
export function mayUse(key: KeyRecord | undefined, id: string, registry: ModelRegistry): boolean {
  const allows = key?.allows;
  if (!allows) return true;
  if (allows(id)) {
    // `<id>:latest` also names a model listed without a tag: a pattern for tags (`*:latest`) is not
    // one for every untagged model, so that model's own id must be allowed too.
    if (!id.endsWith(":latest")) return true;
    const listed = registry.labelOf(id);
    return listed === "" || listed === id || allows(listed);
  }
  try {
    const { provider, upstreamId } = registry.resolve(id);
    return allows(`${provider.name}/${upstreamId}`);
  } catch {
    return false; // unknown model: outside every list but `*`
  }
}

/** The same question for a listed model (its `owned_by` is its instance). */
export function mayList(key: KeyRecord | undefined, model: Model): boolean {
  const allows = key?.allows;
  if (!allows || allows(model.id)) return true;
  return !model.id.startsWith(`${model.owned_by}/`) && allows(`${model.owned_by}/${model.id}`);
}
