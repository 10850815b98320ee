import { Type, type Static } from "@sinclair/typebox";
import { Nullable, open } from "../../schemas/common.ts";

/**
 * Anthropic's Messages request (`POST /v1/messages`), as its API reference and
 * `anthropics/anthropic-sdk-typescript` (`MessageCreateParams`) define it. Objects stay open: the
 * SDKs send fields we do not use (`cache_control`, `citations`, `service_tier`, …), which are ignored.
 * A content block is one object with `type` as an enum (not a union of block objects) so that a
 * validation error names the exact field; per-type rules live in to-chat-request.ts.
 */

const CacheControl = Type.Optional(Type.Object({}, { ...open, description: "Accepted and ignored." }));

export const ImageSource = Type.Object(
  {
    type: Type.Union([Type.Literal("base64"), Type.Literal("url")]),
    media_type: Type.Optional(Type.String({ examples: ["image/png"] })),
    data: Type.Optional(Type.String()),
    url: Type.Optional(Type.String()),
  },
  open,
);

/** A block inside a document's `content` source: text or image. */
export const ContentSourcePart = Type.Object(
  {
    type: Type.Union([Type.Literal("text"), Type.Literal("image")]),
    text: Type.Optional(Type.String()),
    source: Type.Optional(ImageSource),
  },
  open,
);

/**
 * An image's source, or a document's: `base64` (a PDF), `text` (plain text in `data`), `content`
 * (text and image blocks), `url` and `file` (a Files API id; neither is read by the gateway).
 */
export const BlockSource = Type.Object(
  {
    type: Type.Union([Type.Literal("base64"), Type.Literal("url"), Type.Literal("text"), Type.Literal("content"), Type.Literal("file")]),
    media_type: Type.Optional(Type.String({ examples: ["image/png", "application/pdf", "text/plain"] })),
    data: Type.Optional(Type.String()),
    url: Type.Optional(Type.String()),
    content: Type.Optional(Type.Union([Type.String(), Type.Array(ContentSourcePart)])),
    file_id: Type.Optional(Type.String()),
  },
  open,
);
export type BlockSource = Static<typeof BlockSource>;

/** An image's or a document's source (an object); a `search_result`'s, where it came from (a string). */
const SourceField = Type.Optional(Type.Union([BlockSource, Type.String({ description: "search_result: where the result came from" })]));

/** A block inside a `tool_result`'s content: text, image or document. */
export const ToolResultPart = Type.Object(
  {
    type: Type.Union([Type.Literal("text"), Type.Literal("image"), Type.Literal("document"), Type.Literal("search_result")]),
    text: Type.Optional(Type.String()),
    source: SourceField,
    title: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    /** A search result's text blocks. */
    content: Type.Optional(Type.Array(ContentSourcePart)),
  },
  open,
);

export const BLOCK_TYPES = ["text", "image", "document", "search_result", "tool_use", "tool_result", "thinking", "redacted_thinking"] as const;

export const ContentBlock = Type.Object(
  {
    type: Type.Union(BLOCK_TYPES.map((t) => Type.Literal(t))),
    text: Type.Optional(Type.String()),
    source: SourceField,
    /** A document's title: the file's name for the provider. `context` and `citations` are accepted and ignored. */
    title: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    id: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    input: Type.Optional(Type.Unknown()),
    tool_use_id: Type.Optional(Type.String()),
    content: Type.Optional(Type.Union([Type.String(), Type.Array(ToolResultPart)])),
    is_error: Type.Optional(Type.Boolean()),
    thinking: Type.Optional(Type.String()),
    signature: Type.Optional(Type.String()),
    data: Type.Optional(Type.String()),
    cache_control: CacheControl,
  },
  open,
);
export type ContentBlock = Static<typeof ContentBlock>;

export const MessageParam = Type.Object(
  {
    role: Type.Union([Type.Literal("user"), Type.Literal("assistant"), Type.Literal("system")], {
      description: "system: a system message in the conversation (its text from here on; the AI SDK sends later system messages so)",
    }),
    content: Type.Union([Type.String(), Type.Array(ContentBlock)]),
    /** A system message's own effort from here on (the AI SDK's mid-conversation output_config). */
    output_config: Type.Optional(Type.Object({ effort: Type.Optional(Type.Union([Type.String(), Type.Null()])) }, open)),
    /** A system message's clearing of earlier turns: not supported (a 400). */
    clear_at: Type.Optional(Type.Unknown()),
  },
  open,
);
export type MessageParam = Static<typeof MessageParam>;

export const SystemBlock = Type.Object({ type: Type.Literal("text"), text: Type.String(), cache_control: CacheControl }, open);

