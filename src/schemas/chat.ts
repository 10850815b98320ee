import { Type, type Static } from "@sinclair/typebox";
import { Nullable, open, Usage } from "./common.ts";

// ---------------------------------------------------------------- request

/**
 * One object for every part type (not a union of part objects) so that a validation error names
 * the exact field (`messages[0].content[1].type`); part-specific rules live in chat-rules.ts.
 */
export const ContentPart = Type.Object(
  {
    type: Type.Union([Type.Literal("text"), Type.Literal("image_url"), Type.Literal("file"), Type.Literal("input_audio"), Type.Literal("refusal")]),
    text: Type.Optional(Type.String()),
    /** A `refusal` part's text (assistant messages only; read as the assistant's text). Nullable: the Agents SDK sends `refusal: null` on text parts. */
    refusal: Type.Optional(Nullable(Type.String())),
    image_url: Type.Optional(
      Type.Object(
        {
          url: Type.String({ description: "http(s) URL or `data:` URL" }),
          detail: Type.Optional(Type.Union([Type.Literal("auto"), Type.Literal("low"), Type.Literal("high")])),
        },
        open,
      ),
    ),
    input_audio: Type.Optional(
      Type.Object(
        {
          data: Type.String({ description: "base64 audio" }),
          format: Type.Union([Type.Literal("wav"), Type.Literal("mp3")]),
        },
        open,
      ),
    ),
    file: Type.Optional(
      Type.Object(
        {
          file_data: Type.Optional(Type.String({ description: "the file as a `data:` URL (`data:application/pdf;base64,…`), or base64 with a `filename` whose extension gives its type" })),
          file_id: Type.Optional(Type.String({ description: "an uploaded file's id: reaches an OpenAI-compatible upstream as sent; other providers cannot read it (400)" })),
          filename: Type.Optional(Type.String()),
          file_url: Type.Optional(
            Type.String({ description: "Ollaix's own: an http(s) URL the gateway fetches (with the image loader's guard) into file_data before the provider is called" }),
          ),
        },
        open,
      ),
    ),
  },
  open,
);
export type ContentPart = Static<typeof ContentPart>;

export const ToolCall = Type.Object(
  {
    id: Type.String(),
    type: Type.Literal("function"),
    function: Type.Object({ name: Type.String(), arguments: Type.String() }, open),
  },
  open,
);
export type ToolCall = Static<typeof ToolCall>;

export const Role = Type.Union([
  Type.Literal("system"),
  Type.Literal("developer"),
  Type.Literal("user"),
  Type.Literal("assistant"),
  Type.Literal("tool"),
]);
export type Role = Static<typeof Role>;

/** One object with `role` as an enum, for the same reason as ContentPart; role rules in chat-rules.ts. */
export const Message = Type.Object(
  {
    role: Role,
    content: Type.Optional(Nullable(Type.Union([Type.String(), Type.Array(ContentPart)]))),
    name: Type.Optional(Type.String()),
    tool_calls: Type.Optional(Type.Array(ToolCall)),
    tool_call_id: Type.Optional(Type.String()),
  },
  open,
);
export type Message = Static<typeof Message>;

export const Tool = Type.Object(
  {
    type: Type.Literal("function"),
    function: Type.Object(
      {
        name: Type.String({ minLength: 1 }),
        description: Type.Optional(Type.String()),
        parameters: Type.Optional(Type.Object({}, open)),
        strict: Type.Optional(Nullable(Type.Boolean())),
      },
      open,
    ),
  },
  open,
);
export type Tool = Static<typeof Tool>;

export const ToolChoice = Type.Union([
  Type.Literal("none"),
  Type.Literal("auto"),
  Type.Literal("required"),
  Type.Object({ type: Type.Literal("function"), function: Type.Object({ name: Type.String() }, open) }, open),
]);
export type ToolChoice = Static<typeof ToolChoice>;

export const ResponseFormat = Type.Object(
  {
    type: Type.Union([Type.Literal("text"), Type.Literal("json_object"), Type.Literal("json_schema")]),
    json_schema: Type.Optional(
      Type.Object(
        {
          name: Type.String(),
          description: Type.Optional(Type.String()),
          schema: Type.Optional(Type.Object({}, open)),
          strict: Type.Optional(Nullable(Type.Boolean())),
        },
        open,
      ),
    ),
  },
  open,
);
export type ResponseFormat = Static<typeof ResponseFormat>;

// At most a 32-bit integer, as OpenAI's API takes: 1e23 is an integer to JSON, and would reach an upstream as a float literal.
const PositiveInt = Type.Integer({ minimum: 1, maximum: 2_147_483_647 });

/** OpenAI's `ReasoningEffort` values; each plugin maps them onto what its provider takes. */
export const REASONING_EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh", "max"] as const;
export const ReasoningEffort = Type.Union(
  REASONING_EFFORTS.map((effort) => Type.Literal(effort)),
  { description: "For reasoning models; plugins map it onto their provider's thinking settings." },
);
export type ReasoningEffort = Static<typeof ReasoningEffort>;
const Penalty = Type.Number({ minimum: -2, maximum: 2 });

