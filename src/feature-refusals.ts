import type { Logger } from "./logger.ts";

/**
 * Something a request body can ask for that some of a provider's models refuse with an error where
 * others take it: Gemini's log probabilities, or "no thinking" on a model that cannot stop thinking
 * or has no reasoning setting at all. Clients send such fields whatever the model; what they get
 * from a model without the feature is the answer without it, so that is what a refusal becomes.
 */
export interface RefusableFeature<Body> {
  /** The log line, once per model, e.g. "gemini model gives no log probabilities; answering without them". */
  readonly note: string;
  /** Whether `body` asks for the feature. */
  asks(body: Body): boolean;
  /** Whether `error` is the provider refusing the feature (and nothing else). */
  isRefusal(error: unknown): boolean;
  /** `body` without the feature (a copy); `asks` of it is false. */
  without(body: Body): Body;
}

/**
 * Sends bodies and, when the provider refuses one of the features, sends the body again without
 * it. A model that refused a feature is remembered (per instance of this class, so per provider
 * instance) and not asked for it again. Failures of any other kind are thrown as they are.
 */
export class FeatureRefusals<Body> {
  readonly #features: readonly RefusableFeature<Body>[];
  /** Per feature, the models that refused it. */
  readonly #refused: Set<string>[];

  constructor(features: readonly RefusableFeature<Body>[]) {
    this.#features = features;
    this.#refused = features.map(() => new Set<string>());
  }

  /** Whether `body` asks for any of the features (a caller can skip `send` when it does not). */
  asksAny(body: Body): boolean {
    return this.#features.some((feature) => feature.asks(body));
  }

  async send<T>(model: string, body: Body, logger: Logger, send: (body: Body) => Promise<T>): Promise<T> {
    let sent = body;
    this.#features.forEach((feature, i) => {
      if (this.#refused[i]?.has(model) && feature.asks(sent)) sent = feature.without(sent);
    });
    // Each retry drops one feature the body still asks for, so there are at most as many as features.
    for (let retries = 0; ; retries++) {
      try {
        return await send(sent);
      } catch (error) {
        const i = retries < this.#features.length ? this.#features.findIndex((f) => f.asks(sent) && f.isRefusal(error)) : -1;
        const feature = this.#features[i];
        const refused = this.#refused[i];
        if (feature === undefined || refused === undefined) throw error;
        if (!refused.has(model)) {
          refused.add(model);
          logger.info(feature.note, { model });
        }
        sent = feature.without(sent);
      }
    }
  }
}