/** A client tool has no `type` (or `custom`); any other `type` is a server tool Ollaix cannot run. */
export const ToolParam = Type.Object(
  {
    type: Type.Optional(Type.String()),
    // Optional here so that a server tool without one (`mcp_toolset`) is refused for what it is.
    name: Type.Optional(Type.String({ minLength: 1 })),
    description: Type.Optional(Type.String()),
    input_schema: Type.Optional(Type.Object({}, open)),
    /** Accepted, not sent on (OpenAI's strict mode wants every property required; Anthropic's does not). */
    strict: Type.Optional(Type.Boolean()),
    /**
     * Its input streamed as the model writes it (fine-grained tool streaming: it may be invalid JSON);
     * false: checked whole first; null: as the `fine-grained-tool-streaming` beta header says.
     */
    eager_input_streaming: Type.Optional(Nullable(Type.Boolean())),
    cache_control: CacheControl,
  },
  open,
);
export type ToolParam = Static<typeof ToolParam>;

export const ToolChoiceParam = Type.Object(
  {
    type: Type.Union([Type.Literal("auto"), Type.Literal("any"), Type.Literal("tool"), Type.Literal("none")]),
    name: Type.Optional(Type.String()),
    disable_parallel_tool_use: Type.Optional(Type.Boolean()),
  },
  open,
);
export type ToolChoiceParam = Static<typeof ToolChoiceParam>;

export const ThinkingParam = Type.Object(
  {
    type: Type.Union([Type.Literal("enabled"), Type.Literal("disabled"), Type.Literal("adaptive"), Type.Literal("between_tools")]),
    budget_tokens: Type.Optional(Type.Integer({ minimum: 1 })),
    display: Type.Optional(
      Nullable(
        Type.Union([Type.Literal("summarized"), Type.Literal("omitted")], {
          description: "`omitted`: thinking blocks come with empty text, the thinking kept in their signature for the next turn",
        }),
      ),
    ),
  },
  open,
);
export type ThinkingParam = Static<typeof ThinkingParam>;

/** Structured outputs: the answer's text is JSON that follows `schema`. */
export const OutputFormat = Type.Object({ type: Type.Literal("json_schema"), schema: Type.Object({}, open) }, open);
export type OutputFormat = Static<typeof OutputFormat>;

export const OutputConfig = Type.Object(
  {
    effort: Type.Optional(
      Type.Union([Type.Literal("low"), Type.Literal("medium"), Type.Literal("high"), Type.Literal("xhigh"), Type.Literal("max"), Type.Null()], {
        description: "the chat request's reasoning_effort, unless thinking gives one (an enabled budget, or disabled)",
      }),
    ),
    format: Type.Optional(Type.Union([OutputFormat, Type.Null()], { description: "structured outputs: the chat request's response_format json_schema" })),
  },
  open,
);
export type OutputConfig = Static<typeof OutputConfig>;

/** Context editing (`context_management`, context-editing.ts): the edits, each checked by its `type`. */
export const ContextManagement = Type.Object(
  {
    edits: Type.Optional(
      Type.Array(
        Type.Object(
          { type: Type.String({ description: "clear_tool_uses_20250919 or clear_thinking_20251015 (compact_20260112 is refused)" }) },
          open,
        ),
      ),
    ),
  },
  { ...open, description: "Edits the gateway makes to the conversation the provider is sent: tool results and thinking of older turns cleared" },
);
export type ContextManagement = Static<typeof ContextManagement>;

/** What `/v1/messages` and `/v1/messages/count_tokens` share: the conversation and its tools. */
const promptFields = {
  model: Type.String({ minLength: 1, examples: ["dummy-model:1.0"] }),
  messages: Type.Array(MessageParam, { minItems: 1 }),
  system: Type.Optional(Type.Union([Type.String(), Type.Array(SystemBlock)])),
  tools: Type.Optional(Type.Array(ToolParam)),
  tool_choice: Type.Optional(ToolChoiceParam),
  thinking: Type.Optional(ThinkingParam),
  output_config: Type.Optional(OutputConfig),
  /** MCP servers Anthropic's API connects to: not supported (a 400). */
  mcp_servers: Type.Optional(Type.Unknown()),
  /** The structured-outputs beta's name for `output_config.format`. */
  output_format: Type.Optional(Type.Union([OutputFormat, Type.Null()])),
  context_management: Type.Optional(Type.Union([ContextManagement, Type.Null()])),
};

