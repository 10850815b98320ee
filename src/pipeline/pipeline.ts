import { keyOf } from "../keys/request-key.ts";
import { assertTokenLimits, assertToolChoice } from "../chat-rules.ts";
import type { Config } from "../config.ts";
import { InvalidRequestError } from "../errors.ts";
import { assertModelIdLength, MAX_MODEL_ID } from "../model-id.ts";
import { namedAsSent } from "../file-fetch.ts";
import { mapError } from "../error-response.ts";
import type { Logger } from "../logger.ts";
import type { ChatResult, ChunkResult, ClientOptions, EmbedResult, Provider, RequestContext } from "../plugin.ts";
import type { ModelRegistry } from "../registry.ts";
import type { RequestScope } from "../request-scope.ts";
import type { TraceStamp } from "../observe/trace-stamp.ts";
import { pathOf, startOf } from "../request-meta.ts";
import { providerContext, type LoadedImages } from "../routes/provider-context.ts";
import type { ChatRequest } from "../schemas/chat.ts";
import type { EmbeddingRequest } from "../schemas/embeddings.ts";
import type { StreamEncoder } from "./encoder.ts";
import { Router } from "../routing/router.ts";
import { markUnfit } from "../routing/retry.ts";
import { openGate, type Admission, type Gate } from "./gate.ts";
import type { Lane } from "../limits/limit-state.ts";
import { type FailedTry, OutcomeBus, type RequestOutcome, type SurfaceName, type TokenUsage } from "./outcome.ts";
import { byChars, embeddedTokens, inputOnly, isCount, resultTokens, startsAnswer, StreamTally, type InputEstimate } from "./tally.ts";
import { checkAnswer, checkEmbeddings, StreamContract } from "./plugin-output.ts";
import { streamResponse, type ChunkBatch } from "./stream-writer.ts";
import { surfaceOfPath } from "../surfaces/envelopes.ts";
import { firstToolCallOnly, firstToolCallStream, wantsOneToolCall } from "./one-tool-call.ts";
import { hasFileUrls, loadFileUrls } from "../file-fetch.ts";
import { FetchMemory, type FetchHold } from "../fetch-memory.ts";

export interface PipelineDeps {
  config: Readonly<Config>;
  registry: ModelRegistry;
  logger: Logger;
  redact: (text: string) => string;
  outcomes: OutcomeBus;
  /** Keys and limits; open (no keys, no limits) by default. */
  gate?: Gate;
  /** Routes, retries, fallbacks and cooldowns; none by default. */
  router?: Router;
  /** Set when tracing is on: the request's span ids, chosen before the upstream call. */
  stampTrace?: (request: Request) => TraceStamp;
  /** What fetches by URL may hold, all requests together; by default URL_FETCH_MEMORY_MB's. */
  fetchMemory?: FetchMemory;
}

