import { FeatureRefusals, type ChatRequest, type ChunkResult, type DiscoveryContext, type EmbeddingRequest, type Provider, type RequestContext } from "../../src/kit.ts";
import { UpstreamClient } from "./client.ts";
import { HINTS, MAX_TOKENS_RENAMED, REASONING_HISTORY, REASONING_OFF } from "./refusals.ts";
import { answeredModel, fromUpstreamCompletion, fromUpstreamEmbeddings, fromUpstreamEvents, fromUpstreamModelList } from "./convert-response.ts";
import type { Upstream } from "./settings.ts";

/** A health probe is one `GET /models`; it must stay cheap even when the upstream hangs. */
const HEALTH_TIMEOUT_MS = 3000;

/** The upstream decides what `n` it honours; 128 is OpenAI's own ceiling. */
const MAX_N = 128;

/** One provider instance for one configured upstream: a pass-through to its OpenAI API. */
export function createProvider(upstream: Upstream, fetchImpl: typeof fetch): Provider {
  const client = new UpstreamClient(upstream, fetchImpl);
  const refusals = new FeatureRefusals([REASONING_OFF, MAX_TOKENS_RENAMED, REASONING_HISTORY, ...HINTS]);

  const discover = async (ctx: DiscoveryContext) =>
    fromUpstreamModelList(await client.getJson("/models", ctx), client.errorContext());

  return {
    name: upstream.name,
    models: upstream.models ?? discover,
    refreshIntervalMs: upstream.refreshIntervalMs,
    // Any id goes: the upstream knows its models better than our last discovery
    // (`openrouter/openai/gpt-4o` reaches OpenRouter as `openai/gpt-4o`).
    resolveModel: (id) => id,
    origin: upstream.baseUrl,
    // OpenAI's `GET /models/{model}`: 404 for a model the upstream does not serve.
    async modelExists(id, ctx) {
      // `.` and `..` survive encodeURIComponent and the URL then climbs to /v1/ (a probe): no model is named so.
      if (id === "." || id === "..") return false;
      try {
        await client.getJson(`/models/${encodeURIComponent(id)}`, { ...ctx, requestedModel: id });
        return true;
      } catch (error) {
        if ((error as { code?: unknown })?.code === "model_not_found") return false;
        throw error;
      }
    },
    maxN: MAX_N,
    // Its own time-out (timeout_ms) stands for UPSTREAM_TIMEOUT_MS, also when it is longer.
    ...(upstream.timeoutMs !== undefined ? { timeoutMs: upstream.timeoutMs } : {}),
    // An OpenAI-compatible server is sent the request as the client sent it: web search, moderation, audio are its to honour or refuse.
    takesOpenAIFeatures: true,
    acceptsTokenIds: true,

    async chat(request: ChatRequest, ctx: RequestContext) {
      const body = toUpstreamBody(request, ctx);
      const send = (sent: ChatRequest) => client.postJson("/chat/completions", sent, callContext(ctx));
      // Only a body that asks for something a model may refuse goes through the refusals.
      const answer = await (refusals.asksAny(body) ? refusals.send(ctx.model, body, ctx.logger, send) : send(body));
      ctx.responseModel = answeredModel(answer); // read first: the conversion drops `model`, which the core stamps
      return fromUpstreamCompletion(answer, client.errorContext(ctx.requestedModel));
    },

    async *chatStream(request: ChatRequest, ctx: RequestContext): AsyncGenerator<ChunkResult[]> {
      const body = toUpstreamBody(request, ctx);
      // A refusal is the upstream's HTTP status, before any event: asked again before anything was read.
      const open = (sent: ChatRequest) => client.openStream("/chat/completions", sent, callContext(ctx));
      const events = await (refusals.asksAny(body) ? refusals.send(ctx.model, body, ctx.logger, open) : open(body));
      yield* fromUpstreamEvents(events, client.errorContext(ctx.requestedModel), ctx);
    },

    async embed(input, request: EmbeddingRequest, ctx: RequestContext) {
      // The client's own `input` (a string stays a string), and float vectors whatever the client
      // asked: the core encodes base64 itself.
      const body = { ...request, model: ctx.model, encoding_format: "float" };
      const answer = await client.postJson("/embeddings", body, callContext(ctx));
      ctx.responseModel = answeredModel(answer); // the model the upstream says answered, as for chat
      return fromUpstreamEmbeddings(answer, input.length, client.errorContext(ctx.requestedModel));
    },

    async health(ctx: DiscoveryContext) {
      try {
        const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(HEALTH_TIMEOUT_MS)]);
        const models = await discover({ ...ctx, signal });
        return { ok: true, detail: `${models.length} models` };
      } catch (error) {
        return { ok: false, detail: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}

/** The request as the client sent it (a copy: the core's object is not ours), for the upstream's id. */
function toUpstreamBody(request: ChatRequest, ctx: RequestContext): ChatRequest {
  return { ...request, model: ctx.model, ...(hasLongCallIds(request.messages) ? { messages: request.messages.map(withShortCallIds) } : {}) };
}

/**
 * OpenAI refuses a tool-call id over 40 characters ("string too long … maximum length 40"), and
 * other providers' ids can be longer: Gemini's carry their thought signature (hundreds of
 * characters), so a conversation begun on Gemini could not go on here. Such an id goes upstream as
 * a short one made from it, the same for a call and its result, so they still pair.
 */
const MAX_CALL_ID = 40;

function hasLongCallIds(messages: ChatRequest["messages"]): boolean {
  for (const message of messages) {
    if (message.role === "tool" ? (message.tool_call_id?.length ?? 0) > MAX_CALL_ID : message.tool_calls?.some((call) => call.id.length > MAX_CALL_ID)) return true;
  }
  return false;
}

const shortCallId = (id: string): string => (id.length <= MAX_CALL_ID ? id : `call_${Bun.hash(id).toString(16).padStart(16, "0")}`);

function withShortCallIds(message: ChatRequest["messages"][number]): ChatRequest["messages"][number] {
  if (message.role === "tool") return message.tool_call_id && message.tool_call_id.length > MAX_CALL_ID ? { ...message, tool_call_id: shortCallId(message.tool_call_id) } : message;
  if (!message.tool_calls?.some((call) => call.id.length > MAX_CALL_ID)) return message;
  return { ...message, tool_calls: message.tool_calls.map((call) => (call.id.length > MAX_CALL_ID ? { ...call, id: shortCallId(call.id) } : call)) };
}

function callContext(ctx: RequestContext) {
  return { signal: ctx.signal, upstreamHeaders: ctx.upstreamHeaders, requestedModel: ctx.requestedModel };
}
