/**
 * The fuzz suite's surfaces beyond OpenAI Chat/embeddings/models: OpenAI Responses, Anthropic
 * Messages and Ollama's API, each with valid bodies to mutate, its contract's statuses and its own
 * envelope and framing checks (tests/helpers/fuzz-envelopes.ts). All on `dummy-model:1.0`.
 */
import fc from "fast-check";
import { checkOpenAIError, type FuzzSurface } from "./fuzz.ts";
import { checkAnthropicError, checkAnthropicSse, checkAnthropicStatus, checkNdjson, checkOllamaError, checkResponsesSse, jsonAnswer } from "./fuzz-envelopes.ts";
import { validateOpenAI, type OpenAISchemaName } from "./openai-schema.ts";
import { sealSummary } from "../../src/surfaces/openai-responses/compaction.ts";

const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const MODEL = "dummy-model:1.0";
/** The contract's refusals in this set-up (dummy only: no upstream, no limits). */
const OPENAI = [400, 401, 404, 413, 508];
const ANTHROPIC = [400, 401, 404, 413, 508];
const OLLAMA = [400, 401, 404, 413, 508];

export interface SurfaceContext {
  key: string;
  /** Ids of stored responses (filled before the run): GET and input_items read them, DELETE removes them. */
  stored: string[];
  /** A conversation made before the run, that Responses requests are made in. */
  conversation?: string;
}

const schema = (name: OpenAISchemaName) =>
  jsonAnswer((value) => {
    const errors = validateOpenAI(name, value);
    return errors.length > 0 ? `not a valid ${name}: ${errors.slice(0, 3).join("; ")}` : undefined;
  });

const sseOr = (sse: (r: Response, t: string) => string | undefined, json: (r: Response, t: string) => string | undefined) => (response: Response, text: string) =>
  response.headers.get("content-type")?.startsWith("text/event-stream") ? sse(response, text) : json(response, text);

/** An Anthropic message, streamed or as JSON. */
const anthropicMessage = sseOr(
  checkAnthropicSse,
  jsonAnswer((v) => (v.type === "message" && v.role === "assistant" && Array.isArray(v.content) && /^msg_/.test(String(v.id)) ? undefined : "not a message")),
);

const ndjsonOr = (line: (value: Record<string, unknown>) => string | undefined) => (response: Response, text: string) =>
  response.headers.get("content-type") === "application/x-ndjson" ? checkNdjson(response, text, line) : jsonAnswer((value) => (value.done === true ? line(value) : `done ${value.done}`))(response, text);

const responsesBody = (ctx: SurfaceContext, stream: boolean) => () => ({
  model: MODEL,
  instructions: "Be terse.",
  input: [
    { role: "developer", content: "Answer in English." },
    { role: "user", content: [{ type: "input_text", text: "Describe this." }, { type: "input_image", image_url: `data:image/png;base64,${PNG}`, detail: "low" }] },
    { type: "function_call", call_id: "call_1", name: "look", arguments: "{\"x\":1}" },
    { type: "function_call_output", call_id: "call_1", output: "a cat" },
    { role: "assistant", content: [{ type: "output_text", text: "A cat." }] },
    { role: "user", content: "So?" },
  ],
  tools: [{ type: "function", name: "look", description: "Looks", parameters: { type: "object", properties: { x: { type: "integer" } } } }],
  tool_choice: "auto",
  parallel_tool_calls: true,
  text: { format: { type: "json_schema", name: "out", schema: { type: "object" } } },
  reasoning: { effort: "low" },
  max_output_tokens: 64,
  temperature: 0.5,
  top_p: 0.9,
  metadata: { team: "fuzz" },
  user: "fuzz",
  store: true,
  stream,
  include: ["message.output_text.logprobs"],
  top_logprobs: 2,
  background_options: { completion_window: "soonest" },
  ...(ctx.stored.length > 0 ? { previous_response_id: ctx.stored[0] } : {}),
});

/** A request in the conversation the run made first (previous_response_id left out: the two exclude each other). */
const conversationBody = (ctx: SurfaceContext) => () => {
  const { previous_response_id: _previous, ...body } = responsesBody(ctx, false)() as ReturnType<ReturnType<typeof responsesBody>> & { previous_response_id?: string };
  return { ...body, conversation: ctx.conversation ?? "conv_none" };
};

