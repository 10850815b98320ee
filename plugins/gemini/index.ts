import { definePlugin, InvalidRequestError, Type, type ChatRequest, type ChunkResult, type ModelInfo, type RequestContext } from "../../src/kit.ts";
import { createGeminiClient, GOOGLE_BASE_URL } from "./client.ts";
import { toEmbedBatches, toGeminiRequest } from "./convert-request.ts";
import { fromGeminiEmbeddings, fromGeminiResponse, fromGeminiStream } from "./convert-response.ts";
import { aliasedToolNames } from "./tool-names.ts";
import type { GeminiEmbedResponse } from "./wire.ts";
import { geminiRefusals } from "./refusals.ts";
import { DEFAULT_GEMINI_MODELS, fromGeminiModels, toGeminiModelId } from "./convert-models.ts";


/** Google Gemini through the OpenAI surface, with the `@google/genai` SDK; on when GEMINI_API_KEY is set. */
export default definePlugin({
  name: "gemini",
  // No settings of its own in the config file (its variables are its settings): a misspelt field there is an error.
  settingsSchema: Type.Object({}),
  env: Type.Object({
    GEMINI_API_KEY: Type.Optional(Type.String({ title: "enables the Gemini plugin" })),
    GEMINI_BASE_URL: Type.Optional(
      Type.String({ pattern: "^https?://", title: "Gemini REST origin without the API version (proxies, tests)", description: "an http(s) URL" }),
    ),
  }),
  secretEnv: ["GEMINI_API_KEY"],

  async create(host) {
    const apiKey = host.env.GEMINI_API_KEY;
    if (!apiKey) return undefined;
    const client = await createGeminiClient({ apiKey, baseUrl: host.env.GEMINI_BASE_URL, fetch: host.fetch });
    let listed: readonly ModelInfo[] | undefined;
    /** Each listed model's output limit (Gemini's `outputTokenLimit`). */
    let outputLimits = new Map<string, number>();
    const refusals = geminiRefusals();

    /**
     * Images first (the only I/O of a request's translation), then the pure conversion. A token
     * limit above the model's own is capped at it: Gemini refuses one ("The input maxOutputTokens
     * value of 32000 … supported range is from 1 to 8193"), and clients send a size made for
     * another model (Claude Code's 32,000 to gemini-2.0-flash's 8,192).
     */
    const prepare = async (request: ChatRequest, ctx: RequestContext) => {
      refuseUnless("completion", ctx);
      const images = await ctx.loadImages(request.messages);
      const body = toGeminiRequest(request, { model: ctx.model, images, clientOptions: ctx.clientOptions });
      const most = outputLimits.get(ctx.model);
      const asked = body.generationConfig.maxOutputTokens;
      if (most !== undefined && asked !== undefined && asked > most) body.generationConfig.maxOutputTokens = most;
      return body;
    };
    /** Each listed model's capabilities (`completion`, `embedding`), from its supported methods. */
    let capabilities = new Map<string, readonly string[]>();
    const keepLimits = (models: readonly ModelInfo[]) => {
      outputLimits = new Map();
      capabilities = new Map();
      for (const model of models) {
        if (typeof model.output_token_limit === "number") outputLimits.set(model.id, model.output_token_limit);
        if (model.capabilities) capabilities.set(model.id, model.capabilities);
      }
    };
    /**
     * A listed model asked for what its methods do not include (chat from an embedding model,
     * embeddings from a chat model) is the client's 400, as the other plugins answer it: Gemini's
     * own 404 for it ("is not found …, or is not supported for batchEmbedContents") is word for word
     * its unknown model's, which read "does not exist" for a model the gateway lists.
     */
    const refuseUnless = (capability: "completion" | "embedding", ctx: RequestContext) => {
      const has = capabilities.get(ctx.model);
      if (has === undefined || has.includes(capability)) return;
      const what = capability === "embedding" ? "embeddings" : "chat (generateContent)";
      throw new InvalidRequestError(`The model '${ctx.requestedModel}' does not support ${what}: its capabilities are ${has.length > 0 ? has.join(", ") : "none of them"}.`, { param: "model" });
    };
    keepLimits(DEFAULT_GEMINI_MODELS);

    return {
      name: "gemini",
      // For `ollaix check-config`: where requests go. The key travels in a header, never in this URL.
      origin: host.env.GEMINI_BASE_URL ?? GOOGLE_BASE_URL,
      // OpenTelemetry's well-known value for the Gemini API (AI Studio); Vertex AI would be gcp.vertex_ai.
      genAiProviderName: "gcp.gemini",
      maxN: 8,
      // Gemini's catalogue changes rarely; a failed listing is retried on the same schedule.
      refreshIntervalMs: 10 * 60_000,
      resolveModel: toGeminiModelId,

      async models(ctx) {
        try {
          listed = fromGeminiModels(await client.listModels(ctx));
          keepLimits(listed);
          return listed;
        } catch (error) {
          // Served all the same: the core logs the failure (and `ollaix models` shows Gemini unreachable).
          ctx.failed(error);
          return listed ?? DEFAULT_GEMINI_MODELS;
        }
      },

      async chat(request, ctx) {
        const body = await prepare(request, ctx);
        const response = await refusals.send(ctx.model, body, ctx.logger, (sent) => client.generateContent(ctx.model, sent, ctx));
        if (response.modelVersion) ctx.responseModel = response.modelVersion;
        return fromGeminiResponse(response, aliasedToolNames(request.tools));
      },

      async *chatStream(request, ctx): AsyncGenerator<ChunkResult> {
        const body = await prepare(request, ctx);
        // A refusal is Gemini's HTTP status, before any event: asked again before anything was sent.
        yield* fromGeminiStream(await refusals.send(ctx.model, body, ctx.logger, (sent) => client.generateContentStream(ctx.model, sent, ctx)), ctx, aliasedToolNames(request.tools));
      },

      async countTokens(request, ctx) {
        const body = await prepare(request, ctx);
        return client.countTokens(ctx.model, body, ctx);
      },

      async embed(input, request, ctx) {
        // acceptsTokenIds is unset, so the core hands over strings only.
        const texts = input as string[];
        refuseUnless("embedding", ctx);
        const answers: GeminiEmbedResponse[] = [];
        for (const batch of toEmbedBatches(texts)) answers.push(await client.embedContents(ctx.model, batch, request.dimensions, ctx));
        return fromGeminiEmbeddings(answers, texts.length);
      },

      async health(ctx) {
        try {
          await client.listModels(ctx, { pageSize: 1, firstPageOnly: true });
          return { ok: true };
        } catch (error) {
          return { ok: false, detail: error instanceof Error ? error.message : String(error) };
        }
      },
    };
  },
});
