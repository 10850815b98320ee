import type { Config } from "../config.ts";
import { InvalidRequestError, UpstreamError } from "../errors.ts";
import { mapError } from "../error-response.ts";
import type { Logger } from "../logger.ts";
import type { ChatResult, EmbedResult, Provider, RequestContext } from "../plugin.ts";
import type { ModelRegistry } from "../registry.ts";
import { providerContext } from "../routes/provider-context.ts";
import type { ChatRequest } from "../schemas/chat.ts";
import type { EmbeddingRequest } from "../schemas/embeddings.ts";
import type { StreamEncoder } from "./encoder.ts";
import { openGate, type Admission, type Gate } from "./gate.ts";
import { OutcomeBus, type RequestOutcome, type SurfaceName, type TokenUsage } from "./outcome.ts";
import { requestChars, resultTokens, StreamTally } from "./tally.ts";
import { streamResponse, type ChunkBatch } from "./stream-writer.ts";

export interface PipelineDeps {
  config: Readonly<Config>;
  registry: ModelRegistry;
  logger: Logger;
  redact: (text: string) => string;
  outcomes: OutcomeBus;
  /** Keys and limits; open (no keys, no limits) by default. */
  gate?: Gate;
}

/** Who is calling, from which surface: what a surface hands the pipeline besides the request body. */
export interface CallInfo {
  surface: SurfaceName;
  request: Request;
  requestId: string;
}

/** What the pipeline hands back with a complete answer. */
export interface Completed {
  result: ChatResult;
  /** Headers for the answer (`x-ollaix-target`, rate-limit headers…). */
  headers: Record<string, string>;
  usage: TokenUsage;
}

/** Errors the pipeline already reported as an outcome: the HTTP error handler must not report them again. */
const reported = new WeakSet<object>();
export const wasReported = (error: unknown): boolean => typeof error === "object" && error !== null && reported.has(error);

const pathOf = (url: string): string => {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const query = url.indexOf("?", start);
  return query === -1 ? url.slice(start) : url.slice(start, query);
};

/**
 * The surface-independent half of every model call: admission (keys, limits), model resolution,
 * the provider call under its request scope (time-outs, client abort), the first-chunk rule
 * (failures before the first byte are HTTP errors), usage accounting and the request's outcome.
 * A surface converts its request to a ChatRequest, calls `complete` or `stream`, and converts back.
 */
export class Pipeline {
  readonly #deps: PipelineDeps;
  readonly #gate: Gate;

  constructor(deps: PipelineDeps) {
    this.#deps = deps;
    this.#gate = deps.gate ?? openGate;
  }

  get outcomes(): OutcomeBus {
    return this.#deps.outcomes;
  }