/** Who is calling, from which surface: what a surface hands the pipeline besides the request body. */
export interface CallInfo {
  surface: SurfaceName;
  request: Request;
  requestId: string;
  /** The answer's own id when the surface names it before the call (a Responses `resp_…`): logs and spans carry it. */
  responseId?: string;
  /** A background response: its outcome comes when the run ends, long after the create answered. */
  background?: boolean;
  /**
   * The call's own life, when it must outlive the client's connection (a background response): the
   * provider is aborted when this aborts, for its reason, and no longer when the client leaves.
   */
  life?: AbortSignal;
  /**
   * Called when the call reaches a provider (admitted, its model resolved), with the answer's headers
   * so far (a limited key's `x-ratelimit-*`, the target): a background response answers then.
   */
  onProvider?: (headers: Record<string, string>) => void;
  /**
   * Fits the request to a deployment's context length when that is known (Responses' `truncation:
   * "auto"` drops the oldest items); may refuse it. Called per deployment tried.
   */
  fitContext?: (chat: ChatRequest, contextLength: number) => Promise<ChatRequest>;
  /**
   * A background call's outcome waits for this: true, it is emitted; false, it is dropped (the
   * response's start was refused after the call had begun: the create's error is the request's one
   * outcome, even where the provider had already answered).
   */
  outcomeWhen?: Promise<boolean>;
  /** The client's own options the chat request cannot carry, handed to the provider as `ctx.clientOptions`. */
  clientOptions?: ClientOptions;
  /** Called once when the call is over, however it ended (answered, failed, the client gone): `ok` for a whole answer. */
  onSettled?: (ok: boolean) => void;
  /**
   * A complete answer's last step before its outcome is counted: the surface's own work that can
   * still fail the request (a Responses turn added to its conversation). If it throws, that is the
   * request's error, and its outcome. (A stream's encoder does the same in its `end`.)
   */
  beforeOutcome?: (answer: { result: ChatResult; usage: TokenUsage }) => Promise<void>;
  /**
   * The surface's own estimate of the prompt's tokens, for a provider that reports none, when it
   * tells the client one (Anthropic's `message_start`): the outcome (limits, metrics, logs) counts
   * the same. It must give the same figure each time it is read. Else four characters a token.
   */
  estimateInput?: InputEstimate;
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
/**
 * Marks an abort reason as reported elsewhere: a call stopped with it is closed without an outcome
 * of its own (a background response whose start the store refused: the create's 503 is the outcome).
 */
export const markReported = <T extends object>(error: T): T => (reported.add(error), error);

/**
 * The admission's headers (a limited key's `x-ratelimit-*`) of a request that failed after it was
 * admitted: every answer to a key with limits carries them, errors included. The HTTP error handler
 * adds them to the error's envelope.
 */
const answerHeaders = new WeakMap<object, Record<string, string>>();
export const answerHeadersOf = (error: unknown): Record<string, string> | undefined =>
  typeof error === "object" && error !== null ? answerHeaders.get(error) : undefined;


/** Printable ASCII (what a header value may hold as it is). */
const PRINTABLE = /^[\x20-\x7e]*$/;

/**
 * `<instance>/<upstream id>` as a header value: as it is (the usual id), else percent-encoded, as an
 * upstream's id may hold anything (a control character in a header is a 500 of the server's own).
 */
const targetHeader = (target: string): string => (PRINTABLE.test(target) ? target : encodeURIComponent(target));

/**
 * The surface-independent half of every model call: admission (keys, limits), model resolution,
 * the provider call under its request scope (time-outs, client abort), the first-chunk rule
 * (failures before the first byte are HTTP errors), usage accounting and the request's outcome.
 * A surface converts its request to a ChatRequest, calls `complete` or `stream`, and converts back.
 */
/** The most inputs one embeddings request may hold, on every surface (OpenAI's limit). */
export const MAX_EMBED_INPUTS = 2048;

export class Pipeline {
  readonly #deps: PipelineDeps;
  readonly #gate: Gate;
  readonly #router: Router;

  constructor(deps: PipelineDeps) {
    this.#deps = deps.fetchMemory ? deps : { ...deps, fetchMemory: new FetchMemory(deps.config.urlFetchMemoryBytes) };
    this.#gate = deps.gate ?? openGate;
    this.#router = deps.router ?? new Router();
  }

  get outcomes(): OutcomeBus {
    return this.#deps.outcomes;
  }

