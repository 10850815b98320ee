import { Elysia } from "elysia";
import type { RouteDeps } from "./deps.ts";
import { modelCatalog } from "./model-catalog.ts";
import { assertModelIdLength } from "../model-id.ts";
import { anthropicModelPage, isAnthropicClient, toAnthropicModel } from "../surfaces/anthropic-messages/models.ts";

/** Every model and listed route, or only those the request's key may use. */
export function modelRoutes(deps: RouteDeps) {
  const catalog = modelCatalog(deps);
  return new Elysia({ name: "ollaix:models" })
    .get("/v1/models", async function listModels({ request }) {
      const models = await catalog.list(request);
      if (isAnthropicClient(request)) return anthropicModelPage(models, new URL(request.url, "http://localhost").searchParams);
      return { object: "list" as const, data: models };
    }, { detail: { tags: ["Models"], summary: "List models", description: "Every model of every provider instance and every listed route (`owned_by: \"ollaix\"`), in the OpenAI list shape; with keys, only what the key may use. A request with `anthropic-version` (Anthropic's SDKs) gets Anthropic's page of `ModelInfo` (`limit`, `after_id`, `before_id`)." } })
    .get("/v1/models/*", async function retrieveModel({ params, request, set }) {
      // Ids contain `:` and `/`; clients may send them percent-encoded (`ollama%2Fllama3%3A8b`).
      const raw = params["*"];
      let id = raw;
      try {
        id = decodeURIComponent(raw);
      } catch {
        // Not valid percent-encoding: take the id as sent.
      }
      assertModelIdLength(id); // a 400 naming model, not a 404 echoing kilobytes of it
      const model = await catalog.describe(request, set.headers["x-request-id"] as string, id);
      return isAnthropicClient(request) ? toAnthropicModel(model) : model;
    }, { detail: { tags: ["Models"], summary: "Retrieve a model", description: "One model or route; `<instance>/<id>` resolves too. 404 `model_not_found` otherwise, also for a model the key may not use." } });
}
