import { InvalidRequestError } from "../../errors.ts";
import { Type, type Static } from "@sinclair/typebox";
import { Nullable, open } from "../../schemas/common.ts";
import { ReasoningEffort } from "../../schemas/chat.ts";

// OpenAI's `CreateResponse` (openapi.json), the fields Ollaix acts on. Every object accepts unknown
// fields (the contract: they are ignored). Unions of objects are written as one object with the
// discriminator as a string, so a validation error names the exact field (`input[2].call_id`); the
// per-type rules live in input-rules.ts, which names the same paths.

/** A content part of an input message: `input_text`, `input_image`, `input_file`, `output_text`, `refusal`, … */
export const ResponsesContentPart = Type.Object(
  {
    type: Type.String({ description: "input_text, input_image, input_file, output_text or refusal" }),
    text: Type.Optional(Type.String()),
    image_url: Type.Optional(Nullable(Type.String({ description: "http(s) URL or `data:` URL" }))),
    file_id: Type.Optional(Nullable(Type.String())),
    file_data: Type.Optional(
      Nullable(Type.String({ description: "input_file: the file as a `data:` URL (`data:application/pdf;base64,…`), or base64 with a `filename` whose extension gives its type" })),
    ),
    filename: Type.Optional(Nullable(Type.String())),
    file_url: Type.Optional(Nullable(Type.String({ description: "input_file: an http(s) URL the gateway fetches (with the image loader's address guard, 32 MiB at most)" }))),
    // OpenAI's DetailEnum (nullable here): `original` asks for no downscaling at all.
    detail: Type.Optional(Nullable(Type.Union([Type.Literal("auto"), Type.Literal("low"), Type.Literal("high"), Type.Literal("original")]))),
    // Nullable: the Agents SDK copies a chat answer's `refusal: null` into its output_text parts.
    refusal: Type.Optional(Nullable(Type.String())),
    prompt_cache_breakpoint: Type.Optional(
      Nullable(Type.Object({ mode: Type.Literal("explicit") }, { ...open, description: "input_text: the end of a reusable prompt prefix (`prompt_cache_options.mode: \"explicit\"`); reaches an OpenAI-compatible upstream on the chat text part" })),
    ),
  },
  open,
);
export type ResponsesContentPart = Static<typeof ResponsesContentPart>;

export const SummaryPart = Type.Object({ type: Type.String(), text: Type.String() }, open);

/** A custom tool's input format: free-form text, or text a grammar (Lark or a regular expression) describes. */
export const CustomToolFormat = Type.Object(
  {
    type: Type.Union([Type.Literal("text"), Type.Literal("grammar")]),
    syntax: Type.Optional(Type.Union([Type.Literal("lark"), Type.Literal("regex")])),
    definition: Type.Optional(Type.String()),
  },
  { ...open, description: "a custom tool's input format (the model is told the grammar; chat providers cannot enforce it)" },
);

/**
 * A tool: `function` and `custom` run (the client executes them); any other type (web_search,
 * file_search, mcp, …) is a 400 naming `tools[i].type`.
 */
const toolFields = {
  type: Type.String({ description: "function, custom or namespace; built-in tool types are refused" }),
  name: Type.Optional(Type.String({ minLength: 1 })),
  description: Type.Optional(Nullable(Type.String())),
  parameters: Type.Optional(Nullable(Type.Object({}, open))),
  strict: Type.Optional(Nullable(Type.Boolean())),
  format: Type.Optional(CustomToolFormat),
  output_schema: Type.Optional(Nullable(Type.Object({}, { ...open, description: "the JSON a function's string outputs hold: echoed, not sent to the model" }))),
  defer_loading: Type.Optional(Type.Boolean({ description: "true needs tool search, which this gateway cannot run: refused" })),
  allowed_callers: Type.Optional(
    Nullable(Type.Array(Type.Union([Type.Literal("direct"), Type.Literal("programmatic")]), { minItems: 1, description: "must include direct (the model's own calls); programmatic calling cannot run here" })),
  ),
};

export const ResponsesTool = Type.Object(
  {
    ...toolFields,
    /** A namespace's function and custom tools. */
    tools: Type.Optional(Type.Array(Type.Object(toolFields, open))),
  },
  open,
);
export type ResponsesTool = Static<typeof ResponsesTool>;

/**
 * One input item: a message (with or without `type`), `item_reference`, `function_call`,
 * `function_call_output`, `custom_tool_call`, `custom_tool_call_output`, `reasoning` or `compaction`.
 */
