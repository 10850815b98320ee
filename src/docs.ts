import { SEED_MESSAGES } from "./seed.ts";
import { openapi } from "@elysiajs/openapi";
import { ScalarRender } from "@elysiajs/openapi/scalar";
import { Elysia } from "elysia";
import { dirname, join } from "node:path";
import { ChatCompletion, ChatCompletionChunk, ChatRequest } from "./schemas/chat.ts";
import { EmbeddingList, EmbeddingRequest } from "./schemas/embeddings.ts";
import { ErrorBody } from "./schemas/error.ts";
import { AnthropicErrorBody, CountTokensRequest, MessageResponse, MessagesRequest, TokensCount } from "./surfaces/anthropic-messages/schema.ts";
import { Model, ModelList } from "./schemas/models.ts";
import * as OllamaApi from "./surfaces/ollama-api/schemas.ts";
import { ResponsesCompactRequest, ResponsesInputTokensRequest, ResponsesRequest } from "./surfaces/openai-responses/request-schema.ts";
import { CompactedResponse, DeletedResponse, InputItemResource, InputTokenCount, ResponseItemList, ResponseObject } from "./surfaces/openai-responses/response-schema.ts";
import * as Conversations from "./surfaces/openai-conversations/schemas.ts";
import { Type } from "@sinclair/typebox";

/** The seed's three-message conversation: the example request of the docs page. */
export const SEED_CHAT_EXAMPLE = {
  model: "dummy-model:1.0",
  messages: SEED_MESSAGES.map((m) => ({ ...m })),
  stream: false,
};

const INFO = {
  title: "Ollaix API",
  description:
    "Drop-in OpenAI-compatible gateway: point any OpenAI client at this server's `/v1`. Errors are always `{\"error\":{message,type,param,code}}`.",
};

// Scalar's options: the bundle from the gateway itself, nothing fetched from the internet.
const SCALAR = {
  url: "docs/json", // relative to /docs: the page works behind a path prefix too
  version: "latest",
  cdn: "docs/scalar.js",
  withDefaultFonts: false,
  // Scalar lists component schemas under its own "Models" heading, next to our Models tag.
  hideModels: true,
  proxyUrl: "",
  // Scalar's hosted AI chat, MCP generator and deploy toolbar need its cloud: off for an offline page.
  agent: { disabled: true },
  mcp: { disabled: true },
  showToolbar: "never",
  _integration: "elysiajs",
};

let scalarBundle: Promise<ReturnType<typeof Bun.file>> | undefined;

/**
 * The Scalar bundle, looked up on its first request. Not a static import: installed as a package
 * (a plugin author's `bun add <ollaix>`), Ollaix's dependencies sit beside it rather than under
 * it, the relative path in scalar-bundle.ts does not resolve, and only this page needs it.
 */
function loadScalarBundle(): Promise<ReturnType<typeof Bun.file>> {
  return (scalarBundle ??= import("./scalar-bundle.ts").then(
    (module) => Bun.file(module.default),
    // The package's main entry is dist/index.js; the bundle is dist/browser/standalone.js.
    () => Bun.file(join(dirname(Bun.resolveSync("@scalar/api-reference", import.meta.dir)), "browser", "standalone.js")),
  ));
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/**
 * The page, rendered once. The plugin's own renderer puts `info` into `<meta>` attributes as is,
 * so a `"` in the description broke the tag: it gets escaped text here, the JSON keeps the original.
 */
const renderPage = () =>
  ScalarRender({ ...INFO, title: escapeHtml(INFO.title), description: escapeHtml(INFO.description), version: "" }, SCALAR as never);

/** `GET /v1/models/{id}`: the route is a wildcard (ids contain `/`), which the generator cannot name. */
const retrieveModelPath = {
  get: {
    tags: ["Models"],
    summary: "Retrieve a model",
    description:
      "One model; `<instance>/<id>` resolves too, and so does an id the instance does not list when its upstream confirms it exists. 404 `model_not_found` otherwise.",
    operationId: "retrieveModel",
    parameters: [
      {
        name: "id",
        in: "path",
        required: true,
        description: "The model id; it may contain `:` and `/` (sent as is or percent-encoded).",
        schema: { type: "string", examples: ["dummy-model:1.0"] },
      },
    ],
    responses: {
      200: { description: "The model", content: { "application/json": { schema: Model } } },
      404: { description: "Unknown model (`model_not_found`)", content: { "application/json": { schema: ErrorBody } } },
    },
  },
};

/** Anthropic's statuses, in its envelope (529: an upstream that is down, as Anthropic's overloaded). */
const anthropicErrors = { 400: AnthropicErrorBody, 401: AnthropicErrorBody, 403: AnthropicErrorBody, 404: AnthropicErrorBody, 413: AnthropicErrorBody, 429: AnthropicErrorBody, 500: AnthropicErrorBody, 529: AnthropicErrorBody };

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 413: ErrorBody, 429: ErrorBody, 502: ErrorBody, 503: ErrorBody, 504: ErrorBody };