  /** One complete chat answer. */
  async complete(call: CallInfo, chat: ChatRequest): Promise<Completed> {
    const t = this.#begin(call, chat.model, false);
    try {
      assertToolChoice(chat);
      const admission = await this.#admit(call, chat.model, t);
      if (t.restricted) withoutUpstreamRouting(chat);
      const loaded = this.#fileLoader(chat, t);
      if (loaded) t.filesByUrl = chat;
      const result = await this.#attempts(call, chat.model, t, admission, async (model) => {
        const { provider, ctx, scope, contextLength } = this.#target(call, chat, t, model);
        const waitStart = performance.now();
        try {
          const whole = loaded ? await loaded(scope.signal) : chat;
          const sent = call.fitContext && contextLength !== undefined ? await fitTo(call.fitContext, whole, contextLength) : whole;
          if (call.onProvider) call.onProvider(this.#headersSoFar(t));
          try {
            const answer = await scope.deadline(provider.chat(sent, ctx), this.#waitFor(provider), "chat completion");
            t.responseModel = ctx.responseModel;
            // A broken answer is this try's failure (a route's next deployment may answer).
            return checkAnswer(answer, chat.n ?? 1, provider.name);
          } catch (error) {
            if (scope.isAborted || timedOut(error)) t.abandoned = inputOnly((call.estimateInput ?? byChars(sent.messages))());
            throw error;
          }
        } finally {
          t.upstreamMs += performance.now() - waitStart;
          scope.dispose();
        }
      });
      t.usage = resultTokens(result, call.estimateInput ?? byChars(chat.messages));
      t.finishReason = result.choices[0]?.finish_reason ?? undefined;
      admission.settle(t.usage);
      const answer = wantsOneToolCall(chat) ? firstToolCallOnly(result) : result;
      if (call.beforeOutcome) await call.beforeOutcome({ result: answer, usage: t.usage });
      this.#emit(t, 200);
      return { result: answer, headers: t.headers, usage: t.usage };
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
      assertToolChoice(chat);
      const admission = await this.#admit(call, chat.model, t);
      if (t.restricted) withoutUpstreamRouting(chat);
      const loaded = this.#fileLoader(chat, t);
      if (loaded) t.filesByUrl = chat;
      // Only the first chunk is retried: once a stream has started, its failure is the stream's.
      let firstAt = 0;
      const started = await this.#attempts(call, chat.model, t, admission, async (model) => {
        const { provider, ctx, scope, contextLength } = this.#target(call, chat, t, model);
        let iterator: AsyncIterator<ChunkBatch> | undefined;
        let sent = chat;
        const waitStart = performance.now();
        try {
          const whole = loaded ? await loaded(scope.signal) : chat;
          sent = call.fitContext && contextLength !== undefined ? await fitTo(call.fitContext, whole, contextLength) : whole;
          if (call.onProvider) call.onProvider(this.#headersSoFar(t));
          iterator = provider.chatStream(sent, ctx)[Symbol.asyncIterator]();
          // The provider's own timeout_ms exactly: its timer ends once the answer's headers came (an
          // upstream that queues the first token after them is the usual case), so the second
          // #waitFor adds for it to fire first would only lengthen the wait and misname it.
          const waitMs = provider.timeoutMs ?? this.#deps.config.upstreamTimeoutMs;
          // Said as the plugin's own timer says it, whichever of the two ends the wait.
          const [what, upstream] = provider.timeoutMs === undefined ? ["first stream chunk", undefined] : ["its timeout_ms", provider.name];
          const until = performance.now() + waitMs;
          // The plugin's chunks are checked before anything reads them: a broken one before the answer
          // begins is this try's 502, after it the stream's error event (the writer's onChunk).
          const contract = new StreamContract(chat.n ?? 1, provider.name);
          let first = await scope.deadline(iterator.next(), waitMs, what, waitMs, upstream);
          if (!first.done) contract.checkAhead(first.value);
          // Chunks that begin nothing (a role-only delta, an empty batch) are held with the first that does:
          // a failure until then is an HTTP error the route may retry or fall back from, not a stream's end.
          // The wait for it is the first chunk's, in all (chunks of nothing do not lengthen it).
          if (!first.done && !startsAnswer(first.value)) {
            first = await firstAnswer(first.value, iterator, contract, (next) => scope.deadline(next, Math.max(1, until - performance.now()), what, waitMs, upstream));
          }
          firstAt = performance.now();
          return { first, iterator, scope, ctx, contract };
        } catch (error) {
          if (iterator !== undefined && (scope.isAborted || timedOut(error))) t.abandoned = inputOnly((call.estimateInput ?? byChars(sent.messages))());
          scope.dispose();
          void iterator?.return?.()?.catch(() => undefined);
          throw error;
        } finally {
          t.upstreamMs += performance.now() - waitStart;
        }
      });
      const { scope, ctx, contract } = started;
      const { first, iterator } = wantsOneToolCall(chat) ? firstToolCallStream(started.first, started.iterator) : started;
      t.streamStarted = true;
      const tally = new StreamTally(call.estimateInput ?? byChars(chat.messages));
      if (!first.done) tally.firstBatchArrived(firstAt, Array.isArray(first.value) ? first.value.length : 1);
      return streamResponse(first, iterator, {
        encoder,
        scope,
        idleTimeoutMs: this.#deps.config.streamIdleTimeoutMs,
        logger: ctx.logger,
        redact: this.#deps.redact,
        headers: t.headers,
        onChunk: (chunk) => {
          contract.check(chunk);
          tally.add(chunk);
        },
        tokens: () => t.usage ?? tally.tokens(),
        onEnd: (end) => {
          t.upstreamMs += end.upstreamMs;
          t.responseModel = ctx.responseModel;
          t.usage = tally.tokens();
          t.finishReason = tally.finishReason;
          if (tally.firstTokenAt !== undefined) t.ttftMs = tally.firstTokenAt - t.startedAt;
          admission.settle(t.usage);
          if (end.kind === "ok") this.#emit(t, 200);
          else if (end.kind === "client_gone") {
            if (wasReported(scope.signal.reason)) this.#close(t);
            else this.#emit(t, 499, "client_gone");
          }
          // Counted under the status its surface's error event says (Anthropic's overloaded 529), as before the start.
          else this.#emit(t, end.error ? surfaceOfPath(pathOf(t.call.request.url)).envelope(end.error).status : 500, end.error?.body.error.code ?? "stream_failed");
        },
      });
    } catch (error) {
      throw this.#failed(t, error);
    }
  }

