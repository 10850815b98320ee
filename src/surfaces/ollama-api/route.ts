import { assertModelIdLength } from "../../model-id.ts";
import { Elysia } from "elysia";
import { readsNoBody } from "../../http/fast-routes.ts";
import { jsonBodyParsers } from "../../body.ts";
import { asOllama } from "./lenient.ts";
import { InvalidRequestError, NotFoundError } from "../../errors.ts";
import type { CallInfo } from "../../pipeline/pipeline.ts";
import type { ClientOptions } from "../../plugin.ts";
import type { RouteDeps } from "../../routes/deps.ts";
import { modelCatalog } from "../../routes/model-catalog.ts";
import type { EmbeddingRequest } from "../../schemas/embeddings.ts";
import { compileValidator } from "../../validation.ts";
import { assertModelExists, loadAnswer, ollamaNotFound, runChat } from "./chat-handlers.ts";
import { toShowAnswer, toTagsEntry } from "./models.ts";
import { runningModels } from "./running.ts";
import { ChatRequest, EmbeddingsRequest, EmbedRequest, GenerateRequest, ShowRequest } from "./schemas.ts";
import { fromOllamaChat, fromOllamaGenerate } from "./to-chat-request.ts";

/**
 * The Ollama API level this surface implements (`think` levels, `tool_name`, `capabilities`,
 * `logprobs`/`top_logprobs`, which came in 0.12.11).
 * Clients read `/api/version` to decide which fields they may send, so it names Ollama's version,
 * not Ollaix's (which is in `/health`).
 */
export const OLLAMA_API_VERSION = "0.12.11";

const JSON_TYPE = { "content-type": "application/json; charset=utf-8" };

const NOT_MANAGED = JSON.stringify({
  error: "Ollaix is a gateway: it does not manage model files (pull, push, create, copy, delete, blobs). Manage models on the provider behind it.",
});
const notManaged = () => new Response(NOT_MANAGED, { status: 501, headers: JSON_TYPE });
const hidden = { detail: { hide: true } };

/** `stream` defaults to true on Ollama's API. */
const isStream = (stream: boolean | null | undefined) => stream !== false;

/**
 * A known path asked with another method: Ollama's router answers 405 (gin's `HandleMethodNotAllowed`),
 * where an unknown path is a 404; with `Allow`, as RFC 9110 asks. OPTIONS (CORS preflight) and HEAD
 * (a GET route's) are left to their own handlers.
 */
const WRONG_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
const methodNotAllowed = (allowed: string) =>
  readsNoBody(() => new Response(JSON.stringify({ error: "method not allowed" }), { status: 405, headers: { ...JSON_TYPE, allow: allowed } }));

function refuseOtherMethods<A extends Elysia<any, any, any, any, any, any, any>>(app: A, path: string, allowed: readonly string[]): A {
  const refuse = methodNotAllowed(allowed.join(", "));
  for (const method of WRONG_METHODS) if (!allowed.includes(method)) app.route(method, path, refuse, hidden);
  return app;
}

/**
 * A request without a model (absent, null or ""), as Ollama answers it: chat, show and embeddings
 * say "model is required" (400); generate and embed look the empty name up: 404 `model '' not found`.
 */
function assertModelGiven(raw: unknown, answer: "required" | "lookup"): void {
  const model = typeof raw === "object" && raw !== null ? (raw as { model?: unknown }).model : "-";
  if (model !== undefined && model !== null && model !== "") return;
  if (answer === "required") throw new InvalidRequestError("model is required", { param: "model" });
  throw new NotFoundError("model '' not found", { param: "model", code: "model_not_found" });
}

const tag = (summary: string, description?: string) => ({ detail: { tags: ["Ollama"], summary, ...(description ? { description } : {}) } });

