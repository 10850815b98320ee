import type { MappedError } from "../../error-response.ts";
import type { TokenUsage } from "../../pipeline/outcome.ts";
import type { Usage } from "../../schemas/common.ts";
import { echoCustomTool } from "./custom-tools.ts";
import { conversationIdOf } from "./conversation-param.ts";
import type { ResponsesRequest } from "./request-schema.ts";
import type { EchoedTool, OutputItem, ResponseObject, ResponseStatus, ResponseUsage } from "./response-schema.ts";

/** Everything of a Response that the request decides: the same in `response.created` and in the answer. */
export type ResponseFrame = Omit<ResponseObject, "status" | "output" | "usage" | "completed_at" | "error" | "incomplete_details">;

/** The request's settings echoed as OpenAI does (defaults filled in, tools in their full form). */
export function responseFrame(request: ResponsesRequest, id: string, createdAt: number): ResponseFrame {
  const frame: ResponseFrame = {
    id,
    object: "response",
    created_at: createdAt,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    model: request.model,
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    reasoning: { effort: request.reasoning?.effort ?? null, summary: request.reasoning?.summary ?? null },
    store: request.store !== false,
    temperature: request.temperature ?? null,
    text: request.text?.verbosity != null ? { format: request.text.format ?? { type: "text" }, verbosity: request.text.verbosity } : { format: request.text?.format ?? { type: "text" } },
    tool_choice: request.tool_choice ?? "auto",
    tools: (request.tools ?? []).map(echoTool),
    top_p: request.top_p ?? null,
    truncation: request.truncation ?? "disabled",
    metadata: request.metadata ?? {},
  };
  if (request.user !== undefined) frame.user = request.user;
  if (request.top_logprobs != null) frame.top_logprobs = request.top_logprobs;
  if (request.background === true) frame.background = true;
  if (request.prompt_cache_key != null) frame.prompt_cache_key = request.prompt_cache_key;
  if (request.prompt_cache_retention != null) frame.prompt_cache_retention = request.prompt_cache_retention;
  if (request.safety_identifier != null) frame.safety_identifier = request.safety_identifier;
  if (request.service_tier != null) frame.service_tier = request.service_tier;
  if (request.max_tool_calls != null) frame.max_tool_calls = request.max_tool_calls;
  if (request.conversation != null) frame.conversation = { id: conversationIdOf(request.conversation) };
  return frame;
}

/** Tools as a Response echoes them (what its calls are read against: a custom tool's, a namespace's). */
export const echoTools = (tools: readonly NonNullable<ResponsesRequest["tools"]>[number][]): EchoedTool[] => tools.map(echoTool);

// Only function, custom and namespace tools pass to-chat-request.
const echoTool = (tool: NonNullable<ResponsesRequest["tools"]>[number]): EchoedTool =>
  tool.type === "namespace"
    ? { type: "namespace", name: tool.name ?? "", description: tool.description ?? "", tools: (tool.tools ?? []).map(echoMember) }
    : echoMember(tool);

const echoMember = (tool: Omit<NonNullable<ResponsesRequest["tools"]>[number], "tools">): Exclude<EchoedTool, { type: "namespace" }> =>
  tool.type === "custom"
    ? withCallers(tool, echoCustomTool(tool) as Exclude<EchoedTool, { type: "namespace" }>)
    : withCallers(tool, {
        type: "function",
        name: tool.name ?? "",
        description: tool.description ?? null,
        parameters: tool.parameters ?? null,
        strict: tool.strict ?? null,
        ...(tool.output_schema !== undefined ? { output_schema: tool.output_schema } : {}),
      });

/** `defer_loading` and `allowed_callers` echoed as sent (only what the model may call directly gets this far). */
function withCallers<T extends Exclude<EchoedTool, { type: "namespace" }>>(tool: Pick<NonNullable<ResponsesRequest["tools"]>[number], "defer_loading" | "allowed_callers">, echoed: T): T {
  if (tool.defer_loading !== undefined) echoed.defer_loading = tool.defer_loading;
  if (tool.allowed_callers !== undefined) echoed.allowed_callers = tool.allowed_callers;
  return echoed;
}

/** The status a chat finish reason gives (OpenAI: `incomplete` with the reason when the model was cut). */
export function statusOf(finishReason: string | null | undefined): Pick<ResponseObject, "status" | "incomplete_details"> {
  switch (finishReason) {
    case "length":
      return { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } };
    case "content_filter":
      return { status: "incomplete", incomplete_details: { reason: "content_filter" } };
    default:
      return { status: "completed", incomplete_details: null };
  }
}

