import { Type, type Static } from "@sinclair/typebox";
import { open } from "../../schemas/common.ts";

/**
 * Ollama's request bodies (ollama/ollama `docs/api.md`; field names as ollama-js `src/interfaces.ts`
 * spells them). Objects stay open: Ollama clients send fields Ollaix has no use for (`keep_alive`,
 * Modelfile options), and Ollama itself ignores what it does not know.
 */

/** Base64 images; ollama-js encodes Uint8Arrays before sending. */
const Images = Type.Array(Type.String());

/** `"json"` (JSON mode) or a JSON schema (structured outputs); `""` is no format, as in Ollama. */
export const Format = Type.Union([Type.String(), Type.Object({}, open)], {
  description: '`"json"` or a JSON schema',
});

/** `true`/`false`, or a level for models that take levels. */
export const Think = Type.Union([Type.Boolean(), Type.Union([Type.Literal("low"), Type.Literal("medium"), Type.Literal("high"), Type.Literal("max")])], {
  description: "boolean, or `low` | `medium` | `high` | `max` (→ reasoning effort)",
});

/** Modelfile parameters. The ones the gateway maps are typed; the rest reach an Ollama upstream as sent (others ignore them). */
export const Options = Type.Object(
  {
    temperature: Type.Optional(Type.Number()),
    top_p: Type.Optional(Type.Number()),
    top_k: Type.Optional(Type.Integer()),
    // At most what is still an integer once sent on (1e23 would reach a provider as a float literal; Ollama's Go int refuses it too).
    num_predict: Type.Optional(Type.Integer({ maximum: Number.MAX_SAFE_INTEGER })),
    stop: Type.Optional(Type.Array(Type.String())),
    seed: Type.Optional(Type.Integer({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER })),
    presence_penalty: Type.Optional(Type.Number()),
    frequency_penalty: Type.Optional(Type.Number()),
    // Any integer, as Ollama: its scheduler raises a context below 4 to 4.
    num_ctx: Type.Optional(Type.Integer()),
  },
  { ...open, description: "Modelfile parameters; others (num_ctx, repeat_penalty, mirostat…) reach an Ollama upstream as sent, and other providers ignore them" },
);
export type Options = Static<typeof Options>;

export const ToolCall = Type.Object(
  {
    /** Newer Ollama servers add one; older clients never send it. */
    id: Type.Optional(Type.String()),
    function: Type.Object(
      {
        name: Type.String({ minLength: 1 }),
        arguments: Type.Optional(Type.Object({}, open)),
      },
      open,
    ),
  },
  open,
);
export type ToolCall = Static<typeof ToolCall>;

/** One object with `role` as an enum so a validation error names the field (`messages[1].role`). */
export const Message = Type.Object(
  {
    role: Type.Union([Type.Literal("system"), Type.Literal("user"), Type.Literal("assistant"), Type.Literal("tool")]),
    content: Type.Optional(Type.String()),
    thinking: Type.Optional(Type.String()),
    images: Type.Optional(Type.Union([Images, Type.Null()])),
    tool_calls: Type.Optional(Type.Union([Type.Array(ToolCall), Type.Null()])),
    /** On tool messages: the name of the tool whose result this is. */
    tool_name: Type.Optional(Type.String()),
    tool_call_id: Type.Optional(Type.String()),
  },
  open,
);
export type Message = Static<typeof Message>;

export const Tool = Type.Object(
  {
    type: Type.Optional(Type.String()),
    function: Type.Object(
      {
        name: Type.String({ minLength: 1 }),
        description: Type.Optional(Type.String()),
        parameters: Type.Optional(Type.Object({}, open)),
      },
      open,
    ),
  },
  open,
);
export type Tool = Static<typeof Tool>;

const Model = Type.String({ minLength: 1, examples: ["dummy-model:1.0"] });
const KeepAlive = Type.Optional(
  Type.Union([Type.String(), Type.Number()], {
    description: "chat and generate: reaches an Ollama upstream as sent (0 with nothing to generate answers `unload`); ignored elsewhere",
  }),
);
const Logprobs = Type.Optional(Type.Union([Type.Boolean({ description: "the answer's tokens' log probabilities, where the provider gives them" }), Type.Null()]));
const TopLogprobs = Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 20, description: "alternatives per token, with `logprobs`" }), Type.Null()]));

