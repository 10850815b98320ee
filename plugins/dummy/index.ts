import { definePlugin, InvalidRequestError, Type, type ChatRequest, type ChunkResult } from "../../src/kit.ts";
import { countTokens, embedText, generateText, hashString, type GeneratedText } from "./generate.ts";
import { promptTokens } from "./prompt.ts";

const MODEL_ID = "dummy-model:1.0";
const DIMENSIONS = 384;

/** Each choice gets its own text; the same `seed` always gives the same texts. */
function generateChoices(request: ChatRequest): GeneratedText[] {
  const base = request.seed ?? Math.floor(Math.random() * 2 ** 32);
  const stop = request.stop == null ? undefined : typeof request.stop === "string" ? [request.stop] : request.stop;
  const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  const out: GeneratedText[] = [];
  for (let i = 0; i < (request.n ?? 1); i++) {
    out.push(generateText({ seed: hashString(`${base}:${i}`), maxTokens, stop }));
  }
  return out;
}

function usageOf(request: ChatRequest, texts: readonly GeneratedText[]) {
  const prompt = promptTokens(request);
  const completion = texts.reduce((sum, t) => sum + t.completionTokens, 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** The built-in model that needs no keys and no network: random text from a small corpus. */
export default definePlugin({
  name: "dummy",
  // No settings of its own in the config file: `enabled` only, a misspelt field there is an error.
  settingsSchema: Type.Object({}),
  models: [
    {
      id: MODEL_ID,
      created: 1735689600,
      name: "Dummy model",
      description: "Built-in test model: random sentences from a small corpus, deterministic with `seed`.",
      context_length: 8192,
      capabilities: ["completion", "embedding"],
    },
  ],
  maxN: 8,
  acceptsTokenIds: true,

  async chat(request) {
    const texts = generateChoices(request);
    return {
      choices: texts.map((t, index) => ({
        index,
        message: { role: "assistant" as const, content: t.text },
        finish_reason: t.finishReason,
        // Which stop sequence cut it, as vLLM says it: Anthropic's surface answers `stop_sequence` with it.
        ...(t.matchedStop === undefined ? {} : { stop_reason: t.matchedStop }),
      })),
      usage: usageOf(request, texts),
    };
  },

  async *chatStream(request, ctx): AsyncGenerator<ChunkResult> {
    const texts = generateChoices(request);
    for (let index = 0; index < texts.length; index++) {
      const text = texts[index]!;
      for (const piece of text.pieces) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        yield { choices: [{ index, delta: { content: piece } }] };
      }
      yield { choices: [{ index, delta: {}, finish_reason: text.finishReason, ...(text.matchedStop === undefined ? {} : { stop_reason: text.matchedStop }) }] };
    }
    yield { choices: [], usage: usageOf(request, texts) };
  },

  async embed(input, request) {
    const dimensions = request.dimensions ?? DIMENSIONS;
    if (dimensions > 4096) throw new InvalidRequestError("'dimensions' must be at most 4096 for dummy-model:1.0.", { param: "dimensions" });
    const texts = input.map((item) => (typeof item === "string" ? item : `tokens:${item.join(",")}`));
    const tokens = input.reduce<number>((sum, item) => sum + (typeof item === "string" ? countTokens(item) : item.length), 0);
    return { embeddings: texts.map((t) => embedText(t, dimensions)), usage: { prompt_tokens: tokens, total_tokens: tokens } };
  },
});
