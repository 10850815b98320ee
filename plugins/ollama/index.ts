import { definePlugin, Type, type ChatRequest, type ChunkResult, type RequestContext } from "../../src/kit.ts";
import { createOllamaClient } from "./client.ts";
import { toOllamaChatRequest, toOllamaEmbedRequest } from "./convert-request.ts";
import { createChunkMapper, fromOllamaChatResponse, fromOllamaEmbedResponse } from "./convert-response.ts";
import { createModelCatalog } from "./discover-models.ts";
import type { OllamaChatRequest } from "./wire.ts";

/** Every model of an Ollama server, through the OpenAI endpoints. */
export default definePlugin({
  name: "ollama",
  // No settings of its own in the config file (its variables are its settings): a misspelt field there is an error.
  settingsSchema: Type.Object({}),
  env: Type.Object({
    OLLAMA_BASE_URL: Type.String({
      default: "http://localhost:11434",
      pattern: "^https?://",
      title: "Ollama server; its models are discovered from GET /api/tags",
      description: "an http(s) URL",
    }),
  }),
  create(host) {
    const client = createOllamaClient({ baseUrl: host.env.OLLAMA_BASE_URL, fetch: host.fetch });
    const catalog = createModelCatalog(client, host.logger);

    async function toChatBody(request: ChatRequest, ctx: RequestContext, stream: boolean): Promise<OllamaChatRequest> {
      const images = await ctx.loadImages(request.messages);
      return toOllamaChatRequest(request, { model: ctx.model, stream, images, traits: catalog.traitsOf(ctx.model), clientOptions: ctx.clientOptions });
    }

    return {
      name: "ollama",
      models: (ctx) => catalog.list(ctx),
      refreshIntervalMs: 30_000,
      // `ollama/<name>` reaches models the last discovery did not list (yet).
      resolveModel: (id) => id,
      origin: host.env.OLLAMA_BASE_URL,
      // `/api/show` answers 404 for a model this server does not have.
      async modelExists(id, ctx) {
        try {
          await client.showModel(id, { ...ctx, requestedModel: id });
          return true;
        } catch (error) {
          if ((error as { code?: unknown })?.code === "model_not_found") return false;
          throw error;
        }
      },

      async chat(request, ctx) {
        const answer = await client.chat(await toChatBody(request, ctx, false), ctx);
        return fromOllamaChatResponse(answer);
      },

      async *chatStream(request, ctx): AsyncGenerator<ChunkResult[]> {
        const toChunks = createChunkMapper();
        for await (const lines of client.chatStream(await toChatBody(request, ctx, true), ctx)) {
          // One batch per network read: the core writes it in one go.
          yield lines.length === 1 ? toChunks(lines[0]!) : lines.flatMap(toChunks);
        }
      },

      async embed(input, request, ctx) {
        const answer = await client.embed(toOllamaEmbedRequest(request, input, ctx.model, ctx.clientOptions), ctx);
        return fromOllamaEmbedResponse(answer, input.length);
      },

      // `ollama run` preloads, `ollama stop` and Open WebUI unload: the Ollama server does it.
      // With the client's Modelfile options: the context it loads with is the one its chats will ask for.
      load: (keepAlive, ctx) => client.load(ctx.model, keepAlive, ctx.clientOptions?.surface === "ollama" ? ctx.clientOptions.options : undefined, ctx),
      // What `ollama ps` shows: the models this server holds in memory now.
      async runningModels(ctx) {
        const { models } = await client.running(ctx);
        return models.map(({ name, model, size, size_vram, digest, details, expires_at, context_length }) => ({
          id: model || name,
          ...(size !== undefined ? { size } : {}),
          ...(size_vram !== undefined ? { size_vram } : {}),
          ...(digest !== undefined ? { digest } : {}),
          ...(details != null ? { details } : {}),
          ...(expires_at !== undefined ? { expires_at } : {}),
          ...(context_length !== undefined ? { context_length } : {}),
        }));
      },

      async health(ctx) {
        try {
          return { ok: true, detail: `Ollama ${await client.version(ctx)}` };
        } catch (error) {
          return { ok: false, detail: (error as Error).message };
        }
      },
    };
  },
});