const TEXT_PLAIN = { "content-type": "text/plain; charset=utf-8" };

/**
 * `/docs` (Scalar, served from the gateway) and `/docs/json` (OpenAPI 3.1 from the TypeBox
 * schemas). The POST routes read their bodies themselves (one compiled check, no Elysia
 * validation pass), so their schemas reach the document as references, not route hooks.
 */
export function docs(version: string) {
  const page = renderPage();
  return new Elysia({ name: "ollaix:docs" })
    .get("/docs/scalar.js", async () => new Response(await loadScalarBundle(), {
      headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=86400" },
    }), { detail: { hide: true } })
    // A browser is shown the docs; anything else gets Ollama's own answer, which Ollama clients check for.
    .get("/", ({ request, redirect }) => (request.headers.get("accept")?.includes("text/html") ? redirect("/docs", 302) : new Response("Ollama is running", { headers: TEXT_PLAIN })), { detail: { hide: true } })
    // The router serves /docs/ as /docs, but there the page's relative URLs (docs/json,
    // docs/scalar.js) resolve under /docs/docs/ and it renders blank: send it to /docs. A local
    // hook, so it runs for the docs routes only; relative, so it works behind a path prefix too.
    .onBeforeHandle(function docsWithoutSlash({ request, redirect }) {
      if (request.url.endsWith("/docs/")) return redirect("../docs", 301);
    })
    .get("/docs", () => new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } }), { detail: { hide: true } })
    .use(
      openapi({
        provider: null, // the page above
        path: "/docs",
        specPath: "/docs/json",
        exclude: { paths: ["/", "/docs", "/docs/scalar.js", "/v1/models/*"] },
        documentation: {
          info: { ...INFO, version },
          paths: { "/v1/models/{id}": retrieveModelPath } as never,
          tags: [
            { name: "Chat", description: "Chat completions, with and without streaming" },
            { name: "Anthropic", description: "Anthropic's Messages API for every model (Claude Code, the Anthropic SDKs)" },
            { name: "Responses", description: "OpenAI Responses: stateless or stored, with and without streaming" },
            { name: "Conversations", description: "OpenAI's Conversations API: conversations and their items, which Responses read and add to" },
            { name: "Embeddings", description: "Vector embeddings" },
            { name: "Models", description: "Models of every provider instance" },
            { name: "Health", description: "Liveness; never needs a key" },
            { name: "Ollama", description: "Ollama's own API (`/api/*`) for Ollama clients; errors are `{\"error\": \"<message>\"}`" },
          ],
          // With any key configured (OLLAIX_CONFIG's keys or OLLAIX_API_KEYS) every model route needs one, as a
          // Bearer token or (Anthropic's SDKs, Claude Code) `x-api-key`; without keys none: the empty requirement.
          security: [{ bearer: [] }, { apiKey: [] }, {}],
          components: {
            securitySchemes: {
              bearer: { type: "http", scheme: "bearer", description: "A key of the gateway's (OLLAIX_CONFIG `keys` or OLLAIX_API_KEYS), when any is configured; `/health`, `/docs` and `/` never need one" },
              apiKey: { type: "apiKey", in: "header", name: "x-api-key", description: "The same key as Anthropic's SDKs and Claude Code send it" },
            },
            schemas: { ChatCompletionChunk: { ...ChatCompletionChunk } as never },
          },
        },
        references: {
          "/v1/chat/completions": {
            post: {
              body: { ...ChatRequest, examples: [SEED_CHAT_EXAMPLE] },
              response: { 200: ChatCompletion, ...errors },
            },
          },
          "/v1/messages": {
            post: {
              body: { ...MessagesRequest, examples: [{ model: "dummy-model:1.0", max_tokens: 256, messages: [{ role: "user", content: "Hello" }] }] },
              response: { 200: MessageResponse, ...anthropicErrors },
            },
          },
          "/v1/messages/count_tokens": { post: { body: CountTokensRequest, response: { 200: TokensCount, ...anthropicErrors } } },
          "/v1/responses": {
            post: {
              body: { ...ResponsesRequest, examples: [{ model: "dummy-model:1.0", instructions: "Answer briefly.", input: "Hello, what's your name?" }] },
              response: { 200: ResponseObject, ...errors },
            },
          },
          "/v1/responses/input_tokens": {
            post: {
              body: { ...ResponsesInputTokensRequest, examples: [{ model: "dummy-model:1.0", instructions: "Answer briefly.", input: "Tell me a joke." }] },
              response: { 200: InputTokenCount, ...errors },
            },
          },
          "/v1/responses/compact": {
            post: {
              body: { ...ResponsesCompactRequest, examples: [{ model: "dummy-model:1.0", input: [{ role: "user", content: "Plan a trip to Lyon." }, { role: "assistant", content: "Day 1: the old town…" }] }] },
              response: { 200: CompactedResponse, ...errors },
            },
          },
          "/v1/responses/:response_id": {
            get: {
              query: Type.Object({
                stream: Type.Optional(Type.Boolean({ description: "a streamed background response's events again, as `text/event-stream` (any other response: 400)" })),
                starting_after: Type.Optional(Type.Integer({ description: "with `stream`: the events after this `sequence_number` (all without it)" })),
                include: Type.Optional(Type.Array(Type.String(), { description: "as the create's `include` (`message.output_text.logprobs`, `reasoning.encrypted_content`, …)" })),
                include_obfuscation: Type.Optional(Type.Boolean({ description: "accepted; the events carry no obfuscation padding" })),
              }),
              response: { 200: ResponseObject, 400: ErrorBody, 404: ErrorBody },
            },
            delete: { response: { 200: DeletedResponse, 404: ErrorBody } },
          },
          "/v1/responses/:response_id/cancel": {
            post: { response: { 200: ResponseObject, 400: ErrorBody, 404: ErrorBody } },
          },
          "/v1/responses/:response_id/input_items": {
            get: {
              query: Type.Object({
                limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
                order: Type.Optional(Type.Union([Type.Literal("asc"), Type.Literal("desc")], { default: "desc" })),
                after: Type.Optional(Type.String({ description: "an item id: the page starts after it" })),
              }),
              response: { 200: ResponseItemList, 400: ErrorBody, 404: ErrorBody },
            },
          },
          ...conversationReferences(),
          "/v1/embeddings": {
            post: { body: { ...EmbeddingRequest, examples: [{ model: "dummy-model:1.0", input: "Hello" }] }, response: { 200: EmbeddingList, ...errors } },
          },
          "/v1/models": { get: { response: { 200: ModelList, 401: ErrorBody } } },
          ...ollamaReferences(),
        } as never,
      }),
    );
}