export const ChatRequest = Type.Object(
  {
    model: Model,
    messages: Type.Optional(Type.Array(Message)),
    tools: Type.Optional(Type.Union([Type.Array(Tool), Type.Null()])),
    format: Type.Optional(Type.Union([Format, Type.Null()])),
    think: Type.Optional(Type.Union([Think, Type.Null()])),
    options: Type.Optional(Type.Union([Options, Type.Null()])),
    stream: Type.Optional(Type.Union([Type.Boolean(), Type.Null()], { description: "default true (NDJSON)" })),
    keep_alive: KeepAlive,
    logprobs: Logprobs,
    top_logprobs: TopLogprobs,
  },
  { ...open, description: "Ollama `/api/chat`" },
);
export type ChatRequest = Static<typeof ChatRequest>;

export const GenerateRequest = Type.Object(
  {
    model: Model,
    prompt: Type.Optional(Type.String()),
    suffix: Type.Optional(Type.String()),
    system: Type.Optional(Type.String()),
    images: Type.Optional(Type.Union([Images, Type.Null()])),
    format: Type.Optional(Type.Union([Format, Type.Null()])),
    think: Type.Optional(Type.Union([Think, Type.Null()])),
    options: Type.Optional(Type.Union([Options, Type.Null()])),
    stream: Type.Optional(Type.Union([Type.Boolean(), Type.Null()], { description: "default true (NDJSON)" })),
    raw: Type.Optional(Type.Boolean({ description: "accepted and ignored" })),
    template: Type.Optional(Type.String({ description: "accepted and ignored" })),
    context: Type.Optional(Type.Array(Type.Integer(), { description: "accepted and ignored" })),
    keep_alive: KeepAlive,
    logprobs: Logprobs,
    top_logprobs: TopLogprobs,
  },
  { ...open, description: "Ollama `/api/generate`" },
);
export type GenerateRequest = Static<typeof GenerateRequest>;

export const EmbedRequest = Type.Object(
  {
    model: Model,
    input: Type.Optional(
      Type.Union([Type.String(), Type.Array(Type.String()), Type.Null()], {
        description: "a string or strings (2,048 at most, as OpenAI's embeddings); none, null or \"\" embeds nothing: the answer is `embeddings: []` once the model is known (what Ollama answers, to load a model)",
      }),
    ),
    truncate: Type.Optional(Type.Boolean({ description: "reaches an Ollama upstream as sent (false: an input over the context is an error); ignored elsewhere" })),
    dimensions: Type.Optional(Type.Integer({ minimum: 1 })),
    options: Type.Optional(Type.Union([Type.Object({}, open), Type.Null()])),
    keep_alive: KeepAlive,
  },
  { ...open, description: "Ollama `/api/embed`" },
);
export type EmbedRequest = Static<typeof EmbedRequest>;

export const EmbeddingsRequest = Type.Object(
  {
    model: Model,
    // Optional: Ollama reads no prompt as "" (it loads the model and answers an empty embedding).
    prompt: Type.Optional(Type.String()),
    options: Type.Optional(Type.Union([Type.Object({}, open), Type.Null()])),
    keep_alive: KeepAlive,
  },
  { ...open, description: "Ollama `/api/embeddings` (legacy)" },
);
export type EmbeddingsRequest = Static<typeof EmbeddingsRequest>;

/** `name` is the older spelling Ollama still accepts. */
export const ShowRequest = Type.Object(
  { model: Type.Optional(Type.String()), name: Type.Optional(Type.String()), verbose: Type.Optional(Type.Boolean()) },
  { ...open, description: "Ollama `/api/show`" },
);
export type ShowRequest = Static<typeof ShowRequest>;

export const ErrorBody = Type.Object({ error: Type.String() }, { description: "Ollama's error body" });