/** A conversation with a compaction item of this gateway's making, for the compact endpoint, or ending with a compaction_trigger for a create. */
const compactionBody = (ctx: SurfaceContext, trigger: boolean) => () => {
  const body = responsesBody(ctx, trigger)();
  body.input = [...body.input, { type: "compaction", encrypted_content: sealSummary("Earlier: a cat was described.") }, ...(trigger ? [{ type: "compaction_trigger" }] : [])] as typeof body.input;
  return body;
};

const messagesBody = (stream: boolean | undefined) => () => ({
  model: MODEL,
  ...(stream === undefined ? {} : { max_tokens: 64, stream, stop_sequences: ["\n\n"], temperature: 0.5, top_p: 0.9, top_k: 40, metadata: { user_id: "fuzz" } }),
  system: [{ type: "text", text: "Be terse.", cache_control: { type: "ephemeral" } }],
  messages: [
    { role: "user", content: [{ type: "text", text: "Describe this." }, { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } }] },
    { role: "assistant", content: [{ type: "text", text: "Looking." }, { type: "tool_use", id: "toolu_01", name: "look", input: { x: 1 } }] },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_01", content: [{ type: "text", text: "a cat" }], is_error: false }] },
  ],
  tools: [{ name: "look", description: "Looks", input_schema: { type: "object", properties: { x: { type: "integer" } } } }],
  tool_choice: { type: "auto", disable_parallel_tool_use: false },
});

const ollamaOptions = () => ({ temperature: 0.5, top_p: 0.9, top_k: 40, num_predict: 12, stop: ["\n\n"], seed: 7, presence_penalty: 0, frequency_penalty: 0, num_ctx: 2048 });
const ollamaChatBody = (stream: boolean | undefined) => () => ({
  model: MODEL,
  messages: [
    { role: "system", content: "Be terse." },
    { role: "user", content: "Describe this.", images: [PNG] },
    { role: "assistant", content: "", thinking: "hmm", tool_calls: [{ function: { name: "look", arguments: { x: 1 } } }] },
    { role: "tool", content: "a cat", tool_name: "look" },
  ],
  tools: [{ type: "function", function: { name: "look", description: "Looks", parameters: { type: "object", properties: { x: { type: "integer" } } } } }],
  format: "json",
  think: false,
  options: ollamaOptions(),
  keep_alive: "5m",
  logprobs: true,
  top_logprobs: 2,
  ...(stream === undefined ? {} : { stream }),
});
const ollamaGenerateBody = (stream: boolean | undefined) => () => ({
  model: MODEL,
  prompt: "Describe this.",
  system: "Be terse.",
  images: [PNG],
  format: { type: "object", properties: { a: { type: "string" } } },
  think: false,
  options: ollamaOptions(),
  logprobs: true,
  ...(stream === undefined ? {} : { stream }),
});

const isString = (value: unknown) => typeof value === "string";
const chatLine = (line: Record<string, unknown>) => (isString(line.model) && isString(line.created_at) && typeof line.message === "object" ? undefined : "not a chat line");
const generateLine = (line: Record<string, unknown>) => (isString(line.model) && isString(line.created_at) && isString(line.response) ? undefined : "not a generate line");

/** Anthropic keys come as `x-api-key` too: sometimes the right one, sometimes junk, with the version headers. */
const anthropicHeaders = (key: string): fc.Arbitrary<Record<string, string>> =>
  fc.record(
    { "x-api-key": fc.constantFrom(key, "", "sk-ant-wrong", ` ${key} `), "anthropic-version": fc.constantFrom("2023-06-01", "", "1999-01-01"), "anthropic-beta": fc.constantFrom("prompt-caching-2024-07-31", "x,y") },
    { requiredKeys: [] },
  ) as fc.Arbitrary<Record<string, string>>;