  /**
   * A prompt's input tokens without answering it (Anthropic's `count_tokens`): admission and model
   * resolution as for a completion (routes included, no retries), then the provider's own counter
   * when it has one, else `estimate`. Counting uses nothing: no tokens count against the key's limits.
   */
  async countTokens(call: CallInfo, chat: ChatRequest, estimate: (chat: ChatRequest) => Promise<number>): Promise<{ inputTokens: number; headers: Record<string, string> }> {
    const t = this.#begin(call, chat.model, false);
    try {
      assertToolChoice(chat); // a request the completion would refuse is not counted either
      // Limited apart from the key's model calls, as Anthropic limits token counting.
      const admission = await this.#admit(call, chat.model, t, "count");
      const loaded = this.#fileLoader(chat, t);
      if (loaded) t.filesByUrl = chat;
      let counted = "provider" as "provider" | "estimate";
      const inputTokens = await this.#attempts(call, chat.model, t, admission, async (model) => {
        const { provider, ctx, scope, contextLength } = this.#target(call, chat, t, model);
        counted = provider.countTokens ? "provider" : "estimate";
        const waitStart = performance.now();
        try {
          // What the completion would send: fitted to the deployment's context as it would be (Responses' `truncation: "auto"`).
          const fit = (whole: ChatRequest) => (call.fitContext && contextLength !== undefined ? fitTo(call.fitContext, whole, contextLength) : whole);
          // A provider counts the files it is given; the estimate goes by the URL alone (a page a file).
          if (!provider.countTokens) return await estimate(await fit(chat));
          const tokens: unknown = await scope.deadline(provider.countTokens(await fit(loaded ? await loaded(scope.signal) : chat), ctx), this.#waitFor(provider), "token count");
          if (isCount(tokens)) return Math.floor(tokens);
          // A figure that is no count (a string, negative, absurd: a plugin's bug) is none, as a
          // provider's usage figure is (tally.ts): the gateway's estimate stands.
          ctx.logger.warn("provider token count is not a count; the estimate stands", { count: typeof tokens === "number" ? tokens : typeof tokens });
          return await estimate(await fit(chat));
        } finally {
          t.upstreamMs += performance.now() - waitStart;
          scope.dispose();
        }
      });
      admission.settle(undefined);
      // Counted by the gateway's own estimate, no provider was called: none is named in the outcome
      // (its metrics and span would read as that provider's answer and latency).
      if (counted === "estimate") t.provider = t.target = undefined;
      this.#emit(t, 200);
      return { inputTokens, headers: t.headers };
    } catch (error) {
      throw this.#failed(t, error);
    }
  }

  /**
   * A model load or unload (an Ollama request with nothing to generate): admission and resolution as
   * for a completion (a route loads the deployment that takes it), then the provider's `load` when
   * it has one. A provider without one has nothing to load. No tokens are used.
   */
  async load(call: CallInfo, model: string, keepAlive: number | string | undefined): Promise<Record<string, string>> {
    const t = this.#begin(call, model, false);
    try {
      const admission = await this.#admit(call, model, t);
      await this.#attempts(call, model, t, admission, async (deployment) => {
        const { provider, upstreamId } = this.#resolve(deployment, t);
        // Nothing to load (an OpenAI-compatible model): no provider was called, so no GenAI operation is counted or traced.
        if (!provider.load) {
          t.provider = undefined;
          return;
        }
        const { scope, ctx } = providerContext(this.#deps, call.request, call.requestId, model, upstreamId, provider.name, t.trace, call.life, call.clientOptions);
        const waitStart = performance.now();
        try {
          await scope.deadline(provider.load(keepAlive, ctx), this.#waitFor(provider), "model load");
        } finally {
          t.upstreamMs += performance.now() - waitStart;
          scope.dispose();
        }
      });
      admission.settle(undefined);
      this.#emit(t, 200);
      return t.headers;
    } catch (error) {
      throw this.#failed(t, error);
    }
  }

  /** Embeddings: one vector per input, checked against the input count. */
  async embed(call: CallInfo, body: EmbeddingRequest, input: string[] | number[][]): Promise<EmbedResult & { headers: Record<string, string> }> {
    const t = this.#begin(call, body.model, false);
    try {
      // Every surface's bound (OpenAI's schema says it; Ollama's API does not, and 300,000 one-letter
      // inputs in a 1.2 MB body made an answer that ran the process out of memory: a probe).
      if (input.length > MAX_EMBED_INPUTS) {
        throw new InvalidRequestError(`Too many inputs: ${input.length}; at most ${MAX_EMBED_INPUTS} can be embedded in one request.`, { param: "input" });
      }
      const admission = await this.#admit(call, body.model, t);
      if (t.restricted) withoutUpstreamRouting(body);
      const result = await this.#attempts(call, body.model, t, admission, async (model) => {
        const { provider, upstreamId } = this.#resolve(model, t);
        if (!provider.embed) {
          throw new InvalidRequestError(`The model '${body.model}' does not support embeddings.`, { param: "model" });
        }
        if (Array.isArray(input[0]) && !provider.acceptsTokenIds) {
          throw new InvalidRequestError(`The model '${body.model}' takes text input only, not token ids.`, { param: "input" });
        }
        const { scope, ctx } = providerContext(this.#deps, call.request, call.requestId, body.model, upstreamId, provider.name, t.trace, call.life, call.clientOptions);
        const waitStart = performance.now();
        try {
          const result = await scope.deadline(provider.embed(input, body, ctx), this.#waitFor(provider), "embeddings");
          checkEmbeddings(result, input.length, provider.name);
          // The model the upstream says answered (gen_ai.response.model), as for chat.
          t.responseModel = ctx.responseModel;
          return result;
        } finally {
          t.upstreamMs += performance.now() - waitStart;
          scope.dispose();
        }
      });
      // An upstream that gives no usage (or a figure that is none) is charged what its input is: token ids counted, text estimated (limits and budgets count it).
      t.usage = embeddedTokens(input, result.usage?.prompt_tokens);
      admission.settle(t.usage);
      this.#emit(t, 200);
      // The client is told what was counted (the provider's figure when it is a count), never a plugin's raw usage (-5, "many").
      return { ...result, usage: { prompt_tokens: t.usage.input, total_tokens: t.usage.input }, headers: t.headers };
    } catch (error) {
      throw this.#failed(t, error);
    }
  }

  #begin(call: CallInfo, model: string, stream: boolean): Tracking {
    this.#deps.outcomes.inFlight++;
    return {
      call,
      model,
      stream,
      startedAt: startOf(call.request) ?? performance.now(),
      upstreamMs: 0,
      headers: { "x-request-id": call.requestId },
      isOpen: true,
      trace: this.#deps.stampTrace?.(call.request),
    };
  }

  /**
   * For a request with files named by URL (file-fetch.ts): their loader, run once, in the first
   * attempt (after admission: a refused request fetches nothing) under that attempt's signal (a
   * client that leaves stops it as a client that left), its result kept for the others. Undefined
   * for any other request (a loop over its messages, nothing allocated).
   */
  #fileLoader(chat: ChatRequest, t: Tracking): ((signal: AbortSignal) => Promise<ChatRequest>) | undefined {
    if (!hasFileUrls(chat.messages)) return undefined;
    let loading: Promise<ChatRequest> | undefined;
    const allowPrivate = this.#deps.config.imageFetchAllowPrivate;
    return (signal) => (loading ??= loadFileUrls(chat, { allowPrivate, signal, held: (t.fetched ??= this.#deps.fetchMemory!.hold()) }));
  }

  /** The answer's headers before the provider answered (`onProvider`): the admission's, and the target tried. */
  #headersSoFar(t: Tracking): Record<string, string> {
    return { ...t.headers, "x-ollaix-target": targetHeader(t.target!), "x-ollaix-attempts": String(t.attempts ?? 1) };
  }

  /**
   * The bounded metric label of a model id (RequestOutcome.model), for a request refused before its
   * model was resolved: a route's own label, the id when it is listed, else "".
   */
  labelOf(model: string): string {
    return (this.#router.isRoute(model) ? this.#router.table.labelOf(model) : "") || this.#deps.registry.labelOf(model);
  }

  /**
   * A request that stores for its key without calling a model (a conversation made or added to), or
   * asks an upstream about a model it did not list (`GET /v1/models/{id}`, `/api/show`):
   * counted against the key's limits (429 while they are spent, as a model call); the answer's
   * `x-ratelimit-*` headers. Nothing else of a model call (no outcome: it is none).
   */
  async admitStore(request: Request): Promise<Record<string, string> | undefined> {
    const admission = await this.#gate.admitStore?.(request);
    admission?.settle(undefined);
    return admission?.headers;
  }

  /** Keys and limits (may refuse); waits for the first discovery round in the first moments after start. */
  async #admit(call: CallInfo, model: string, t: Tracking, lane?: Lane): Promise<Admission> {
    if (model.length > MAX_MODEL_ID) {
      // Refused before it is echoed anywhere (x-ollaix-target, the log line twice).
      t.model = `${model.slice(0, 64)}…`;
      assertModelIdLength(model);
    }
    // Named before the gate decides: its refusals (403, 429) are the key's too.
    const record = keyOf(call.request);
    t.key = record?.name;
    t.restricted = record?.allows !== undefined;
    const admission = await this.#gate.admit(call, model, lane);
    t.key = admission.key;
    if (admission.headers) {
      Object.assign(t.headers, admission.headers);
      t.admissionHeaders = admission.headers;
    }
    const registry = this.#deps.registry;
    if (!registry.isReady) await registry.ready;
    return admission;
  }

  /**
   * The route's plan (or the model itself), tried by the router; the answer names the deployment
   * that answered and the tries it took. A failure settles the admission with nothing used.
   */
  async #attempts<T>(call: CallInfo, model: string, t: Tracking, admission: Admission, attempt: (model: string) => Promise<T>): Promise<T> {
    try {
      let value: T;
      if (!this.#router.isRoute(model)) {
        // A plain model id: one try (the usual case: no plan, no closures); none when no provider has it.
        t.attempts = 1;
        try {
          value = await attempt(model);
        } catch (error) {
          if (t.target === undefined) t.attempts = 0;
          throw error;
        }
      } else {
        t.modelLabel = this.#router.table.labelOf(model);
        value = await this.#router.run(
          this.#router.plan(model),
          () => call.life ?? call.request.signal,
          (deployment, tries, isFallback) => {
            t.attempts = tries;
            t.fallback = isFallback;
            return attempt(deployment);
          },
          // Each failure tried again after is the provider's too: counted and logged with the outcome.
          (error) => {
            if (t.provider === undefined || t.target === undefined) return;
            const mapped = mapError(error, this.#deps.redact);
            (t.failedTries ??= []).push({ provider: t.provider, target: t.target, status: mapped.status, code: mapped.body.error.code ?? mapped.body.error.type });
          },
          // A pause before a retry is the provider's time (its failure, its Retry-After), not the gateway's overhead.
          (ms) => void (t.upstreamMs += ms),
        );
      }
      t.headers["x-ollaix-target"] = targetHeader(t.target!);
      t.headers["x-ollaix-attempts"] = t.attempts === 1 ? "1" : String(t.attempts);
      return value;
    } catch (error) {
      // Nothing used, unless a call was given up while its provider worked (the client left, a
      // cancel, a time-out): its input was read, and is counted as a stream cut short is. Kept
      // apart until here: a route's next try that answers has usage of its own.
      if (t.abandoned !== undefined) t.usage ??= t.abandoned;
      admission.settle(t.usage);
      throw error;
    }
  }

  #resolve(model: string, t: Tracking): ReturnType<ModelRegistry["resolve"]> {
    const registry = this.#deps.registry;
    // A route's deployment that does not resolve is no provider's: not the one tried before it.
    t.provider = t.target = undefined;
    const resolved = registry.resolve(model);
    // A plain id (not a route's deployment): its label is itself only when it is listed.
    if (t.modelLabel === undefined) t.modelLabel = registry.labelOf(model);
    t.provider = resolved.provider.name;
    t.target = `${resolved.provider.name}/${resolved.upstreamId}`;
    return resolved;
  }

  /** One deployment of a chat call: resolution, `n` against the provider, the provider's context. */
  #target(call: CallInfo, chat: ChatRequest, t: Tracking, model: string): { provider: Provider; ctx: RequestContext; scope: RequestScope; contextLength: number | undefined } {
    const { provider, upstreamId, contextLength } = this.#resolve(model, t);
    // This deployment's own limits: in a route, another deployment may take the request (markUnfit).
    try {
      assertTokenLimits(chat, contextLength);
      const n = chat.n ?? 1;
      if (n > (provider.maxN ?? 1)) {
        throw new InvalidRequestError(`'n' greater than ${provider.maxN ?? 1} is not supported by ${provider.name} models.`, {
          param: "n",
        });
      }
      if (provider.takesOpenAIFeatures !== true) assertNoOpenAIFeature(chat, provider.name);
    } catch (error) {
      throw markUnfit(error);
    }
    const { scope, ctx } = providerContext(this.#deps, call.request, call.requestId, chat.model, upstreamId, provider.name, t.trace, call.life, call.clientOptions, t);
    return { provider, ctx, scope, contextLength };
  }

  /**
   * The longest wait on a provider's answer or first chunk: UPSTREAM_TIMEOUT_MS, or the provider's
   * own `timeoutMs` (longer or shorter) and a second more, so that its own timer, which names it,
   * answers first.
   */
  #waitFor(provider: Provider): number {
    return provider.timeoutMs === undefined ? this.#deps.config.upstreamTimeoutMs : provider.timeoutMs + 1_000;
  }

  #failed(t: Tracking, error: unknown): unknown {
    if (t.filesByUrl) namedAsSent(error, t.filesByUrl);
    if (typeof error === "object" && error !== null) {
      // The error's answer names the deployment that failed last and the tries it took, as an answer does.
      const tried = t.target === undefined ? undefined : { "x-ollaix-target": targetHeader(t.target), "x-ollaix-attempts": String(t.attempts ?? 1) };
      const headers = tried && t.admissionHeaders ? { ...t.admissionHeaders, ...tried } : (tried ?? t.admissionHeaders);
      if (headers) answerHeaders.set(error, headers);
    }
    if (wasReported(error)) this.#close(t);
    else {
      const mapped = mapError(error, this.#deps.redact);
      // A key's own limit names itself on its refusal (`limit: "rpm"`…), for ollaix_rate_limited_total.
      const limit = (error as { limit?: unknown } | null)?.limit;
      if (typeof limit === "string") t.limit = limit;
      // Refused before its model was resolved (a key's limit, a permission): labelled as it would have been.
      if (t.modelLabel === undefined) t.modelLabel = this.labelOf(t.model);
      // Counted under the status the client gets: the surface's envelope may change it (Anthropic's 529).
      const status = surfaceOfPath(pathOf(t.call.request.url)).envelope(mapped).status;
      this.#emit(t, status, mapped.body.error.code ?? mapped.body.error.type);
      if (typeof error === "object" && error !== null) reported.add(error);
    }
    return error;
  }

  /** The request is over: it leaves the in-flight count (once, however it ended). */
  #close(t: Tracking, ok = false): boolean {
    if (!t.isOpen) return false;
    t.isOpen = false;
    this.#deps.outcomes.inFlight--;
    t.fetched?.release(); // the fetched bytes' copies go with the request
    t.call.onSettled?.(ok);
    return true;
  }

  #emit(t: Tracking, status: number, error?: string): void {
    const bus = this.#deps.outcomes;
    if (!this.#close(t, status === 200) || !bus.hasObservers) return;
    const { call } = t;
    const outcome: RequestOutcome = {
      requestId: call.requestId,
      responseId: call.responseId,
      background: call.background,
      surface: call.surface,
      method: call.request.method,
      path: pathOf(call.request.url),
      status,
      stream: t.stream,
      startedAt: t.startedAt,
      durationMs: performance.now() - t.startedAt,
      ttftMs: t.ttftMs,
      streamStarted: t.streamStarted,
      upstreamMs: t.upstreamMs,
      model: t.modelLabel ?? "",
      requestedModel: t.model,
      target: t.target,
      responseModel: t.responseModel,
      provider: t.provider,
      key: t.key,
      usage: t.usage,
      finishReason: t.finishReason,
      error,
      attempts: t.attempts ?? 0,
      trace: t.trace,
      limit: t.limit,
      fallback: t.fallback,
      failedTries: t.failedTries,
    };
    const when = call.outcomeWhen;
    if (when === undefined) bus.emit(outcome);
    else void when.then((isKept) => isKept && bus.emit(outcome));
  }
}

