import { ModelNotFoundError } from "../errors.ts";
import { nowSeconds } from "../ids.ts";
import { mayList, mayUse } from "../keys/model-access.ts";
import { keyOf } from "../keys/request-key.ts";
import { hopsOf } from "../request-meta.ts";
import type { Model } from "../schemas/models.ts";
import type { RouteDeps } from "./deps.ts";

/**
 * The models a request may see, the same on every surface (`/v1/models`, `/api/tags`, `/api/show`):
 * every model of every instance and every listed route (`owned_by: "ollaix"`), or only those the
 * request's key may use; one model by id, where an id the key may not use does not exist for it
 * (OpenAI answers the same) and an unlisted id is 404 unless its provider confirms it when asked.
 */
export function modelCatalog({ registry, router, logger, config, pipeline }: Pick<RouteDeps, "registry" | "router" | "logger" | "config" | "pipeline">) {
  const startedAt = nowSeconds();
  const routes: Model[] = router?.table.listed(startedAt) ?? [];
  return {
    async list(request: Request): Promise<readonly Model[]> {
      if (!registry.isReady) await registry.ready;
      const key = keyOf(request);
      const all = routes.length === 0 ? registry.list() : [...routes, ...registry.list()];
      return key?.allows ? all.filter((m) => mayList(key, m, registry, router?.table)) : all;
    },

    async describe(request: Request, requestId: string, id: string): Promise<Model> {
      if (!registry.isReady) await registry.ready;
      if (!mayUse(keyOf(request), id, registry, router?.table)) throw new ModelNotFoundError(id);
      const route = routes.find((r) => r.id === id);
      if (route) return route;
      if (router?.isRoute(id)) return { id, object: "model" as const, created: startedAt, owned_by: "ollaix" };
      // Asking the upstream about an unlisted id is bounded like any upstream call, and is a request of
      // the key: refused (429) while its limits are spent, as a model call is; an answer the registry
      // kept (found or not, model-lookups.ts) reaches no upstream and is not counted.
      const signal = AbortSignal.any([request.signal, AbortSignal.timeout(config.upstreamTimeoutMs)]);
      const upstreamHeaders = { "x-ollaix-hops": String(hopsOf(request) + 1), "x-request-id": requestId };
      return registry.describe(id, { signal, logger: logger.child({ request_id: requestId }), upstreamHeaders }, () => pipeline.admitStore(request));
    },
  };
}
