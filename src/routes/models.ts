import { Elysia } from "elysia";
import type { RouteDeps } from "./deps.ts";
import { hopsOf } from "../request-meta.ts";

export function modelRoutes({ registry, logger, config }: RouteDeps) {
  return new Elysia({ name: "ollaix:models" })
    .get("/v1/models", async function listModels() {
      if (!registry.isReady) await registry.ready;
      return { object: "list" as const, data: registry.list() };
    }, { detail: { tags: ["Models"], summary: "List models", description: "Every model of every provider instance, in the OpenAI list shape." } })
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
      // Asking the upstream about an unlisted id is bounded like any upstream call.
      const signal = AbortSignal.any([request.signal, AbortSignal.timeout(config.upstreamTimeoutMs)]);
      const requestId = set.headers["x-request-id"] as string;
      const upstreamHeaders = { "x-ollaix-hops": String(hopsOf(request) + 1), "x-request-id": requestId };
      return registry.describe(id, { signal, logger: logger.child({ request_id: requestId }), upstreamHeaders });
    }, { detail: { tags: ["Models"], summary: "Retrieve a model", description: "One model; `<instance>/<id>` resolves too. 404 `model_not_found` otherwise." } });
}