export const ResponsesInputItem = Type.Object(
  {
    type: Type.Optional(
      Nullable(
        Type.String({
          description:
            "message (the default when role is set), item_reference (the default when only id is set), function_call, function_call_output, custom_tool_call, custom_tool_call_output, reasoning, additional_tools (role developer: its tools join the request's), compaction (one this gateway made), compaction_trigger (last: the response is the conversation's compaction)",
        }),
      ),
    ),
    id: Type.Optional(Nullable(Type.String())),
    // OpenAI's item statuses (messages, calls, outputs, reasoning).
    status: Type.Optional(Nullable(Type.Union([Type.Literal("in_progress"), Type.Literal("completed"), Type.Literal("incomplete")]))),
    role: Type.Optional(
      Type.Union([Type.Literal("user"), Type.Literal("system"), Type.Literal("developer"), Type.Literal("assistant")]),
    ),
    // Nullable: Codex sends its reasoning items back with `content: null` when they hold no reasoning text.
    content: Type.Optional(Nullable(Type.Union([Type.String(), Type.Array(ResponsesContentPart)]))),
    call_id: Type.Optional(Type.String({ minLength: 1 })),
    /** An `additional_tools` item's tools (OpenAI's AdditionalToolsItemParam): available from it on. */
    tools: Type.Optional(Type.Array(ResponsesTool)),
    name: Type.Optional(Type.String()),
    /** A call's namespace, for a tool of a namespace. */
    namespace: Type.Optional(Nullable(Type.String())),
    arguments: Type.Optional(Type.String()),
    input: Type.Optional(Type.String({ description: "a custom_tool_call's input" })),
    output: Type.Optional(Type.Union([Type.String(), Type.Array(ResponsesContentPart)])),
    summary: Type.Optional(Type.Array(SummaryPart)),
    encrypted_content: Type.Optional(Nullable(Type.String())),
  },
  open,
);
export type ResponsesInputItem = Static<typeof ResponsesInputItem>;


export const ResponsesToolChoice = Type.Union([
  Type.Union([Type.Literal("none"), Type.Literal("auto"), Type.Literal("required")]),
  Type.Object(
    {
      type: Type.String({ description: "function, custom or allowed_tools" }),
      name: Type.Optional(Type.String()),
      mode: Type.Optional(Type.Union([Type.Literal("auto"), Type.Literal("required")])),
      tools: Type.Optional(Type.Array(Type.Object({ type: Type.String(), name: Type.Optional(Type.String()) }, open))),
    },
    open,
  ),
]);
export type ResponsesToolChoice = Static<typeof ResponsesToolChoice>;

export const ResponsesTextFormat = Type.Object(
  {
    type: Type.Union([Type.Literal("text"), Type.Literal("json_object"), Type.Literal("json_schema")]),
    name: Type.Optional(Type.String({ minLength: 1 })),
    description: Type.Optional(Type.String()),
    schema: Type.Optional(Type.Object({}, open)),
    strict: Type.Optional(Nullable(Type.Boolean())),
  },
  open,
);
export type ResponsesTextFormat = Static<typeof ResponsesTextFormat>;

/** OpenAI's IncludeEnum: what `include` (in a create's body, or a read's query) may name. */
export const INCLUDE_VALUES = [
  "file_search_call.results",
  "web_search_call.results",
  "web_search_call.action.sources",
  "message.input_image.image_url",
  "computer_call_output.output.image_url",
  "code_interpreter_call.outputs",
  "reasoning.encrypted_content",
  "message.output_text.logprobs",
] as const;

/** A read's `include` query (`include=…` or `include[]=…`, repeated): each value OpenAI's, else its 400. Nothing it names changes what is read here. */
export function assertIncludeQuery(url: string): readonly string[] {
  const query = url.indexOf("?");
  if (query < 0) return [];
  const params = new URLSearchParams(url.slice(query + 1));
  const values = [...params.getAll("include"), ...params.getAll("include[]")];
  for (const value of values) {
    if (!(INCLUDE_VALUES as readonly string[]).includes(value)) {
      throw new InvalidRequestError(`Invalid 'include': ${JSON.stringify(value)} is not one of ${INCLUDE_VALUES.map((v) => JSON.stringify(v)).join(", ")}.`, { param: "include" });
    }
  }
  return values;
}

/** OpenAI's values of `reasoning.summary` (and the deprecated `generate_summary`). */
const SummaryMode = Type.Union([Type.Literal("auto"), Type.Literal("concise"), Type.Literal("detailed")]);

