import { createChecker, createUpstreamParser, Type, UpstreamError, type Static, type TSchema } from "../../src/kit.ts";

/**
 * Ollama's wire format (docs/api.md of ollama/ollama, and ollama-js src/interfaces.ts). Request
 * shapes are what the converters build; response shapes are partial on purpose: they name only what
 * the plugin reads, so fields Ollama adds later pass, and they are checked where they are parsed.
 */

// ---------------------------------------------------------------- requests (built by the converters)

const JsonObject = Type.Record(Type.String(), Type.Unknown());

export const OllamaToolCallOut = Type.Object({
  function: Type.Object({ name: Type.String(), arguments: JsonObject }),
});

export const OllamaMessage = Type.Object({
  role: Type.Union([Type.Literal("system"), Type.Literal("user"), Type.Literal("assistant"), Type.Literal("tool")]),
  content: Type.String(),
  thinking: Type.Optional(Type.String()),
  /** Base64, without a `data:` prefix. */
  images: Type.Optional(Type.Array(Type.String())),
  tool_calls: Type.Optional(Type.Array(OllamaToolCallOut)),
  /** On tool messages: the name of the tool whose result this is. */
  tool_name: Type.Optional(Type.String()),
});
export type OllamaMessage = Static<typeof OllamaMessage>;

export const OllamaTool = Type.Object({
  type: Type.Literal("function"),
  function: Type.Object({
    name: Type.String(),
    description: Type.Optional(Type.String()),
    parameters: Type.Optional(JsonObject),
  }),
});
export type OllamaTool = Static<typeof OllamaTool>;

/** The Modelfile parameters the plugin sets (`options`). */
export const OllamaOptions = Type.Object({
  temperature: Type.Optional(Type.Number()),
  top_p: Type.Optional(Type.Number()),
  top_k: Type.Optional(Type.Integer()),
  num_predict: Type.Optional(Type.Integer()),
  stop: Type.Optional(Type.Array(Type.String())),
  seed: Type.Optional(Type.Integer()),
  presence_penalty: Type.Optional(Type.Number()),
  frequency_penalty: Type.Optional(Type.Number()),
});
/** The mapped parameters, and any other Modelfile parameter an Ollama client sent through Ollaix's Ollama API. */
export type OllamaOptions = Static<typeof OllamaOptions> & Record<string, unknown>;

/** `"json"` (JSON mode) or a JSON schema (structured outputs). */
export const OllamaFormat = Type.Union([Type.Literal("json"), JsonObject]);
export type OllamaFormat = Static<typeof OllamaFormat>;

/** `true`/`false`, or a level name for models that take levels (gpt-oss: low, medium, high). */
export const OllamaThink = Type.Union([Type.Boolean(), Type.String()]);
export type OllamaThink = Static<typeof OllamaThink>;

export const OllamaChatRequest = Type.Object({
  model: Type.String(),
  messages: Type.Array(OllamaMessage),
  stream: Type.Boolean(),
  format: Type.Optional(OllamaFormat),
  options: Type.Optional(OllamaOptions),
  tools: Type.Optional(Type.Array(OllamaTool)),
  think: Type.Optional(OllamaThink),
  /** An Ollama client's own, through Ollaix's Ollama API (the model stays loaded that long; 0 unloads it after). */
  keep_alive: Type.Optional(Type.Union([Type.String(), Type.Number()])),
  /** Log probabilities of the answer's tokens (Ollama 0.12.11 and later), with `top_logprobs` alternatives. */
  logprobs: Type.Optional(Type.Boolean()),
  top_logprobs: Type.Optional(Type.Integer()),
});
export type OllamaChatRequest = Static<typeof OllamaChatRequest>;

export const OllamaEmbedRequest = Type.Object({
  model: Type.String(),
  input: Type.Union([Type.String(), Type.Array(Type.String())]),
  dimensions: Type.Optional(Type.Integer()),
  truncate: Type.Optional(Type.Boolean()),
  options: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  keep_alive: Type.Optional(Type.Union([Type.String(), Type.Number()])),
});
export type OllamaEmbedRequest = Static<typeof OllamaEmbedRequest>;

// ---------------------------------------------------------------- responses (checked on arrival)

const Count = Type.Integer({ minimum: 0 });

/** Ollama sends `arguments` as an object and, before the versions that add one, no `id`. */
export const OllamaToolCallIn = Type.Object({
  id: Type.Optional(Type.String()),
  function: Type.Object({ name: Type.String(), arguments: JsonObject }),
});
export type OllamaToolCallIn = Static<typeof OllamaToolCallIn>;

/**
 * A token's log probability (`bytes` only from versions that send them). Loose on purpose: an entry
 * of another shape is left out by the converter rather than failing the whole answer.
 */
