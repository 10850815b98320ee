import type { ModelRegistry } from "../registry.ts";
import type { Model } from "../schemas/models.ts";
import type { Route } from "../routing/route-table.ts";
import type { KeyRecord } from "./key-store.ts";

/**
 * Whether a key may use a model id: the id as sent (a route, a bare or prefixed id) or, for a
 * gateway model, its `<instance>/<id>` form, so `ollama/*` also covers a bare `llama3:8b` that
 * Ollama serves.
 */
export function mayUse(key: KeyRecord | undefined, id: string, registry: ModelRegistry, routes?: RouteLookup): boolean {
  const allows = key?.allows;
  if (!allows) return true;
  const route = routes?.find(id);
  if (route !== undefined) return mayUseRoute(allows, id, route, registry);
  return mayUseModel(allows, id, registry);
}

/** What a route is to the key check: its own name (an id, or a glob's pattern) and the deployments behind it. */
export interface RouteLookup {
  find(id: string): Pick<Route, "model" | "targets" | "fallbacks"> | undefined;
}

/**
 * A route answers with other deployments than the id names, so a key may use it only when it names
 * the route (its id, or a glob route's pattern), or when it may use the id as sent and every
 * deployment behind the route. Never through the id's `<instance>/<id>` form, nor a route named like
 * an instance's model: a key for `cheap/*` would otherwise reach a route `ok` (or `c*`, catching
 * `cheap/ok`) that sends it to `premium/big`.
 */
function mayUseRoute(allows: (id: string) => boolean, id: string, route: Pick<Route, "model" | "targets" | "fallbacks">, registry: ModelRegistry): boolean {
  const slash = route.model.indexOf("/");
  const instanceShaped = slash > 0 && registry.providers.some((provider) => provider.name === route.model.slice(0, slash));
  if (!instanceShaped && allows(route.model)) return true;
  if (!allows(id) && !allows(route.model)) return false;
  for (const target of route.targets) if (!mayUseModel(allows, target.model, registry)) return false;
  for (const fallback of route.fallbacks) if (!mayUseModel(allows, fallback, registry)) return false;
  return true;
}

/**
 * The instance an id names by its prefix (`up/m1` → `up`) when another instance serves it (one that
 * lists `up/m1` as its own id, as OpenRouter lists `openai/gpt-4o`): the id then says nothing of the
 * instance the key was given, and only the serving instance's form decides. Undefined otherwise.
 */
function servedElsewhere(id: string, registry: ModelRegistry): { provider: string; upstreamId: string } | undefined {
  const slash = id.indexOf("/");
  if (slash <= 0) return undefined;
  const prefix = id.slice(0, slash);
  if (!registry.providers.some((provider) => provider.name === prefix)) return undefined;
  try {
    const { provider, upstreamId } = registry.resolve(id);
    return provider.name === prefix ? undefined : { provider: provider.name, upstreamId };
  } catch {
    return undefined;
  }
}

/** Whether the key's list names `id` itself, not through a pattern. */
const namedExactly = (allows: (id: string) => boolean, id: string): boolean => (allows as { exactly?: (id: string) => boolean }).exactly?.(id) === true;

function mayUseModel(allows: (id: string) => boolean, id: string, registry: ModelRegistry): boolean {
  // A key for `up/*` is for instance `up`: not another instance's model whose id begins `up/` (a security probe).
  // Named outright (the id `/v1/models` lists it under, copied into the key's list) it is that model.
  const elsewhere = servedElsewhere(id, registry);
  if (elsewhere) return allows(`${elsewhere.provider}/${elsewhere.upstreamId}`) || namedExactly(allows, id);
  if (allows(id)) {
    // `<id>:latest` also names a model listed without a tag: a pattern for tags (`*:latest`) is not
    // one for every untagged model, so that model's own id must be allowed too.
    if (!id.endsWith(":latest")) return true;
    const listed = registry.labelOf(id);
    return listed === "" || listed === id || allows(listed);
  }
  // The same model with or without `:latest`, by the id it is listed as: a key for `llama3:latest` may send `llama3`, as Ollama's clients do.
  const listed = registry.labelOf(id);
  if ((listed === `${id}:latest` || id === `${listed}:latest`) && allows(listed)) return true;
  try {
    const { provider, upstreamId } = registry.resolve(id);
    return allows(`${provider.name}/${upstreamId}`);
  } catch {
    return false; // unknown model: outside every list but `*`
  }
}

/**
 * The same question for a listed model (its `owned_by` is its instance): what asking for its id
 * would do, so a list never offers what is then refused. An id a route answers (the route itself,
 * or an instance's model of the same name) is the route's question.
 */
export function mayList(key: KeyRecord | undefined, model: Model, registry?: ModelRegistry, routes?: RouteLookup): boolean {
  const allows = key?.allows;
  if (!allows) return true;
  const route = registry && routes?.find(model.id);
  if (route) return mayUseRoute(allows, model.id, route, registry);
  if (registry && servedElsewhere(model.id, registry)) return allows(`${model.owned_by}/${model.id}`) || namedExactly(allows, model.id);
  if (allows(model.id)) return true;
  return !model.id.startsWith(`${model.owned_by}/`) && allows(`${model.owned_by}/${model.id}`);
}