/**
 * A call given up on time by its provider's own clock (an upstream's `timeout_ms`, which stands for
 * UPSTREAM_TIMEOUT_MS): the provider read its input, as when the gateway's own deadline gives it up.
 */
const timedOut = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === "upstream_timeout";

/**
 * The stream's chunks up to the first batch that begins the answer (startsAnswer), as one batch,
 * or all of them when the stream ends before any does (its end is then the stream's, as before);
 * each batch checked against the contract as it comes.
 */
async function firstAnswer(
  held: ChunkBatch,
  iterator: AsyncIterator<ChunkBatch>,
  contract: StreamContract,
  inTime: (next: Promise<IteratorResult<ChunkBatch>>) => Promise<IteratorResult<ChunkBatch>>,
): Promise<IteratorResult<ChunkBatch>> {
  const chunks: ChunkResult[] = Array.isArray(held) ? [...(held as readonly ChunkResult[])] : [held as ChunkResult];
  for (;;) {
    const next = await inTime(iterator.next());
    if (next.done) return { done: false, value: chunks };
    contract.checkAhead(next.value);
    if (Array.isArray(next.value)) chunks.push(...(next.value as readonly ChunkResult[]));
    else chunks.push(next.value as ChunkResult);
    if (startsAnswer(next.value)) return { done: false, value: chunks };
  }
}

