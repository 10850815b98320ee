import { compileGlob, isGlob } from "../keys/glob.ts";
import type { Model } from "../schemas/models.ts";
import type { RouteSettings } from "../settings-schema.ts";

export interface RouteTarget {
  model: string;
  weight: number;
}

const LATEST = ":latest";

/** One route, resolved at start-up. */
export interface Route {
  model: string;
  targets: readonly RouteTarget[];
  fallbacks: readonly string[];
  retries: number;
  /** Listed in /v1/models (never for a glob). */
  list: boolean;
}

/**
 * The settings file's routes: an exact id first, then the globs in file order. A route's targets
 * and fallbacks are gateway model ids, resolved by the registry (never by another route).
 */
export class RouteTable {
  readonly #exact = new Map<string, Route>();
  readonly #globs: { match: (id: string) => boolean; route: Route }[] = [];

  constructor(routes: readonly RouteSettings[] = []) {
    for (const r of routes) {
      const route: Route = {
        model: r.model,
        targets: r.targets.map((t) => ({ model: t.model, weight: t.weight ?? 1 })),
        fallbacks: r.fallbacks ?? [],
        retries: r.retries ?? 0,
        list: r.list !== false && !isGlob(r.model),
      };
      if (isGlob(r.model)) this.#globs.push({ match: compileGlob(r.model), route });
      else if (!this.#exact.has(r.model)) this.#exact.set(r.model, route);
    }
  }

  get isEmpty(): boolean {
    return this.#exact.size === 0 && this.#globs.length === 0;
  }

  find(id: string): Route | undefined {
    // As the registry names models (Ollama's way): `smart:latest` is the route `smart`, and `smart` a route `smart:latest`.
    const exact = this.#exact.get(id) ?? (id.endsWith(":latest") ? this.#exact.get(id.slice(0, -LATEST.length)) : id.includes(":") ? undefined : this.#exact.get(`${id}${LATEST}`));
    if (exact || this.#globs.length === 0) return exact;
    for (const { match, route } of this.#globs) if (match(id)) return route;
    return undefined;
  }

  /** The route's own `model` (an exact id, or a glob's pattern): a bounded name for `id`. */
  labelOf(id: string): string {
    return this.find(id)?.model ?? "";
  }

  /** Routes as models for /v1/models: `owned_by: "ollaix"`. */
  listed(created: number): Model[] {
    const out: Model[] = [];
    for (const route of this.#exact.values()) {
      if (route.list) out.push({ id: route.model, object: "model", created, owned_by: "ollaix" });
    }
    return out;
  }
}
