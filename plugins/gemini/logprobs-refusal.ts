import { InvalidRequestError, type Logger } from "../../src/kit.ts";
import type { GeminiGenerateRequest } from "./wire.ts";

/**
 * Gemini answers a request with `responseLogprobs` for a model without log probabilities (most of
 * the 2.5 and 3 models) with a 400, "Logprobs is not enabled for models/…". Chat clients send
 * `logprobs: true` whatever the model, and other providers answer them without: so does this
 * plugin. Such a model is asked again without, once, and not asked for them again (per instance).
 */
export class LogprobsRefusals {
  readonly #models = new Set<string>();

  /** The body to send: without logprobs for a model that refused them before. */
  body(model: string, body: GeminiGenerateRequest): GeminiGenerateRequest {
    return body.generationConfig.responseLogprobs && this.#models.has(model) ? withoutLogprobs(body) : body;
  }

  /** Runs `send`; when Gemini refuses the body's logprobs, remembers the model and sends it again without them. */
  async send<T>(model: string, body: GeminiGenerateRequest, logger: Logger, send: (body: GeminiGenerateRequest) => Promise<T>): Promise<T> {
    try {
      return await send(body);
    } catch (error) {
      if (!body.generationConfig.responseLogprobs || !isLogprobsRefusal(error)) throw error;
      if (!this.#models.has(model)) logger.info("gemini model gives no log probabilities; answering without them", { model });
      this.#models.add(model);
      return send(withoutLogprobs(body));
    }
  }
}

const isLogprobsRefusal = (error: unknown): boolean => error instanceof InvalidRequestError && /logprobs is not enabled/i.test(error.message);

function withoutLogprobs(body: GeminiGenerateRequest): GeminiGenerateRequest {
  const { responseLogprobs: _asked, logprobs: _top, ...generationConfig } = body.generationConfig;
  return { ...body, generationConfig };
}