/** The Conversations API's bodies and answers. */
function conversationReferences() {
  const listQuery = Type.Object({
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    order: Type.Optional(Type.Union([Type.Literal("asc"), Type.Literal("desc")], { default: "desc" })),
    after: Type.Optional(Type.String({ description: "an item id: the page starts after it" })),
  });
  const missing = { 400: ErrorBody, 404: ErrorBody };
  return {
    "/v1/conversations": {
      post: { body: { ...Conversations.CreateConversationBody, examples: [{ metadata: { topic: "trip" }, items: [{ role: "user", content: "Plan a trip to Lyon." }] }] }, response: { 200: Conversations.ConversationObject, ...errors } },
    },
    "/v1/conversations/:conversation_id": {
      get: { response: { 200: Conversations.ConversationObject, ...missing } },
      post: { body: Conversations.UpdateConversationBody, response: { 200: Conversations.ConversationObject, ...missing } },
      delete: { response: { 200: Conversations.DeletedConversation, ...missing } },
    },
    "/v1/conversations/:conversation_id/items": {
      get: { query: listQuery, response: { 200: Conversations.ConversationItemList, ...missing } },
      post: { body: Conversations.AddItemsBody, response: { 200: Conversations.ConversationItemList, ...missing } },
    },
    "/v1/conversations/:conversation_id/items/:item_id": {
      get: { response: { 200: InputItemResource, ...missing } },
      delete: { response: { 200: Conversations.ConversationObject, ...missing } },
    },
  };
}

/** The Ollama surface's request bodies; its errors are `{"error": "<message>"}`. */
function ollamaReferences() {
  const failures = { 400: OllamaApi.ErrorBody, 401: OllamaApi.ErrorBody, 404: OllamaApi.ErrorBody, 413: OllamaApi.ErrorBody, 429: OllamaApi.ErrorBody, 502: OllamaApi.ErrorBody };
  const example = { model: "dummy-model:1.0", messages: [{ role: "user", content: "Hello" }], stream: false };
  return {
    "/api/chat": { post: { body: { ...OllamaApi.ChatRequest, examples: [example] }, response: failures } },
    "/api/generate": { post: { body: { ...OllamaApi.GenerateRequest, examples: [{ model: "dummy-model:1.0", prompt: "Hello", stream: false }] }, response: failures } },
    "/api/embed": { post: { body: OllamaApi.EmbedRequest, response: failures } },
    "/api/embeddings": { post: { body: OllamaApi.EmbeddingsRequest, response: failures } },
    "/api/show": { post: { body: OllamaApi.ShowRequest, response: failures } },
  };
}
