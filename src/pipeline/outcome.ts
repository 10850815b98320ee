/**
 * What happened to one request, reported once when it is over (answered, refused, failed, or its
 * client left). Keys, limits, metrics, logs and the console hang on this one hook.
 */
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
  surface: SurfaceName;
  method: string;
  path: string;
  status: number;
  stream: boolean;
  /** `performance.now()` when the pipeline took the request. */
  startedAt: number;
  durationMs: number;
  /** Streams: until the first chunk was received from the provider. */
  ttftMs?: number;
  /** Time spent waiting on the provider (first byte, then every chunk); overhead = duration − this. */
  upstreamMs: number;
  /** The id the client asked for; "" when it named no known model or route (bounded label values). */
  model: string;
  /** `<instance>/<upstream id>` of the deployment that answered (or failed last). */
  target?: string;
  provider?: string;
  /** The key's name, when keys are configured. */
  key?: string;
  usage?: TokenUsage;
  finishReason?: string;
  /** The error code (`upstream_timeout`, `rate_limit_exceeded`, `client_gone`…) when it failed. */
  error?: string;
  /** How many provider calls it took (routes retry). */
  attempts?: number;
}

export type OutcomeObserver = (outcome: RequestOutcome) => void;

/** Fans an outcome out to every observer; an observer that throws never breaks a request. */
export class OutcomeBus {
  readonly #observers: OutcomeObserver[] = [];
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