/** Usage in the Responses form: the pipeline's counts, with the provider's cached-token figure. */
export function responseUsage(tokens: TokenUsage, reported: Usage | null | undefined): ResponseUsage {
  return {
    input_tokens: tokens.input,
    input_tokens_details: { cached_tokens: reported?.prompt_tokens_details?.cached_tokens ?? 0, cache_write_tokens: 0 },
    output_tokens: tokens.output,
    output_tokens_details: { reasoning_tokens: tokens.reasoning },
    total_tokens: tokens.input + tokens.output,
  };
}

/** A response not yet answered: `queued` (a background response's create), or `in_progress` (a stream's first events, a running background response). */
export function pendingResponse(frame: ResponseFrame, status: "queued" | "in_progress"): ResponseObject {
  // OpenAI's document has no `usage: null` here: the field is left out until the end.
  return { ...frame, status, completed_at: null, error: null, incomplete_details: null, output: [] };
}

/** The error code a cancelled background response's call fails with (its abort reason's). */
export const CANCELLED_CODE = "response_cancelled";

/**
 * A response that ended in a failure: `cancelled` when the failure is its cancel (a background
 * response), else `failed` with OpenAI's error code and the error's message. OpenAI's
 * ResponseErrorCode has no gateway codes: a rate limit is `rate_limit_exceeded`, a request the
 * provider refused (a 4xx: an input it cannot take, found only once the call ran, as in background
 * mode) `invalid_prompt`, anything else `server_error`.
 */
export function failedResponse(frame: ResponseFrame, mapped: MappedError, output: OutputItem[], now: number): ResponseObject {
  if (mapped.body.error.code === CANCELLED_CODE) return finishedResponse(frame, { status: "cancelled", incomplete_details: null }, output, undefined, now);
  const code = mapped.status === 429 ? "rate_limit_exceeded" : mapped.status >= 400 && mapped.status < 500 ? "invalid_prompt" : "server_error";
  return finishedResponse(frame, { status: "failed", incomplete_details: null, error: { code, message: mapped.body.error.message } }, output, undefined, now);
}

/** A finished response: the frame, the output and how it ended. */
export function finishedResponse(
  frame: ResponseFrame,
  ended: Pick<ResponseObject, "status" | "incomplete_details"> & { error?: ResponseObject["error"] },
  output: OutputItem[],
  usage: ResponseUsage | undefined,
  now: number,
  tier?: string,
): ResponseObject {
  const status: ResponseStatus = ended.status;
  // Field by field rather than spreading the frame: one object shape, no property copy loop.
  const response: ResponseObject = {
    id: frame.id,
    object: frame.object,
    created_at: frame.created_at,
    status,
    completed_at: status === "completed" ? now : null,
    error: ended.error ?? null,
    incomplete_details: ended.incomplete_details,
    instructions: frame.instructions,
    max_output_tokens: frame.max_output_tokens,
    model: frame.model,
    output,
    parallel_tool_calls: frame.parallel_tool_calls,
    previous_response_id: frame.previous_response_id,
    reasoning: frame.reasoning,
    store: frame.store,
    temperature: frame.temperature,
    text: frame.text,
    tool_choice: frame.tool_choice,
    tools: frame.tools,
    top_p: frame.top_p,
    truncation: frame.truncation,
    usage,
    user: frame.user,
    top_logprobs: frame.top_logprobs,
    background: frame.background,
    prompt_cache_key: frame.prompt_cache_key,
    prompt_cache_retention: frame.prompt_cache_retention,
    safety_identifier: frame.safety_identifier,
    // The tier used, as OpenAI's Response says it: the provider's when it said one of OpenAI's (asked
    // for or not; Groq's `on_demand` is none), else the one tier other providers have when one was asked for.
    service_tier: tier !== undefined && OPENAI_TIERS.has(tier) ? tier : frame.service_tier === undefined ? undefined : "default",
    max_tool_calls: frame.max_tool_calls,
    conversation: frame.conversation,
    metadata: frame.metadata,
  };
  return response;
}

/** OpenAI's `ServiceTierResponses` values (its document's enum), the only ones a Response may say. */
const OPENAI_TIERS: ReadonlySet<string> = new Set(["auto", "default", "flex", "scale", "priority", "fast", "ultrafast"]);

/** The service tier the provider says it used (OpenAI's `service_tier`), if it said. */
export const tierOf = (answer: object): string | undefined => {
  const tier = (answer as { service_tier?: unknown }).service_tier;
  return typeof tier === "string" ? tier : undefined;
};
