import { openapi } from "@elysiajs/openapi";
import { Elysia } from "elysia";
// The self-contained Scalar bundle; the package's `exports` map hides it, so it is imported by
// path. `type: "file"` embeds it in the compiled binary, so the page needs no internet.
import scalarBundlePath from "../node_modules/@scalar/api-reference/dist/browser/standalone.js" with { type: "file" };
import { ChatCompletion, ChatCompletionChunk, ChatRequest } from "./schemas/chat.ts";
import { EmbeddingList, EmbeddingRequest } from "./schemas/embeddings.ts";
import { ErrorBody } from "./schemas/error.ts";
import { Model, ModelList } from "./schemas/models.ts";
import { ResponsesRequest } from "./surfaces/openai-responses/request-schema.ts";
import { DeletedResponse, ResponseItemList, ResponseObject } from "./surfaces/openai-responses/response-schema.ts";
import { Type } from "@sinclair/typebox";

/** The seed's three-message conversation: the example request of the docs page. */
export const SEED_CHAT_EXAMPLE = {
  model: "dummy-model:1.0",
  messages: [
    { role: "user", content: "Hello, what's your name?" },
    { role: "assistant", content: "Hello ! I'm an AI assistant. How can I help you today?" },
    { role: "user", content: "Perfect! Can you help me with some Python code?" },
  ],
  stream: false,
};

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 413: ErrorBody, 429: ErrorBody, 502: ErrorBody, 503: ErrorBody, 504: ErrorBody };

/**
 * `/docs` (Scalar, served from the gateway) and `/docs/json` (OpenAPI 3.1 from the TypeBox
 * schemas). The POST routes read their bodies themselves (one compiled check, no Elysia
 * validation pass), so their schemas reach the document as references, not route hooks.
 */
export function docs(version: string) {
  const scalarBundle = Bun.file(scalarBundlePath);
  return new Elysia({ name: "ollaix:docs" })
    .get("/docs/scalar.js", () => new Response(scalarBundle, {
      headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=86400" },
    }), { detail: { hide: true } })
    .get("/", ({ redirect }) => redirect("/docs", 302), { detail: { hide: true } })
    // The router serves /docs/ as /docs, but there the page's relative URLs (docs/json,
    // docs/scalar.js) resolve under /docs/docs/ and it renders blank: send it to /docs. A local
    // hook, so it runs for the docs routes only; relative, so it works behind a path prefix too.
    .onBeforeHandle(function docsWithoutSlash({ request, redirect }) {
      if (request.url.endsWith("/docs/")) return redirect("../docs", 301);
    })
    .use(
      openapi({
        path: "/docs",
        specPath: "/docs/json",
        exclude: { paths: ["/", "/docs/scalar.js"] },
        scalar: {
          // Relative to /docs: the page works behind a path prefix too.
          cdn: "docs/scalar.js",
          withDefaultFonts: false,
          // Scalar lists component schemas under its own "Models" heading, next to our Models tag.
          hideModels: true,
          proxyUrl: "",
          // Scalar's hosted AI chat, MCP generator and deploy toolbar need its cloud: off for an offline page.
          agent: { disabled: true },
          mcp: { disabled: true },
          showToolbar: "never",
        } as never, // the type asks for every Scalar option; the page fills in defaults
        documentation: {
          info: {
            title: "Ollaix API",
            version,
            description:
              "Drop-in OpenAI-compatible gateway: point any OpenAI client at this server's `/v1`. Errors are always `{\"error\":{message,type,param,code}}`.",
          },
          tags: [
            { name: "Chat", description: "Chat completions, with and without streaming" },
            { name: "Responses", description: "OpenAI Responses: stateless or stored, with and without streaming" },
            { name: "Embeddings", description: "Vector embeddings" },
            { name: "Models", description: "Models of every provider instance" },
            { name: "Health", description: "Liveness; never needs a key" },
          ],
          components: {
            securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "Only when OLLAIX_API_KEYS is set" } },
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
          "/v1/responses": {
            post: {
              body: { ...ResponsesRequest, examples: [{ model: "dummy-model:1.0", instructions: "Answer briefly.", input: "Hello, what's your name?" }] },
              response: { 200: ResponseObject, ...errors },
            },
          },
          "/v1/responses/:response_id": {
            get: { response: { 200: ResponseObject, 404: ErrorBody } },
            delete: { response: { 200: DeletedResponse, 404: ErrorBody } },
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
          "/v1/embeddings": {
            post: { body: { ...EmbeddingRequest, examples: [{ model: "dummy-model:1.0", input: "Hello" }] }, response: { 200: EmbeddingList, ...errors } },
          },
          "/v1/models": { get: { response: { 200: ModelList, 401: ErrorBody } } },
          "/v1/models/*": { get: { response: { 200: Model, 404: ErrorBody } } },
        } as never,
      }),
    );
}
