/**
 * What happened to one request, reported once when it is over (answered, refused, failed, or its
 * client left). Keys, limits, metrics, logs and the console hang on this one hook.
 */
import type { TraceStamp } from "../observe/trace-stamp.ts";

export type SurfaceName = "chat" | "responses" | "messages" | "ollama" | "embeddings";

export interface TokenUsage {
  input: number;
  output: number;
  /** Part of `output` spent thinking. */
  reasoning: number;
  /** True when the provider gave no figures and the gateway counted them itself. */
  estimated?: boolean;
}

export interface RequestOutcome {
  requestId: string;
  /** The answer's id, where the surface names one before the call (a Responses `resp_…`). */
  responseId?: string;
  /** A background response (its duration is the run's, not the create's). */
  background?: boolean;
  surface: SurfaceName;
  method: string;
  path: string;
  status: number;
  stream: boolean;
  /** `performance.now()` when the request arrived (the guard's stamp), else when the pipeline took it. */
  startedAt: number;
  durationMs: number;
  /**
   * Streams: until the provider's first chunk that carried a token (text, reasoning, a tool call):
   * not its first chunk, which may carry none (Azure's content-filter results, a role-only delta).
   * Absent for a stream that carried none.
   */
  ttftMs?: number;
  /** Streams: the answer's status and headers went out (the provider's first chunk came); its failure after that is the stream's error event. */
  streamStarted?: boolean;
  /** Time spent waiting on the provider (first byte, then every chunk; a route's pauses before a retry); overhead = duration − this. */
  upstreamMs: number;
  /**
   * The model as a metric label, bounded: a listed model id, an exact route, or a glob route's
   * pattern; "" otherwise (an unknown or unlisted id: `ollama/<anything>` must not mint series).
   */
  model: string;
  /** The id exactly as the client sent it (logs, spans, the console's table; never a metric label). */
  requestedModel?: string;
  /** `<instance>/<upstream id>` of the deployment that answered (or failed last). */
  target?: string;
  /** The model the upstream said answered, when its provider reports one (RequestContext.responseModel). */
  responseModel?: string;
  provider?: string;
  /** The key's name, when keys are configured. */
  key?: string;
  usage?: TokenUsage;
  finishReason?: string;
  /** The error code (`upstream_timeout`, `rate_limit_exceeded`, `client_gone`…) when it failed. */
  error?: string;
  /** How many provider calls it took (routes retry). */
  attempts?: number;
  /** True when a route's fallback answered (or failed last). Counted by `ollaix_fallbacks_total`. */
  fallback?: boolean;
  /**
   * The provider failures a route tried again after (another try, or the next deployment), in order;
   * the last try's own failure is the outcome's. Undefined when there were none (most requests).
   */
  failedTries?: FailedTry[];
  /** Which of the key's own limits refused it (`rpm`, `tpm`, `tokens_per_day`), for a local 429. */
  limit?: string;
  /** The request's span ids, when tracing is on. */
  trace?: TraceStamp;
}

/** One provider call of a route that failed and was tried again after (RequestOutcome.failedTries). */
export interface FailedTry {
  provider: string;
  target: string;
  status: number;
  /** The error code (or type) as mapped. */
  code: string;
}

export type OutcomeObserver = (outcome: RequestOutcome) => void;

/** Fans an outcome out to every observer; an observer that throws never breaks a request. */
export class OutcomeBus {
  readonly #observers: OutcomeObserver[] = [];
  /**
   * Requests the pipeline took and has not reported yet: a plain count the in-flight gauge reads
   * when scraped, so a request costs an increment and a decrement, nothing more.
   */
  inFlight = 0;
  #onError: (error: unknown) => void = () => undefined;

  subscribe(observer: OutcomeObserver): void {
    this.#observers.push(observer);
  }

  onObserverError(handler: (error: unknown) => void): void {
    this.#onError = handler;
  }

  get hasObservers(): boolean {
    return this.#observers.length > 0;
  }

  emit(outcome: RequestOutcome): void {
    for (const observer of this.#observers) {
      try {
        observer(outcome);
      } catch (error) {
        this.#onError(error);
      }
    }
  }
}

/**
 * The model to show in a log line, a span or the console's table: the bounded label, or, for an id
 * a provider accepted without listing it, the id as sent; "" for an id nothing serves.
 */
export const shownModel = (o: RequestOutcome): string => o.model || (o.provider !== undefined ? (o.requestedModel ?? "") : "");
