import { InvalidRequestError, type ChatRequest, type RefusableFeature } from "../../src/kit.ts";

/**
 * `reasoning_effort: "none"` ("do not think": what Ollama's `think: false` and other surfaces'
 * "thinking off" become) is refused by the models it means nothing to or that cannot stop
 * thinking. OpenAI answers gpt-4o "Unsupported parameter: 'reasoning_effort' is not supported with
 * this model." and o3 "Unsupported value: 'reasoning_effort' does not support 'none' with this
 * model."; other servers word it their way but name the field. Such a model is asked without an
 * effort: a model without reasoning answers as asked, one that always reasons at its default.
 * Only "none" is dropped so: an effort a client asked for by name is the upstream's to refuse.
 */
export const REASONING_OFF: RefusableFeature<ChatRequest> = {
  note: "upstream model takes no reasoning_effort \"none\"; asking it without one",
  asks: (body) => body.reasoning_effort === "none",
  isRefusal: (error) => error instanceof InvalidRequestError && (error.param === "reasoning_effort" || /reasoning_effort/i.test(error.message)),
  without: ({ reasoning_effort: _none, ...body }) => body,
};

/**
 * Hints a client sends that some OpenAI-compatible servers refuse as unknown fields (Groq: "property
 * 'prompt_cache_key' is unsupported"), where OpenAI takes them: `prompt_cache_key` (prompt-cache
 * routing), `prompt_cache_retention` and `prompt_cache_options` (how long and how the cache keeps
 * the prompt), `safety_identifier` and `verbosity`. The answer without the hint is the same answer, so
 * a server that refuses one is asked again without it. `top_k` too (Anthropic's and Ollama's clients
 * send it; vLLM, llama.cpp and OpenRouter take it, OpenAI answers "Unrecognized request argument
 * supplied: top_k"): a server that has no such sampling answers as it would without it. (`service_tier` is not one: it decides what
 * the call is billed, and its refusal is the client's to see.)
 */
type Hint = "prompt_cache_key" | "prompt_cache_retention" | "prompt_cache_options" | "safety_identifier" | "verbosity" | "top_k" | "stream_options";
/**
 * A server refusing a field as unknown, in the words servers use (Groq "property 'x' is unsupported",
 * OpenAI "Unrecognized request argument supplied: x", pydantic-based servers "Extra inputs are not
 * permitted"), not a value it refuses ("Invalid value: 'in_memory'"): a value the client chose (a
 * retention, a cache mode) is the client's to see refused, never dropped.
 */
const UNKNOWN_FIELD = /unsupported|not supported|unrecogni[sz]ed|unknown (?:field|parameter|argument|property|name)|extra (?:inputs|fields)|not permitted/i;
const REFUSED_VALUE = /invalid value|unsupported value|must be one of|is not one of/i;

const hint = (field: Hint): RefusableFeature<ChatRequest> => ({
  note: `upstream takes no ${field}; asking it without`,
  asks: (body) => (body as Record<string, unknown>)[field] !== undefined,
  isRefusal: (error) =>
    error instanceof InvalidRequestError &&
    (error.param === field || error.message.includes(field)) &&
    UNKNOWN_FIELD.test(error.message) &&
    !REFUSED_VALUE.test(error.message),
  without: (body) => {
    const { [field]: _hint, ...rest } = body as Record<string, unknown>;
    return rest as ChatRequest;
  },
});

export const HINTS: readonly RefusableFeature<ChatRequest>[] = [
  hint("prompt_cache_key"),
  hint("prompt_cache_retention"),
  hint("prompt_cache_options"),
  hint("safety_identifier"),
  hint("verbosity"),
  hint("top_k"),
  // Asked for by the gateway on every stream (its usage), whether or not the client did; a server that
  // refuses it (older Azure API versions: "Unrecognized request argument supplied: stream_options")
  // streams the same answer without it, its tokens then the gateway's estimate (a probe).
  hint("stream_options"),
];

/**
 * `max_tokens` on OpenAI's reasoning models (gpt-5, the o-series): "Unsupported parameter:
 * 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead." Anthropic's
 * and Ollama's surfaces send the limit as `max_tokens` (what every OpenAI-compatible server takes),
 * and so do older Chat Completions clients: such a model is asked again with the same limit under
 * its new name, and from then on at once.
 */
export const MAX_TOKENS_RENAMED: RefusableFeature<ChatRequest> = {
  note: "upstream model takes max_completion_tokens, not max_tokens; asking it so",
  asks: (body) => body.max_tokens != null && body.max_completion_tokens == null,
  // Said unsupported, not merely named: vLLM's "'max_tokens' or 'max_completion_tokens' is too large" names both.
  isRefusal: (error) =>
    error instanceof InvalidRequestError && (error.param === "max_tokens" || /'max_tokens'/.test(error.message)) && /max_completion_tokens/.test(error.message) && /not supported|unsupported/i.test(error.message),
  without: ({ max_tokens, ...body }) => ({ ...body, max_completion_tokens: max_tokens }),
};

/**
 * Earlier assistant turns' thinking (`reasoning_content`, what the surfaces hand back so models that
 * want it, DeepSeek's, get it), which strict servers refuse as an unknown field (Cerebras). The turns
 * without it are the same conversation: such a server is asked again without, then at once.
 */
export const REASONING_HISTORY: RefusableFeature<ChatRequest> = {
  note: "upstream takes no reasoning_content in earlier turns; asking it without",
  asks: (body) => body.messages.some((message) => (message as { reasoning_content?: unknown }).reasoning_content !== undefined),
  isRefusal: (error) =>
    error instanceof InvalidRequestError && /reasoning_content/.test(`${error.param ?? ""} ${error.message}`) && UNKNOWN_FIELD.test(error.message) && !REFUSED_VALUE.test(error.message),
  without: (body) => ({
    ...body,
    messages: body.messages.map((message) => {
      if ((message as { reasoning_content?: unknown }).reasoning_content === undefined) return message;
      const { reasoning_content: _thinking, ...rest } = message as typeof message & { reasoning_content?: unknown };
      return rest;
    }),
  }),
};