interface Tracking {
  /** The request as sent when it named files by URL (fetched into `file_data`): a refusal then names the client's `file_url`. */
  filesByUrl?: ChatRequest;
  /** Its share of the bytes fetched by URL (images, files), held until it ends (fetch-memory.ts). */
  fetched?: FetchHold;
  /** Images a provider loaded (`ctx.loadImages`), by conversation: a retry or the next deployment reuses them (provider-context.ts). */
  images?: LoadedImages;
  call: CallInfo;
  model: string;
  stream: boolean;
  startedAt: number;
  upstreamMs: number;
  ttftMs?: number;
  streamStarted?: boolean;
  headers: Record<string, string>;
  /** The bounded metric label (see RequestOutcome.model); undefined until resolution. */
  modelLabel?: string;
  provider?: string;
  target?: string;
  responseModel?: string;
  key?: string;
  usage?: TokenUsage;
  finishReason?: string;
  attempts?: number;
  /** Until the outcome is emitted (the in-flight count). */
  isOpen: boolean;
  trace?: TraceStamp;
  limit?: string;
  fallback?: boolean;
  /** A limited key's `x-ratelimit-*` headers, for the answer even when it is an error. */
  admissionHeaders?: Record<string, string>;
  failedTries?: FailedTry[];
  /** What a try given up while its provider worked used (its input, by estimate): the call's usage if no later try answers. */
  abandoned?: TokenUsage;
  /** The key may use some models only (its `models`): an upstream gateway's own routing fields are not passed on. */
  restricted?: boolean;
}