  /** One complete chat answer. */
  async complete(call: CallInfo, chat: ChatRequest): Promise<Completed> {
    const t = this.#begin(call, chat.model, false);
    try {
      const { provider, ctx, scope, admission } = await this.#prepare(call, chat, t);
      const waitStart = performance.now();
      try {
        const result = await scope.deadline(provider.chat(chat, ctx), this.#deps.config.upstreamTimeoutMs, "chat completion");
        t.upstreamMs += performance.now() - waitStart;
        t.usage = resultTokens(result, requestChars(chat.messages));
        t.finishReason = result.choices[0]?.finish_reason ?? undefined;
        admission.settle(t.usage);
        this.#emit(t, 200);
        return { result, headers: t.headers, usage: t.usage };
      } finally {
        scope.dispose();
      }
    } catch (error) {
      throw this.#failed(t, error);
    }
  }

  /**
   * A streamed chat answer in the surface's wire format. The first chunk is awaited here: a failure
   * before it throws (an ordinary HTTP error); after it, the encoder's error event ends the stream.
   */
  async stream(call: CallInfo, chat: ChatRequest, encoder: StreamEncoder): Promise<Response> {
    const t = this.#begin(call, chat.model, true);
    try {
      const { provider, ctx, scope, admission } = await this.#prepare(call, chat, t);
      let iterator: AsyncIterator<ChunkBatch> | undefined;
      try {
        iterator = provider.chatStream(chat, ctx)[Symbol.asyncIterator]();
        const waitStart = performance.now();
        const first = await scope.deadline(iterator.next(), this.#deps.config.upstreamTimeoutMs, "first stream chunk");
        const now = performance.now();
        t.upstreamMs += now - waitStart;
        t.ttftMs = now - t.startedAt;
        const tally = new StreamTally(requestChars(chat.messages));
        return streamResponse(first, iterator, {
          encoder,
          scope,
          idleTimeoutMs: this.#deps.config.streamIdleTimeoutMs,
          logger: ctx.logger,
          redact: this.#deps.redact,
          headers: t.headers,
          onChunk: (chunk) => tally.add(chunk),
          tokens: () => t.usage ?? tally.tokens(),
          onEnd: (end) => {
            t.upstreamMs += end.upstreamMs;
            t.usage = tally.tokens();
            t.finishReason = tally.finishReason;
            admission.settle(t.usage);
            if (end.kind === "ok") this.#emit(t, 200);
            else if (end.kind === "client_gone") this.#emit(t, 499, "client_gone");
            else this.#emit(t, end.error?.status ?? 500, end.error?.body.error.code ?? "stream_failed");
          },
        });
      } catch (error) {
        scope.dispose();
        void iterator?.return?.()?.catch(() => undefined);
        admission.settle(undefined);
        throw error;
      }
    } catch (error) {
      throw this.#failed(t, error);
    }
  }

  /** Embeddings: one vector per input, checked against the input count. */
  async embed(call: CallInfo, body: EmbeddingRequest, input: string[] | number[][]): Promise<EmbedResult & { headers: Record<string, string> }> {
    const t = this.#begin(call, body.model, false);
    try {
      const admission = await this.#gate.admit(call, body.model);
      t.key = admission.key;
      Object.assign(t.headers, admission.headers);
      const registry = this.#deps.registry;
      if (!registry.isReady) await registry.ready; // only in the first moments after start
      const { provider, upstreamId } = registry.resolve(body.model);
      t.knownModel = true;
      t.provider = provider.name;
      t.target = `${provider.name}/${upstreamId}`;
      if (!provider.embed) {
        throw new InvalidRequestError(`The model '${body.model}' does not support embeddings.`, { param: "model" });
      }
      if (Array.isArray(input[0]) && !provider.acceptsTokenIds) {
        throw new InvalidRequestError(`The model '${body.model}' takes text input only, not token ids.`, { param: "input" });
      }
      const { scope, ctx } = providerContext(this.#deps, call.request, call.requestId, body.model, upstreamId, provider.name);
      try {
        const waitStart = performance.now();
        const result = await scope.deadline(provider.embed(input, body, ctx), this.#deps.config.upstreamTimeoutMs, "embeddings");
        t.upstreamMs += performance.now() - waitStart;
        if (result.embeddings.length !== input.length) {
          throw new UpstreamError(`The provider ${provider.name} returned ${result.embeddings.length} embeddings for ${input.length} inputs`);
        }
        const prompt = result.usage?.prompt_tokens ?? 0;
        t.usage = { input: prompt, output: 0, reasoning: 0 };
        admission.settle(t.usage);
        this.#emit(t, 200);
        return { ...result, headers: t.headers };
      } finally {
        scope.dispose();
      }
    } catch (error) {
      throw this.#failed(t, error);
    }
  }

  #begin(call: CallInfo, model: string, stream: boolean): Tracking {
    return {
      call,
      model,
      stream,
      startedAt: performance.now(),
      upstreamMs: 0,
      headers: { "x-request-id": call.requestId },
      knownModel: false,
    };
  }

  /** Admission, resolution and the provider's context: everything before the provider is called. */
  async #prepare(call: CallInfo, chat: ChatRequest, t: Tracking): Promise<Prepared> {
    const admission = await this.#gate.admit(call, chat.model);
    t.key = admission.key;
    Object.assign(t.headers, admission.headers);
    try {
      const registry = this.#deps.registry;
      if (!registry.isReady) await registry.ready; // only in the first moments after start
      const { provider, upstreamId } = registry.resolve(chat.model);
      t.knownModel = true;
      t.provider = provider.name;
      t.target = `${provider.name}/${upstreamId}`;
      const n = chat.n ?? 1;
      if (n > (provider.maxN ?? 1)) {
        throw new InvalidRequestError(`'n' greater than ${provider.maxN ?? 1} is not supported by ${provider.name} models.`, {
          param: "n",
        });
      }
      const { scope, ctx } = providerContext(this.#deps, call.request, call.requestId, chat.model, upstreamId, provider.name);
      return { provider, ctx, scope, admission };
    } catch (error) {
      admission.settle(undefined);
      throw error;
    }
  }

  #failed(t: Tracking, error: unknown): unknown {
    if (!wasReported(error)) {
      const mapped = mapError(error, this.#deps.redact);
      this.#emit(t, mapped.status, mapped.body.error.code ?? mapped.body.error.type);
      if (typeof error === "object" && error !== null) reported.add(error);
    }
    return error;
  }

  #emit(t: Tracking, status: number, error?: string): void {
    const bus = this.#deps.outcomes;
    if (!bus.hasObservers) return;
    const { call } = t;
    const outcome: RequestOutcome = {
      requestId: call.requestId,
      surface: call.surface,
      method: call.request.method,
      path: pathOf(call.request.url),
      status,
      stream: t.stream,
      startedAt: t.startedAt,
      durationMs: performance.now() - t.startedAt,
      ttftMs: t.ttftMs,
      upstreamMs: t.upstreamMs,
      model: t.knownModel ? t.model : "",
      target: t.target,
      provider: t.provider,
      key: t.key,
      usage: t.usage,
      finishReason: t.finishReason,
      error,
      attempts: t.target ? 1 : 0,
    };
    bus.emit(outcome);
  }
}

interface Tracking {
  call: CallInfo;
  model: string;
  stream: boolean;
  startedAt: number;
  upstreamMs: number;
  ttftMs?: number;
  headers: Record<string, string>;
  knownModel: boolean;
  provider?: string;
  target?: string;
  key?: string;
  usage?: TokenUsage;
  finishReason?: string;
}

interface Prepared {
  provider: Provider;
  ctx: RequestContext;
  scope: ReturnType<typeof providerContext>["scope"];
  admission: Admission;
}