/** Ollama's own REST API (`/api/*`) over the shared pipeline: every gateway model, for Ollama clients. */
export function ollamaRoutes({ config, registry, logger, pipeline, router }: RouteDeps) {
  const chatBody = asOllama(compileValidator(ChatRequest));
  const generateBody = asOllama(compileValidator(GenerateRequest));
  const embedBody = asOllama(compileValidator(EmbedRequest));
  const embeddingsBody = asOllama(compileValidator(EmbeddingsRequest));
  const showBody = compileValidator(ShowRequest);
  const parse = jsonBodyParsers(config.maxBodyBytes, "any");
  const chatDeps = { pipeline, logger };
  const callOf = (request: Request, set: { headers: Record<string, unknown> }) => ({
    surface: "ollama" as const,
    request,
    requestId: set.headers["x-request-id"] as string,
  });

  // A request with nothing to generate loads the model (unloads it with a keep_alive of zero) where its
  // provider can, with the client's Modelfile options (a preload's num_ctx is the context the model is loaded with).
  const loadModel = (request: Request, set: { headers: Record<string, unknown> }, body: { model: string; options?: Record<string, unknown> | null; keep_alive?: string | number }) => {
    assertModelIdLength(body.model);
    const call: CallInfo = callOf(request, set);
    if (body.options != null || body.keep_alive !== undefined) {
      call.clientOptions = { surface: "ollama", ...(body.options != null ? { options: body.options } : {}), ...(body.keep_alive !== undefined ? { keepAlive: body.keep_alive } : {}) };
    }
    return ollamaNotFound(body.model, () => pipeline.load(call, body.model, body.keep_alive));
  };

  // An embedding's own Ollama fields (`truncate`, Modelfile `options`, `keep_alive`) for a provider that speaks Ollama.
  const embedCall = (request: Request, set: { headers: Record<string, unknown> }, body: { truncate?: boolean; options?: Record<string, unknown> | null; keep_alive?: string | number }) => {
    const call: CallInfo = callOf(request, set);
    if (body.truncate === undefined && body.options == null && body.keep_alive === undefined) return call;
    const clientOptions: ClientOptions = { surface: "ollama" };
    if (body.truncate !== undefined) clientOptions.truncate = body.truncate;
    if (body.options != null) clientOptions.options = body.options;
    if (body.keep_alive !== undefined) clientOptions.keepAlive = body.keep_alive;
    call.clientOptions = clientOptions;
    return call;
  };

  const catalog = modelCatalog({ config, registry, logger, router, pipeline });
  const listRunning = runningModels({ registry, router, logger });
  const listTags = async ({ request }: { request: Request }) => ({ models: (await catalog.list(request)).map(toTagsEntry) });

  const app = new Elysia({ name: "ollaix:ollama" })
    .get("/api/tags", listTags, tag("List models", "Every gateway model under its gateway id."))
    .head("/api/tags", () => new Response(null, { headers: JSON_TYPE }), hidden)
    .get("/api/version", () => ({ version: OLLAMA_API_VERSION }), tag("Version", "The Ollama API level served."))
    .head("/api/version", () => new Response(null, { headers: JSON_TYPE }), hidden)
    .get("/api/ps", async ({ request, set }) => ({ models: await listRunning(request, set.headers["x-request-id"] as string) }), tag("Running models", "The models the providers hold in memory now (an Ollama behind the Ollama plugin), under their gateway ids."))
    .post(
      "/api/show",
      async function showModel({ body: raw, request, set }) {
        // `name` is the older spelling Ollama still accepts (its ShowHandler reads it when `model` is empty).
        const named = typeof raw === "object" && raw !== null && !(raw as { model?: unknown }).model ? (raw as { name?: unknown }).name : undefined;
        if (named === undefined || named === "") assertModelGiven(raw, "required");
        const body = showBody.assert(raw);
        const model = body.model || body.name;
        if (!model) throw new InvalidRequestError("Missing required parameter: 'model'.", { param: "model" });
        assertModelIdLength(model);
        return toShowAnswer(await ollamaNotFound(model, () => catalog.describe(request, set.headers["x-request-id"] as string, model)));
      },
      { parse, ...tag("Show a model", "Details and `capabilities` as the plugin knows them.") },
    )
    .post(
      "/api/chat",
      async function ollamaChat({ body: raw, request, set }) {
        const startedAt = performance.now();
        assertModelGiven(raw, "required");
        const body = chatBody.assert(raw);
        if (!body.messages || body.messages.length === 0) {
          Object.assign(set.headers, await loadModel(request, set, body));
          return loadAnswer("chat", body.model, body.keep_alive);
        }
        const stream = isStream(body.stream);
        return runChat(chatDeps, callOf(request, set), "chat", fromOllamaChat(body, stream), stream, startedAt, set.headers);
      },
      { parse, ...tag("Chat", "Ollama `/api/chat`; `stream` defaults to true (`application/x-ndjson`).") },
    )
    .post(
      "/api/generate",
      async function ollamaGenerate({ body: raw, request, set }) {
        const startedAt = performance.now();
        assertModelGiven(raw, "lookup");
        const body = generateBody.assert(raw);
        // No prompt is a model load, images or not, as Ollama answers it (a suffix is checked first).
        if (!body.prompt && !body.suffix) {
          Object.assign(set.headers, await loadModel(request, set, body));
          return loadAnswer("generate", body.model, body.keep_alive);
        }
        if (body.suffix) {
          // Fill-in-the-middle needs the provider's own completion endpoint; no plugin offers one.
          await assertModelExists(registry, body.model, request, router?.table);
          throw new InvalidRequestError(`model '${body.model}' does not support insert (suffix)`, { param: "suffix" });
        }
        const stream = isStream(body.stream);
        return runChat(chatDeps, callOf(request, set), "generate", fromOllamaGenerate(body, stream), stream, startedAt, set.headers);
      },
      { parse, ...tag("Generate", "Ollama `/api/generate`; `stream` defaults to true (`application/x-ndjson`).") },
    )
    .post(
      "/api/embed",
      async function ollamaEmbed({ body: raw, request, set }) {
        const startedAt = performance.now();
        assertModelGiven(raw, "lookup");
        const body = embedBody.assert(raw);
        // As Ollama: no input, null or "" embeds nothing (a model load); "" inside an array is embedded.
        const input = body.input == null || body.input === "" ? [] : typeof body.input === "string" ? [body.input] : body.input;
        if (input.length === 0) {
          await assertModelExists(registry, body.model, request, router?.table);
          return { model: body.model, embeddings: [] };
        }
        // The client's own input (a string stays a string) for the provider.
        const request_: EmbeddingRequest = { model: body.model, input: typeof body.input === "string" ? body.input : input };
        if (body.dimensions !== undefined) request_.dimensions = body.dimensions;
        const result = await ollamaNotFound(body.model, () => pipeline.embed(embedCall(request, set, body), request_, input));
        Object.assign(set.headers, result.headers);
        return {
          model: body.model,
          embeddings: result.embeddings,
          total_duration: Math.round((performance.now() - startedAt) * 1e6),
          load_duration: 0,
          prompt_eval_count: result.usage?.prompt_tokens ?? 0,
        };
      },
      { parse, ...tag("Embed", "Ollama `/api/embed`: `input` a string or an array of strings.") },
    )
    .post(
      "/api/embeddings",
      async function ollamaEmbeddings({ body: raw, request, set }) {
        assertModelGiven(raw, "required");
        const body = embeddingsBody.assert(raw);
        const prompt = body.prompt ?? "";
        if (prompt === "") {
          await assertModelExists(registry, body.model, request, router?.table);
          return { embedding: [] };
        }
        const request_: EmbeddingRequest = { model: body.model, input: prompt };
        const result = await ollamaNotFound(body.model, () => pipeline.embed(embedCall(request, set, body), request_, [prompt]));
        Object.assign(set.headers, result.headers);
        return { embedding: result.embeddings[0] };
      },
      { parse, ...tag("Embeddings (legacy)", "Ollama `/api/embeddings`: one `prompt`, one `embedding`.") },
    )
    .all("/api/pull", notManaged, hidden)
    .all("/api/push", notManaged, hidden)
    .all("/api/create", notManaged, hidden)
    .all("/api/copy", notManaged, hidden)
    .all("/api/delete", notManaged, hidden)
    .all("/api/blobs/*", notManaged, hidden);
  // `/` too: Ollama's "Ollama is running" (the docs module serves its GET).
  for (const path of ["/", "/api/tags", "/api/version", "/api/ps"]) refuseOtherMethods(app, path, ["GET", "HEAD"]);
  for (const path of ["/api/show", "/api/chat", "/api/generate", "/api/embed", "/api/embeddings"]) refuseOtherMethods(app, path, ["POST"]);
  return app;
}