export const MessagesRequest = Type.Object(
  {
    ...promptFields,
    max_tokens: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
    stream: Type.Optional(Type.Boolean()),
    stop_sequences: Type.Optional(Type.Array(Type.String())),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    top_k: Type.Optional(Type.Integer({ minimum: 0 })),
    metadata: Type.Optional(Type.Object({ user_id: Type.Optional(Type.Union([Type.String(), Type.Null()])) }, open)),
  },
  { ...open, description: "Anthropic Messages request. Unknown fields are accepted and ignored." },
);
export type MessagesRequest = Static<typeof MessagesRequest>;

export const CountTokensRequest = Type.Object(promptFields, {
  ...open,
  description: "Anthropic's count_tokens request: the prompt part of a Messages request.",
});
export type CountTokensRequest = Static<typeof CountTokensRequest>;

/*
 * The answers, as Anthropic's reference (`Message`, `MessageTokensCount`, `ErrorResponse`) has them:
 * the shapes this surface returns (from-chat-result.ts builds a Message of these types) and what
 * `/docs/json` shows.
 */
const StopReasonSchema = Type.Union([Type.Literal("end_turn"), Type.Literal("max_tokens"), Type.Literal("stop_sequence"), Type.Literal("tool_use"), Type.Literal("refusal")]);

export const ResponseBlock = Type.Union([
  Type.Object({ type: Type.Literal("thinking"), thinking: Type.String(), signature: Type.String() }),
  // The fields Anthropic's SDK types as required: `citations` (none here), a tool call's `caller` (the model itself).
  Type.Object({ type: Type.Literal("text"), text: Type.String(), citations: Type.Null() }),
  Type.Object({
    type: Type.Literal("tool_use"),
    id: Type.String(),
    name: Type.String(),
    input: Type.Record(Type.String(), Type.Unknown()),
    caller: Type.Object({ type: Type.Literal("direct") }),
  }),
]);
export type ResponseBlock = Static<typeof ResponseBlock>;

/** The usage a `message_delta` carries (Anthropic's MessageDeltaUsage): the totals so far. */
export const DeltaUsage = Type.Object({
  input_tokens: Type.Integer({ description: "what was not read from a cache, as Anthropic counts" }),
  output_tokens: Type.Integer(),
  cache_creation_input_tokens: Type.Integer(),
  cache_read_input_tokens: Type.Integer(),
  output_tokens_details: Nullable(Type.Object({ thinking_tokens: Type.Integer() }, { description: "when the provider counts its reasoning" })),
  server_tool_use: Type.Null({ description: "no server tools run here" }),
});
export type DeltaUsage = Static<typeof DeltaUsage>;

/** A Message's usage (Anthropic's Usage): the delta's fields and the ones only a Message has. */
export const MessageUsage = Type.Composite([
  DeltaUsage,
  Type.Object({
    cache_creation: Type.Object({ ephemeral_5m_input_tokens: Type.Integer(), ephemeral_1h_input_tokens: Type.Integer() }),
    service_tier: Type.Literal("standard"),
    inference_geo: Type.Null(),
    speed: Type.Null(),
  }),
]);
export type MessageUsage = Static<typeof MessageUsage>;

/** A refusal's details (Anthropic's RefusalStopDetails): no category is known here. */
export const StopDetails = Nullable(Type.Object({ type: Type.Literal("refusal"), category: Type.Null(), explanation: Type.Null() }));

export const MessageResponse = Type.Object(
  {
    id: Type.String(),
    type: Type.Literal("message"),
    role: Type.Literal("assistant"),
    model: Type.String({ description: "the id the client asked for" }),
    content: Type.Array(ResponseBlock),
    stop_reason: StopReasonSchema,
    stop_sequence: Nullable(Type.String()),
    stop_details: StopDetails,
    container: Type.Null({ description: "no code execution container here" }),
    diagnostics: Type.Null(),
    usage: MessageUsage,
    context_management: Type.Optional(Type.Object({ applied_edits: Type.Array(Type.Object({}, open)) }, { description: "with `context_management`: the edits applied" })),
  },
  { description: "Anthropic's Message. With `stream: true`, its events instead (`text/event-stream`)." },
);
export type MessageResponse = Static<typeof MessageResponse>;

export const TokensCount = Type.Object({
  input_tokens: Type.Integer(),
  context_management: Type.Optional(Type.Object({ original_input_tokens: Type.Integer() })),
});

/** Anthropic's error envelope (every status; 529 `overloaded_error` for an upstream that is down, 504 `timeout_error`). */
export const AnthropicErrorBody = Type.Object({
  type: Type.Literal("error"),
  error: Type.Object({ type: Type.String(), message: Type.String() }),
  request_id: Nullable(Type.String({ description: "the answer's request id (its `request-id` header)" })),
});
