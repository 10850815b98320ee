import { Elysia } from "elysia";
import type { RouteDeps } from "./deps.ts";

export function modelRoutes({ registry }: RouteDeps) {
  return new Elysia({ name: "ollaix:models" })
    .get("/v1/models", async function listModels() {
      if (!registry.isReady) await registry.ready;
      return { object: "list" as const, data: registry.list() };
    }, { detail: { tags: ["Models"], summary: "List models", description: "Every model of every provider instance, in the OpenAI list shape." } })
    .get("/v1/models/*", async function retrieveModel({ params }) {
      if (!registry.isReady) await registry.ready;
      // Ids contain `:` and `/`; clients may send them percent-encoded (`ollama%2Fllama3%3A8b`).
      const raw = params["*"];
      let id = raw;
      try {
        id = decodeURIComponent(raw);
      } catch {
        // Not valid percent-encoding: take the id as sent.
      }
      return registry.describe(id);
    }, { detail: { tags: ["Models"], summary: "Retrieve a model", description: "One model; `<instance>/<id>` resolves too. 404 `model_not_found` otherwise." } });
}
