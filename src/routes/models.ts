import { Elysia } from "elysia";
import type { RouteDeps } from "./deps.ts";
import { modelCatalog } from "./model-catalog.ts";

/** Every model and listed route, or only those the request's key may use. */
export function modelRoutes(deps: RouteDeps) {
  const catalog = modelCatalog(deps);
  return new Elysia({ name: "ollaix:models" })
    .get("/v1/models", async function listModels({ request }) {
      return { object: "list" as const, data: await catalog.list(request) };
    }, { detail: { tags: ["Models"], summary: "List models", description: "Every model of every provider instance and every listed route (`owned_by: \"ollaix\"`), in the OpenAI list shape; with keys, only what the key may use." } })
    .get("/v1/models/*", async function retrieveModel({ params, request, set }) {
      // Ids contain `:` and `/`; clients may send them percent-encoded (`ollama%2Fllama3%3A8b`).
      const raw = params["*"];
      let id = raw;
      try {
        id = decodeURIComponent(raw);
      } catch {
        // Not valid percent-encoding: take the id as sent.
      }
      return catalog.describe(request, set.headers["x-request-id"] as string, id);
    }, { detail: { tags: ["Models"], summary: "Retrieve a model", description: "One model or route; `<instance>/<id>` resolves too. 404 `model_not_found` otherwise, also for a model the key may not use." } });
}