const idPath = (ctx: SurfaceContext, suffix = "") =>
  fc.oneof(
    { weight: 3, arbitrary: fc.nat().map((i) => ctx.stored[i % Math.max(ctx.stored.length, 1)] ?? "resp_none") },
    { weight: 2, arbitrary: fc.constantFrom("resp_0", "nope", "__proto__", "constructor", "%00", "..%2f..%2fetc", "resp_" + "a".repeat(300), "msg_1") },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 40 }).map(encodeURIComponent).filter((id) => id !== "." && id !== "..") },
  ).chain((id) => (suffix === "?" ? fc.constantFrom("", "?order=asc", "?order=desc&limit=2", "?limit=0", "?limit=101", "?limit=x", "?order=sideways", "?after=item_0", "?after=&before=", "?include[]=x", "?__proto__[x]=1").map((q) => `/v1/responses/${id}/input_items${q}`) : fc.constant(`/v1/responses/${id}`)));

export function newSurfaces(ctx: SurfaceContext): { surface: FuzzSurface; runs: number }[] {
  const anthropic = { statuses: ANTHROPIC, checkError: (body: unknown, status: number) => checkAnthropicError(body) ?? checkAnthropicStatus(status, body), extraHeaders: anthropicHeaders(ctx.key) };
  const openai = { statuses: OPENAI, checkError: checkOpenAIError };
  const ollama = { statuses: OLLAMA, checkError: checkOllamaError };
  return [
    { runs: 900, surface: { name: "responses", method: "POST", path: "/v1/responses", validBody: responsesBody(ctx, false), ...openai, checkSuccess: sseOr(checkResponsesSse, schema("Response")) } },
    { runs: 700, surface: { name: "responses (stream)", method: "POST", path: "/v1/responses", validBody: responsesBody(ctx, true), ...openai, checkSuccess: sseOr(checkResponsesSse, schema("Response")) } },
    { runs: 400, surface: { name: "responses/input_tokens", method: "POST", path: "/v1/responses/input_tokens", validBody: responsesBody(ctx, false), ...openai, checkSuccess: schema("TokenCountsResource") } },
    { runs: 250, surface: { name: "responses/compact", method: "POST", path: "/v1/responses/compact", validBody: compactionBody(ctx, false), ...openai, checkSuccess: schema("CompactResource") } },
    { runs: 250, surface: { name: "responses (compaction_trigger)", method: "POST", path: "/v1/responses", validBody: compactionBody(ctx, true), ...openai, checkSuccess: sseOr(checkResponsesSse, schema("Response")) } },
    {
      runs: 250,
      surface: {
        name: "conversations",
        method: "POST",
        path: "/v1/conversations",
        validBody: () => ({ metadata: { team: "fuzz" }, items: responsesBody(ctx, false)().input }),
        ...openai,
        checkSuccess: schema("ConversationResource"),
      },
    },
    { runs: 250, surface: { name: "responses in a conversation", method: "POST", path: "/v1/responses", validBody: conversationBody(ctx), ...openai, checkSuccess: sseOr(checkResponsesSse, schema("Response")) } },
    { runs: 250, surface: { name: "responses/{id}", method: "GET", path: idPath(ctx), ...openai, checkSuccess: schema("Response") } },
    { runs: 250, surface: { name: "input_items", method: "GET", path: idPath(ctx, "?"), ...openai, checkSuccess: schema("ResponseItemList") } },
    {
      runs: 150,
      surface: {
        name: "DELETE responses",
        method: "DELETE",
        path: idPath(ctx),
        ...openai,
        checkSuccess: jsonAnswer((v) => (v.object === "response" && v.deleted === true && isString(v.id) ? undefined : "not a deletion")),
      },
    },
    {
      runs: 900,
      surface: {
        name: "messages",
        method: "POST",
        path: "/v1/messages",
        validBody: messagesBody(false),
        ...anthropic,
        checkSuccess: anthropicMessage,
      },
    },
    // A mutated body may have lost `stream: true`: a message then comes as JSON, rightly (as for the Responses surfaces).
    { runs: 700, surface: { name: "messages (stream)", method: "POST", path: "/v1/messages", validBody: messagesBody(true), ...anthropic, checkSuccess: anthropicMessage } },
    {
      runs: 500,
      surface: {
        name: "count_tokens",
        method: "POST",
        path: "/v1/messages/count_tokens",
        validBody: messagesBody(undefined),
        ...anthropic,
        checkSuccess: jsonAnswer((v) => (Object.keys(v).join() === "input_tokens" && Number.isInteger(v.input_tokens) ? undefined : "not a token count")),
      },
    },
    { runs: 700, surface: { name: "api/chat", method: "POST", path: "/api/chat", validBody: ollamaChatBody(undefined), ...ollama, checkSuccess: ndjsonOr(chatLine) } },
    { runs: 400, surface: { name: "api/chat (no stream)", method: "POST", path: "/api/chat", validBody: ollamaChatBody(false), ...ollama, checkSuccess: ndjsonOr(chatLine) } },
    { runs: 600, surface: { name: "api/generate", method: "POST", path: "/api/generate", validBody: ollamaGenerateBody(undefined), ...ollama, checkSuccess: ndjsonOr(generateLine) } },
    { runs: 300, surface: { name: "api/generate (no stream)", method: "POST", path: "/api/generate", validBody: ollamaGenerateBody(false), ...ollama, checkSuccess: ndjsonOr(generateLine) } },
    {
      runs: 400,
      surface: {
        name: "api/embed",
        method: "POST",
        path: "/api/embed",
        validBody: () => ({ model: MODEL, input: ["hello", "world"], truncate: true, dimensions: 8, keep_alive: 0, options: {} }),
        ...ollama,
        checkSuccess: jsonAnswer((v) => (Array.isArray(v.embeddings) && v.model !== undefined ? undefined : "not an embed answer")),
      },
    },
    {
      runs: 300,
      surface: {
        name: "api/embeddings",
        method: "POST",
        path: "/api/embeddings",
        validBody: () => ({ model: MODEL, prompt: "hello", options: {}, keep_alive: "1m" }),
        ...ollama,
        checkSuccess: jsonAnswer((v) => (Array.isArray(v.embedding) ? undefined : "not an embeddings answer")),
      },
    },
    {
      runs: 300,
      surface: {
        name: "api/show",
        method: "POST",
        path: "/api/show",
        validBody: () => ({ model: MODEL, verbose: true }),
        ...ollama,
        checkSuccess: jsonAnswer((v) => (Array.isArray(v.capabilities) && typeof v.details === "object" ? undefined : "not a show answer")),
      },
    },
    { runs: 150, surface: { name: "api/tags", method: "GET", path: "/api/tags", ...ollama, checkSuccess: jsonAnswer((v) => (Array.isArray(v.models) ? undefined : "not a tags answer")) } },
    {
      runs: 400,
      surface: {
        name: "unknown /api/*",
        method: "GET",
        methods: ["GET", "POST", "PUT", "DELETE", "PATCH"],
        path: fc.oneof(
          fc.constantFrom("/api", "/api/", "/api//tags", "/api/chat/x", "/api/tags/", "/api/TAGS", "/api/show/x", "/api/%", "/api/%2e%2e%2fetc", "/api/pull", "/api/blobs/sha256:x", "/api/__proto__", "/api/chat%00"),
          fc.array(fc.string({ maxLength: 10 }).map(encodeURIComponent), { minLength: 1, maxLength: 4 }).map((parts) => `/api/${parts.join("/")}`),
        ),
        validBody: ollamaChatBody(false),
        // 501: model management (pull, push, create, copy, delete, blobs) is not the gateway's job; 405: a known path with another method.
        statuses: [...OLLAMA, 405, 501],
        checkError: checkOllamaError,
        checkSuccess: jsonAnswer(() => undefined),
      },
    },
    {
      runs: 300,
      surface: {
        name: "unknown /v1/messages/*",
        method: "POST",
        methods: ["GET", "POST", "PUT", "DELETE"],
        path: fc.oneof(
          fc.constantFrom("/v1/messages/batches", "/v1/messages/", "/v1/messages/count_tokens/x", "/v1/messages/x/y", "/v1/messages/%", "/v1/messages/__proto__", "/v1/messages/msg_1"),
          fc.array(fc.string({ maxLength: 10 }).map(encodeURIComponent), { minLength: 1, maxLength: 3 }).map((parts) => `/v1/messages/${parts.join("/")}`),
        ),
        validBody: messagesBody(false),
        ...anthropic,
        // `/v1/messages/` is `/v1/messages` to the router (as `/v1/chat/completions/` is not: Elysia keeps a trailing slash only where a route ends in one).
        checkSuccess: (response, text) => (new URL(response.url).pathname === "/v1/messages/" ? undefined : `a 2xx on a path Anthropic's API does not have: ${text.slice(0, 80)}`),
      },
    },
  ];
}