export const ResponsesRequest = Type.Object(
  {
    model: Type.String({ minLength: 1, examples: ["dummy-model:1.0"] }),
    input: Type.Optional(Type.Union([Type.String(), Type.Array(ResponsesInputItem)])),
    instructions: Type.Optional(Nullable(Type.String())),
    tools: Type.Optional(Type.Array(ResponsesTool)),
    tool_choice: Type.Optional(ResponsesToolChoice),
    parallel_tool_calls: Type.Optional(Nullable(Type.Boolean())),
    text: Type.Optional(
      Nullable(
        Type.Object(
          {
            format: Type.Optional(ResponsesTextFormat),
            verbosity: Type.Optional(Nullable(Type.Union([Type.Literal("low"), Type.Literal("medium"), Type.Literal("high")], { description: "the chat request's verbosity (OpenAI's GPT-5 models read it; others ignore it)" }))),
          },
          open,
        ),
      ),
    ),
    reasoning: Type.Optional(
      Nullable(
        Type.Object(
          {
            effort: Type.Optional(Nullable(ReasoningEffort)),
            // OpenAI's enum: the Response echoes it, and must validate.
            summary: Type.Optional(Nullable(SummaryMode)),
            generate_summary: Type.Optional(Nullable(SummaryMode)),
            // Which earlier turns' reasoning the model reads again: `current_turn` drops it before the last user message.
            context: Type.Optional(Nullable(Type.Union([Type.Literal("auto"), Type.Literal("current_turn"), Type.Literal("all_turns")]))),
            mode: Type.Optional(Nullable(Type.String())),
          },
          open,
        ),
      ),
    ),
    // OpenAI's document: "max_output_tokens: … minimum: 16".
    // At most a 32-bit integer, as OpenAI's API takes (1e23 is an integer to JSON, and reached upstreams as a float literal).
    max_output_tokens: Type.Optional(Nullable(Type.Integer({ minimum: 16, maximum: 2_147_483_647 }))),
    temperature: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 2 }))),
    top_p: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 1 }))),
    metadata: Type.Optional(
      Nullable(Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 512 }), { maxProperties: 16 })),
    ),
    user: Type.Optional(Type.String()),
    prompt_cache_key: Type.Optional(Nullable(Type.String({ description: "reaches an OpenAI-compatible upstream as sent (OpenAI routes prompt caching by it); others ignore it" }))),
    prompt_cache_retention: Type.Optional(
      Nullable(Type.Union([Type.Literal("in_memory"), Type.Literal("24h")], { description: "reaches an OpenAI-compatible upstream as sent; others ignore it" })),
    ),
    prompt_cache_options: Type.Optional(
      Nullable(
        Type.Object(
          {
            // OpenAI's PromptCacheTTLEnum and PromptCacheModeEnum.
            ttl: Type.Optional(Nullable(Type.Literal("30m"))),
            mode: Type.Optional(Nullable(Type.Union([Type.Literal("implicit"), Type.Literal("explicit")]))),
          },
          { ...open, description: "reaches an OpenAI-compatible upstream as sent; others ignore it" },
        ),
      ),
    ),
    // OpenAI's document: `maxLength: 64`, and ServiceTierResponses' values.
    safety_identifier: Type.Optional(Nullable(Type.String({ maxLength: 64, description: "reaches an OpenAI-compatible upstream as sent; others ignore it" }))),
    service_tier: Type.Optional(
      Nullable(
        Type.Union(["auto", "default", "flex", "scale", "priority", "fast", "ultrafast"].map((tier) => Type.Literal(tier)), {
          description: "reaches an OpenAI-compatible upstream as sent (OpenAI's flex and priority tiers); others ignore it. The Response says the tier used: the upstream's, else `default`",
        }),
      ),
    ),
    max_tool_calls: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 2_147_483_647, description: "a limit on built-in tool calls, of which none run here: echoed in the Response" }))),
    store: Type.Optional(Nullable(Type.Boolean({ description: "default true: kept RESPONSES_TTL_S for GET and previous_response_id" }))),
    stream: Type.Optional(Nullable(Type.Boolean())),
    background: Type.Optional(
      Nullable(
        Type.Boolean({
          description:
            "runs without its client: answered `queued` (or with its stream) once the call reaches the provider, polled with GET, stopped with POST …/cancel; needs `store`",
        }),
      ),
    ),
    include: Type.Optional(
      Nullable(
        Type.Array(
          // OpenAI's IncludeEnum: another value is a 400, as OpenAI answers it.
          Type.Union(INCLUDE_VALUES.map((value) => Type.Literal(value))),
          {
            description:
              "`message.output_text.logprobs` asks the provider for the output text's log probabilities (with `top_logprobs`); `reasoning.encrypted_content` seals the thinking in reasoning items; the other values name outputs of tools this gateway does not run, and change nothing",
          },
        ),
      ),
    ),
    top_logprobs: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 20 }))),
    background_options: Type.Optional(
      Nullable(
        Type.Object(
          {
            completion_window: Type.Optional(
              Nullable(
                Type.Union([Type.Literal("soonest"), Type.Literal("2h"), Type.Literal("8h")], {
                  description: "OpenAI's discounted windows `2h` and `8h` need `background` and no `stream`; every window runs at once here",
                }),
              ),
            ),
            continuation_id: Type.Optional(Nullable(Type.String({ description: "accepted; OpenAI uses it only to prioritise related requests" }))),
          },
          open,
        ),
      ),
    ),
    truncation: Type.Optional(
      Nullable(
        Type.Union([Type.Literal("auto"), Type.Literal("disabled")], {
          description:
            "`auto`: when the model's context length is known and the input would not fit it (with `max_output_tokens`), the oldest items are dropped (instructions stay) until it does",
        }),
      ),
    ),
    previous_response_id: Type.Optional(Nullable(Type.String({ minLength: 1 }))),
    conversation: Type.Optional(
      Nullable(
        Type.Union([Type.String({ minLength: 1 }), Type.Object({ id: Type.String({ minLength: 1 }) }, open)], {
          description:
            "a conversation of the Conversations API (`conv_…`, or `{id}`): its items come before the input, and the input and output are added to it once answered; not with previous_response_id",
        }),
      ),
    ),
    prompt: Type.Optional(Type.Unknown({ description: "not supported: a prompt template kept at OpenAI is a 400" })),
  },
  {
    ...open,
    description: "OpenAI Responses request (`CreateResponse`). Unknown fields are accepted and ignored.",
  },
);
export type ResponsesRequest = Static<typeof ResponsesRequest>;

