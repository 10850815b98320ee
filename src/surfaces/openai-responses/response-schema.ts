import { Type, type Static } from "@sinclair/typebox";
import { Nullable, open } from "../../schemas/common.ts";

// What Ollaix answers on /v1/responses: the parts of OpenAI's `Response`, `OutputItem` and
// `ResponseItemList` it fills (tests validate every answer against OpenAI's own document; these
// schemas give the types and the /docs/json description).

const ItemStatus = Type.Union([Type.Literal("in_progress"), Type.Literal("completed"), Type.Literal("incomplete")]);

export const OutputTextPart = Type.Object({
  type: Type.Literal("output_text"),
  text: Type.String(),
  annotations: Type.Array(Type.Unknown()),
  logprobs: Type.Array(Type.Unknown({ description: "OpenAI's `LogProb`: filled when the request's `include` asks for them and the provider gives them" })),
});
export const RefusalPart = Type.Object({ type: Type.Literal("refusal"), refusal: Type.String() });

export const OutputMessageItem = Type.Object({
  id: Type.String({ examples: ["msg_4f2c1e0b8a9d4b6c0e1f2a3b"] }),
  type: Type.Literal("message"),
  role: Type.Literal("assistant"),
  status: ItemStatus,
  content: Type.Array(Type.Union([OutputTextPart, RefusalPart])),
});
export type OutputMessageItem = Static<typeof OutputMessageItem>;

export const SummaryText = Type.Object({ type: Type.Literal("summary_text"), text: Type.String() });

export const ReasoningItem = Type.Object(
  {
    id: Type.String(),
    type: Type.Literal("reasoning"),
    summary: Type.Array(SummaryText),
    status: Type.Optional(ItemStatus),
    encrypted_content: Type.Optional(Type.String({ description: "with `include: [\"reasoning.encrypted_content\"]`: the thinking, sealed for this gateway to read back" })),
  },
  { description: "The provider's thinking text, as one `summary_text`" },
);
export type ReasoningItem = Static<typeof ReasoningItem>;

export const FunctionCallItem = Type.Object({
  id: Type.String(),
  type: Type.Literal("function_call"),
  status: ItemStatus,
  call_id: Type.String(),
  /** The namespace of a namespace's tool (namespace-tools.ts). */
  namespace: Type.Optional(Type.String()),
  name: Type.String(),
  arguments: Type.String({ description: "JSON text" }),
});
export type FunctionCallItem = Static<typeof FunctionCallItem>;

/** A call to a custom tool: its input as the model wrote it (free-form text, not JSON). */
export const CustomToolCallItem = Type.Object({
  id: Type.String(),
  type: Type.Literal("custom_tool_call"),
  status: ItemStatus,
  call_id: Type.String(),
  namespace: Type.Optional(Type.String()),
  name: Type.String(),
  input: Type.String(),
});
export type CustomToolCallItem = Static<typeof CustomToolCallItem>;

/** A conversation's compaction (compaction.ts): the summary the model wrote, readable by this gateway alone. */
export const CompactionItem = Type.Object(
  {
    id: Type.String({ examples: ["cmp_4f2c1e0b8a9d4b6c0e1f2a3b"] }),
    type: Type.Literal("compaction"),
    encrypted_content: Type.String({ description: "the summary, encoded (not encrypted) for this gateway to read back when the item is sent as input" }),
  },
  { description: "OpenAI's compaction item" },
);
export type CompactionItem = Static<typeof CompactionItem>;

export const OutputItem = Type.Union([ReasoningItem, OutputMessageItem, FunctionCallItem, CustomToolCallItem, CompactionItem]);
export type OutputItem = Static<typeof OutputItem>;

export const ResponseUsage = Type.Object({
  input_tokens: Type.Integer(),
  input_tokens_details: Type.Object({ cached_tokens: Type.Integer(), cache_write_tokens: Type.Integer() }),
  output_tokens: Type.Integer(),
  output_tokens_details: Type.Object({ reasoning_tokens: Type.Integer() }),
  total_tokens: Type.Integer(),
});
export type ResponseUsage = Static<typeof ResponseUsage>;

/** A function tool as the response echoes it (OpenAI's `FunctionTool`: `strict` and `parameters` required). */
export const EchoedFunctionTool = Type.Object({
  type: Type.Literal("function"),
  name: Type.String(),
  description: Nullable(Type.String()),
  parameters: Nullable(Type.Object({}, open)),
  strict: Nullable(Type.Boolean()),
  output_schema: Type.Optional(Nullable(Type.Object({}, open))),
  defer_loading: Type.Optional(Type.Boolean()),
  allowed_callers: Type.Optional(Nullable(Type.Array(Type.String()))),
});

/** A custom tool as the response echoes it (OpenAI's `CustomToolParam`). */
export const EchoedCustomTool = Type.Object({
  type: Type.Literal("custom"),
  name: Type.String(),
  description: Type.Optional(Type.String()),
  format: Type.Object({ type: Type.String() }, open),
  defer_loading: Type.Optional(Type.Boolean()),
  allowed_callers: Type.Optional(Nullable(Type.Array(Type.String()))),
});