const OllamaTokenLogprob = Type.Object({
  token: Type.Optional(Type.Unknown()),
  logprob: Type.Optional(Type.Unknown()),
  bytes: Type.Optional(Type.Unknown()),
});
export const OllamaLogprob = Type.Object({
  token: Type.Optional(Type.Unknown()),
  logprob: Type.Optional(Type.Unknown()),
  bytes: Type.Optional(Type.Unknown()),
  top_logprobs: Type.Optional(Type.Unknown()),
});
export type OllamaLogprob = Static<typeof OllamaLogprob>;

/** One `/api/chat` answer, or one line of its stream. The final stream line may have no `message`. */
export const OllamaChatResponse = Type.Object({
  message: Type.Optional(
    Type.Object({
      content: Type.Optional(Type.String()),
      thinking: Type.Optional(Type.String()),
      tool_calls: Type.Optional(Type.Union([Type.Array(OllamaToolCallIn), Type.Null()])),
    }),
  ),
  done: Type.Boolean(),
  done_reason: Type.Optional(Type.String()),
  /** Absent when the whole prompt came from Ollama's prompt cache. */
  prompt_eval_count: Type.Optional(Count),
  eval_count: Type.Optional(Count),
  /** With `logprobs`: the tokens of this answer, or of this line's text. */
  logprobs: Type.Optional(Type.Union([Type.Array(OllamaLogprob), Type.Null()])),
});
export type OllamaChatResponse = Static<typeof OllamaChatResponse>;

export const OllamaModelDetails = Type.Object({
  format: Type.Optional(Type.String()),
  family: Type.Optional(Type.String()),
  parameter_size: Type.Optional(Type.String()),
  quantization_level: Type.Optional(Type.String()),
});

export const OllamaTags = Type.Object({
  models: Type.Array(
    Type.Object({
      name: Type.String({ minLength: 1 }),
      modified_at: Type.Optional(Type.String()),
      size: Type.Optional(Type.Number()),
      digest: Type.Optional(Type.String()),
      details: Type.Optional(Type.Union([OllamaModelDetails, Type.Null()])),
    }),
  ),
});
export type OllamaTags = Static<typeof OllamaTags>;
export type OllamaTagsModel = OllamaTags["models"][number];

/** `/api/show`: model metadata (`<architecture>.context_length`), capabilities, thinking levels. */
export const OllamaShow = Type.Object({
  model_info: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
  capabilities: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
  thinking: Type.Optional(
    Type.Object({ values: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Boolean()]))) }),
  ),
});
export type OllamaShow = Static<typeof OllamaShow>;

/** `/api/ps`: the models loaded now. */
export const OllamaPs = Type.Object({
  models: Type.Array(
    Type.Object({
      name: Type.String({ minLength: 1 }),
      model: Type.Optional(Type.String()),
      size: Type.Optional(Type.Number()),
      size_vram: Type.Optional(Type.Number()),
      digest: Type.Optional(Type.String()),
      details: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
      expires_at: Type.Optional(Type.String()),
      context_length: Type.Optional(Type.Number()),
    }),
  ),
});
export type OllamaPs = Static<typeof OllamaPs>;

export const OllamaEmbedResponse = Type.Object({
  embeddings: Type.Array(Type.Array(Type.Number())),
  prompt_eval_count: Type.Optional(Count),
});
export type OllamaEmbedResponse = Static<typeof OllamaEmbedResponse>;

export const OllamaVersion = Type.Object({ version: Type.String() });

/** What Ollama sends instead of an answer, also as a line inside a 200 stream. */
const OllamaErrorBody = Type.Object({ error: Type.String() });
const isErrorBody = createChecker(OllamaErrorBody);

/** The `error` text of an `{"error": …}` body, or undefined. */
export function errorTextOf(value: unknown): string | undefined {
  return isErrorBody.check(value) ? value.error : undefined;
}

/** Ollama's `{"error": …}` in place of an answer (also a line inside a 200 stream). */
function rejectOllamaError(value: unknown): void {
  const error = errorTextOf(value);
  if (error !== undefined) throw new UpstreamError(`Ollama reported an error: ${error}`);
}

const parserFor = <S extends TSchema>(schema: S, what: string) =>
  createUpstreamParser(schema, { provider: "Ollama", what, rejectError: rejectOllamaError });

export const parseChatResponse = parserFor(OllamaChatResponse, "a chat response");
export const parseTags = parserFor(OllamaTags, "a model list");
export const parseShow = parserFor(OllamaShow, "model details");
export const parseEmbedResponse = parserFor(OllamaEmbedResponse, "an embedding response");
export const parseVersion = parserFor(OllamaVersion, "a version");
export const parsePs = parserFor(OllamaPs, "a list of running models");