/**
 * Fields by which an upstream gateway picks other models than the one asked for (OpenRouter's
 * `models` and `route`, LiteLLM's `fallbacks` and `context_window_fallback_dict`): Chat Completions passes unknown fields on, and with
 * them a key allowed one model could be served by any other (a security probe). Taken out for a key
 * with a `models` list.
 */
const UPSTREAM_ROUTING = ["models", "route", "fallbacks", "context_window_fallback_dict"] as const;
function withoutUpstreamRouting<T extends object>(body: T): T {
  for (const field of UPSTREAM_ROUTING) if (field in body) delete (body as Record<string, unknown>)[field];
  return body;
}

/**
 * OpenAI's Chat Completions features that only an OpenAI upstream can honour and that change what
 * the answer is: a web search, OpenAI's moderation, an audio answer. A provider that does not take
 * them (`takesOpenAIFeatures`) would answer as if they had applied: a 400 naming the field instead
 * (Responses and Anthropic refuse their own such features at the surface). Four property reads.
 */
function assertNoOpenAIFeature(chat: ChatRequest, provider: string): void {
  const body = chat as { web_search_options?: unknown; moderation?: unknown; audio?: unknown; modalities?: unknown };
  const field =
    body.web_search_options != null
      ? "web_search_options"
      : body.moderation != null
        ? "moderation"
        : body.audio != null
          ? "audio"
          : Array.isArray(body.modalities) && body.modalities.includes("audio")
            ? "modalities"
            : undefined;
  if (field === undefined) return;
  throw new InvalidRequestError(`Invalid '${field}': OpenAI's ${field === "web_search_options" ? "web search" : field === "moderation" ? "moderation" : "audio output"} is not available for ${provider} models; send the request without it.`, {
    param: field,
  });
}

/**
 * `call.fitContext` for one deployment (Responses' `truncation: "auto"`): an input that does not fit
 * even so is this deployment's refusal, and a route's next deployment may have a larger window.
 */
async function fitTo(fit: NonNullable<CallInfo["fitContext"]>, whole: ChatRequest, contextLength: number): Promise<ChatRequest> {
  try {
    return await fit(whole, contextLength);
  } catch (error) {
    throw markUnfit(error);
  }
}