/** A namespace of the client's function and custom tools, as the response echoes it (OpenAI's `NamespaceToolParam`). */
export const EchoedNamespaceTool = Type.Object({
  type: Type.Literal("namespace"),
  name: Type.String(),
  description: Type.String(),
  tools: Type.Array(Type.Union([EchoedFunctionTool, EchoedCustomTool])),
});

export const EchoedTool = Type.Union([EchoedFunctionTool, EchoedCustomTool, EchoedNamespaceTool]);
export type EchoedTool = Static<typeof EchoedTool>;

export const ResponseStatus = Type.Union([
  Type.Literal("completed"),
  Type.Literal("incomplete"),
  Type.Literal("in_progress"),
  Type.Literal("failed"),
  Type.Literal("queued"),
  Type.Literal("cancelled"),
]);
export type ResponseStatus = Static<typeof ResponseStatus>;

export const ResponseObject = Type.Object(
  {
    id: Type.String({ examples: ["resp_4f2c1e0b8a9d4b6c0e1f2a3b"] }),
    object: Type.Literal("response"),
    created_at: Type.Integer(),
    status: ResponseStatus,
    completed_at: Type.Optional(Nullable(Type.Integer())),
    error: Nullable(Type.Object({ code: Type.String(), message: Type.String() })),
    incomplete_details: Nullable(
      Type.Object({ reason: Type.Union([Type.Literal("max_output_tokens"), Type.Literal("content_filter")]) }),
    ),
    instructions: Nullable(Type.String()),
    max_output_tokens: Nullable(Type.Integer()),
    model: Type.String(),
    output: Type.Array(OutputItem),
    parallel_tool_calls: Type.Boolean(),
    previous_response_id: Nullable(Type.String()),
    reasoning: Type.Object({ effort: Nullable(Type.String()), summary: Nullable(Type.String()) }),
    store: Type.Boolean(),
    temperature: Nullable(Type.Number()),
    text: Type.Object({ format: Type.Object({ type: Type.String() }, open), verbosity: Type.Optional(Type.String()) }),
    tool_choice: Type.Unknown(),
    tools: Type.Array(EchoedTool),
    top_p: Nullable(Type.Number()),
    truncation: Type.Union([Type.Literal("auto"), Type.Literal("disabled")]),
    usage: Type.Optional(ResponseUsage),
    user: Type.Optional(Type.String()),
    top_logprobs: Type.Optional(Type.Integer()),
    background: Type.Optional(Type.Boolean()),
    // Echoed when the request set them (`service_tier`: the tier used, as OpenAI's Response says it).
    prompt_cache_key: Type.Optional(Type.String()),
    prompt_cache_retention: Type.Optional(Type.String()),
    safety_identifier: Type.Optional(Type.String()),
    service_tier: Type.Optional(Type.String()),
    max_tool_calls: Type.Optional(Type.Integer()),
    conversation: Type.Optional(Type.Object({ id: Type.String() }, { description: "the conversation (Conversations API) the response belongs to" })),
    metadata: Type.Record(Type.String(), Type.String()),
  },
  { description: "OpenAI's `Response` object" },
);
export type ResponseObject = Static<typeof ResponseObject>;

/** `POST /v1/responses/compact` (OpenAI's `CompactResource`): the user's messages, then one compaction item. */
export const CompactedResponse = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("response.compaction"),
    created_at: Type.Integer(),
    output: Type.Array(Type.Union([Type.Object({ id: Type.String(), type: Type.Literal("message"), role: Type.Literal("user"), status: Type.String(), content: Type.Array(Type.Unknown()) }), CompactionItem])),
    usage: ResponseUsage,
  },
  { description: "OpenAI's `CompactResource`" },
);
export type CompactedResponse = Static<typeof CompactedResponse>;

/** An input item as stored and listed by `input_items` (OpenAI's `ItemResource`): always with an `id`. */
export const InputItemResource = Type.Object(
  { id: Type.String(), type: Type.String() },
  { ...open, description: "A message, function_call, function_call_output, custom_tool_call, custom_tool_call_output or reasoning item" },
);
export type InputItemResource = Static<typeof InputItemResource> & Record<string, unknown>;

export const ResponseItemList = Type.Object({
  object: Type.Literal("list"),
  data: Type.Array(InputItemResource),
  first_id: Type.String(),
  last_id: Type.String(),
  has_more: Type.Boolean(),
});
export type ResponseItemList = Static<typeof ResponseItemList>;

export const DeletedResponse = Type.Object({
  id: Type.String(),
  object: Type.Literal("response"),
  deleted: Type.Literal(true),
});

/** `POST /v1/responses/input_tokens` (OpenAI's `TokenCountsResource`). */
export const InputTokenCount = Type.Object({
  object: Type.Literal("response.input_tokens"),
  input_tokens: Type.Integer({ minimum: 0 }),
});