/**
 * `POST /v1/responses/input_tokens` (OpenAI's `TokenCountsBody`): what of a request reaches the
 * model's input, each field nullable (null is leaving it out). `model` stays required, unlike
 * OpenAI's (which counts for a default model): the count is the model's provider's, where it has a
 * counter.
 */
const counted = ResponsesRequest.properties;
export const ResponsesInputTokensRequest = Type.Object(
  {
    model: counted.model,
    input: Type.Optional(Nullable(Type.Union([Type.String(), Type.Array(ResponsesInputItem)]))),
    instructions: counted.instructions,
    tools: Type.Optional(Nullable(Type.Array(ResponsesTool))),
    tool_choice: Type.Optional(Nullable(ResponsesToolChoice)),
    parallel_tool_calls: counted.parallel_tool_calls,
    text: counted.text,
    reasoning: counted.reasoning,
    truncation: counted.truncation,
    previous_response_id: counted.previous_response_id,
    conversation: counted.conversation,
  },
  { ...open, description: "What a Responses request would send the model, counted (`TokenCountsBody`). Unknown fields are accepted and ignored." },
);
export type ResponsesInputTokensRequest = Static<typeof ResponsesInputTokensRequest>;

/** The counted fields of a checked body that are set (not null), as the create request's converters read them; nothing else of the body. */
export function countedFields(body: ResponsesInputTokensRequest): ResponsesRequest {
  const fields: Record<string, unknown> = {};
  for (const key in ResponsesInputTokensRequest.properties) {
    const value = (body as Record<string, unknown>)[key];
    if (value !== null && value !== undefined) fields[key] = value;
  }
  return fields as ResponsesRequest;
}

/**
 * `POST /v1/responses/compact` (OpenAI's `CompactResponseMethodPublicBody`): the conversation to
 * compact, as a create request gives it. Codex sends its turn's `tools`, `parallel_tool_calls`,
 * `reasoning` and `text` too: the tools and the effort reach the provider (the model reads the
 * conversation's calls against their tools, and is told to call none); `text` is accepted and
 * ignored, as any unknown field (a summary is free text).
 */
export const ResponsesCompactRequest = Type.Object(
  {
    model: counted.model,
    input: Type.Optional(Nullable(Type.Union([Type.String(), Type.Array(ResponsesInputItem)]))),
    instructions: counted.instructions,
    previous_response_id: counted.previous_response_id,
    tools: Type.Optional(Nullable(Type.Array(ResponsesTool))),
    parallel_tool_calls: counted.parallel_tool_calls,
    reasoning: counted.reasoning,
    // The compact body's own limits (CompactResponseMethodPublicBody): a 64-character cache key, ServiceTierEnum's tiers.
    prompt_cache_key: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
    prompt_cache_retention: counted.prompt_cache_retention,
    prompt_cache_options: counted.prompt_cache_options,
    safety_identifier: counted.safety_identifier,
    service_tier: Type.Optional(Nullable(Type.Union(["auto", "default", "fast", "flex", "priority"].map((tier) => Type.Literal(tier))))),
  },
  {
    ...open,
    description:
      "A conversation to compact (`CompactResponseMethodPublicBody`): the model summarises it, and the answer is its user messages and one compaction item to send as the next request's input. Unknown fields are accepted and ignored.",
  },
);
export type ResponsesCompactRequest = Static<typeof ResponsesCompactRequest>;