export const ChatRequest = Type.Object(
  {
    model: Type.String({ minLength: 1, examples: ["dummy-model:1.0"] }),
    messages: Type.Array(Message, { minItems: 1 }),
    stream: Type.Optional(Nullable(Type.Boolean())),
    stream_options: Type.Optional(
      Nullable(Type.Object({ include_usage: Type.Optional(Type.Boolean()) }, open)),
    ),
    max_tokens: Type.Optional(Nullable(PositiveInt)),
    max_completion_tokens: Type.Optional(Nullable(PositiveInt)),
    temperature: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 2 }))),
    top_p: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 1 }))),
    n: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 128 }))),
    stop: Type.Optional(Nullable(Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 4 })]))),
    // OpenAI's document bounds it to int64; a JSON number beyond 2^53 does not survive parsing (9223372036854775807
    // reached upstreams as 9223372036854776000, outside int64), and 1e21 as a float literal: safe integers only.
    seed: Type.Optional(Nullable(Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }))),
    presence_penalty: Type.Optional(Nullable(Penalty)),
    frequency_penalty: Type.Optional(Nullable(Penalty)),
    response_format: Type.Optional(ResponseFormat),
    tools: Type.Optional(Type.Array(Tool)),
    tool_choice: Type.Optional(ToolChoice),
    user: Type.Optional(Type.String()),
    reasoning_effort: Type.Optional(Nullable(ReasoningEffort)),
    logprobs: Type.Optional(Nullable(Type.Boolean({ description: "handed to the provider; answered where it gives them" }))),
    top_logprobs: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 20 }))),
    // OpenAI's typed fields that no core code reads: checked as OpenAI checks them, then handed to the provider as sent.
    parallel_tool_calls: Type.Optional(Nullable(Type.Boolean({ description: "false: at most one tool call an answer, on every provider" }))),
    service_tier: Type.Optional(Nullable(Type.Union(["auto", "default", "flex", "scale", "priority", "fast"].map((tier) => Type.Literal(tier))))),
    verbosity: Type.Optional(Nullable(Type.Union([Type.Literal("low"), Type.Literal("medium"), Type.Literal("high")]))),
    modalities: Type.Optional(Nullable(Type.Array(Type.Union([Type.Literal("text"), Type.Literal("audio")])))),
    logit_bias: Type.Optional(Nullable(Type.Record(Type.String(), Type.Integer({ minimum: -100, maximum: 100 })))),
    metadata: Type.Optional(Nullable(Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 512 }), { maxProperties: 16 }))),
    store: Type.Optional(Nullable(Type.Boolean())),
    prediction: Type.Optional(
      Nullable(Type.Object({ type: Type.Literal("content"), content: Type.Union([Type.String(), Type.Array(Type.Object({ type: Type.Literal("text"), text: Type.String() }, open))]) }, open)),
    ),
    safety_identifier: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
    prompt_cache_key: Type.Optional(Nullable(Type.String())),
  },
  {
    ...open,
    description:
      "OpenAI Chat Completions request. Unknown fields are accepted and handed to the provider plugin.",
  },
);
export type ChatRequest = Static<typeof ChatRequest>;

// ---------------------------------------------------------------- response

export const FinishReason = Type.Union([
  Type.Literal("stop"),
  Type.Literal("length"),
  Type.Literal("tool_calls"),
  Type.Literal("content_filter"),
]);
export type FinishReason = Static<typeof FinishReason>;

export const AssistantMessage = Type.Object(
  {
    role: Type.Literal("assistant"),
    content: Nullable(Type.String()),
    refusal: Nullable(Type.String()),
    reasoning_content: Type.Optional(Type.String()),
    tool_calls: Type.Optional(Type.Array(ToolCall)),
  },
  open,
);

export const ChatCompletion = Type.Object(
  {
    id: Type.String({ examples: ["chatcmpl-4f2c1e0b8a9d4b6c"] }),
    object: Type.Literal("chat.completion"),
    created: Type.Integer(),
    model: Type.String(),
    choices: Type.Array(
      Type.Object(
        {
          index: Type.Integer(),
          message: AssistantMessage,
          logprobs: Nullable(Type.Object({}, open)),
          finish_reason: FinishReason,
        },
        open,
      ),
    ),
    usage: Type.Optional(Usage),
  },
  open,
);
export type ChatCompletion = Static<typeof ChatCompletion>;

export const ToolCallDelta = Type.Object(
  {
    index: Type.Integer(),
    id: Type.Optional(Type.String()),
    type: Type.Optional(Type.Literal("function")),
    function: Type.Optional(
      Type.Object({ name: Type.Optional(Type.String()), arguments: Type.Optional(Type.String()) }, open),
    ),
  },
  open,
);

export const Delta = Type.Object(
  {
    role: Type.Optional(Type.Literal("assistant")),
    content: Type.Optional(Nullable(Type.String())),
    reasoning_content: Type.Optional(Type.String()),
    refusal: Type.Optional(Nullable(Type.String())),
    tool_calls: Type.Optional(Type.Array(ToolCallDelta)),
  },
  open,
);
export type Delta = Static<typeof Delta>;

export const ChatCompletionChunk = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("chat.completion.chunk"),
    created: Type.Integer(),
    model: Type.String(),
    choices: Type.Array(
      Type.Object(
        {
          index: Type.Integer(),
          delta: Delta,
          logprobs: Type.Optional(Nullable(Type.Object({}, open))),
          finish_reason: Nullable(FinishReason),
        },
        open,
      ),
    ),
    usage: Type.Optional(Nullable(Usage)),
  },
  { ...open, description: "One `data:` event of a streamed chat completion" },
);
export type ChatCompletionChunk = Static<typeof ChatCompletionChunk>;
