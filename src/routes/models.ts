import { Elysia } from "elysia";
import { ModelNotFoundError } from "../errors.ts";
import { mayList, mayUse } from "../keys/model-access.ts";
import { keyOf } from "../keys/request-key.ts";
import { nowSeconds } from "../ids.ts";
import type { Model } from "../schemas/models.ts";
import type { RouteDeps } from "./deps.ts";
import { hopsOf } from "../request-meta.ts";

/** Every model and listed route, or only those the request's key may use. */
export function modelRoutes({ registry, router, logger, config }: RouteDeps) {
  const startedAt = nowSeconds();
  const routes: Model[] = router?.table.listed(startedAt) ?? [];
  return new Elysia({ name: "ollaix:models" })
    .get("/v1/models", async function listModels({ request }) {
      if (!registry.isReady) await registry.ready;
      const key = keyOf(request);
      const all = routes.length === 0 ? registry.list() : [...routes, ...registry.list()];
      return { object: "list" as const, data: key?.allows ? all.filter((m) => mayList(key, m)) : all };
    }, { detail: { tags: ["Models"], summary: "List models", description: "Every model of every provider instance and every listed route (`owned_by: \"ollaix\"`), in the OpenAI list shape; with keys, only what the key may use." } })
    .get("/v1/models/*", async function retrieveModel({ params, request, set }) {
      if (!registry.isReady) await registry.ready;
      // Ids contain `:` and `/`; clients may send them percent-encoded (`ollama%2Fllama3%3A8b`).
      const raw = params["*"];
      let id = raw;
      try {
        id = decodeURIComponent(raw);
      } catch {
        // Not valid percent-encoding: take the id as sent.
      }
      // A model the key may not use does not exist for it (OpenAI answers the same).
      if (!mayUse(keyOf(request), id, registry)) throw new ModelNotFoundError(id);
      const route = routes.find((r) => r.id === id);
      if (route) return route;
      if (router?.isRoute(id)) return { id, object: "model" as const, created: startedAt, owned_by: "ollaix" };
      // Asking the upstream about an unlisted id is bounded like any upstream call.
      const signal = AbortSignal.any([request.signal, AbortSignal.timeout(config.upstreamTimeoutMs)]);
      const requestId = set.headers["x-request-id"] as string;
      const upstreamHeaders = { "x-ollaix-hops": String(hopsOf(request) + 1), "x-request-id": requestId };
      return registry.describe(id, { signal, logger: logger.child({ request_id: requestId }), upstreamHeaders });
    }, { detail: { tags: ["Models"], summary: "Retrieve a model", description: "One model or route; `<instance>/<id>` resolves too. 404 `model_not_found` otherwise, also for a model the key may not use." } });
}
