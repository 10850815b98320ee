import { createChecker, randomId, Type, UpstreamError, type ChatResult, type ChunkResult, type EmbedResult, type ModelInfo } from "../../src/kit.ts";
import { STREAM_DONE } from "./client.ts";
import { errorFromPayload, type ErrorContext } from "./map-error.ts";
import { mapFinishReason } from "./map-finish-reason.ts";

/*
 * Upstream shapes, partial on purpose: they check only what this plugin reads, so the fields an
 * upstream adds (logprobs, system_fingerprint, service_tier, usage details, OpenRouter's provider)
 * pass through untouched instead of failing the parse.
 */
const open = { additionalProperties: true } as const;
const FinishReasonField = Type.Optional(Type.Union([Type.String(), Type.Null()]));

const UpstreamCompletion = Type.Object(
  {
    choices: Type.Array(
      Type.Object(
        { index: Type.Optional(Type.Integer()), message: Type.Object({}, open), finish_reason: FinishReasonField },
        open,
      ),
    ),
  },
  open,
);

const UpstreamChunk = Type.Object(
  {
    choices: Type.Array(
      Type.Object(
        { index: Type.Optional(Type.Integer()), delta: Type.Optional(Type.Object({}, open)), finish_reason: FinishReasonField },
        open,
      ),
    ),
  },
  open,
);

const UpstreamModelList = Type.Object(
  { data: Type.Array(Type.Object({ id: Type.String({ minLength: 1 }) }, open)) },
  open,
);

const UpstreamEmbeddings = Type.Object(
  {
    data: Type.Array(
      Type.Object(
        { index: Type.Optional(Type.Integer()), embedding: Type.Union([Type.Array(Type.Number()), Type.String()]) },
        open,
      ),
    ),
    usage: Type.Optional(
      Type.Object({ prompt_tokens: Type.Optional(Type.Integer()), total_tokens: Type.Optional(Type.Integer()) }, open),
    ),
  },
  open,
);

// Compiled once: the chunk check runs on every streamed chunk.
const isUpstreamCompletion = createChecker(UpstreamCompletion);
const isUpstreamChunk = createChecker(UpstreamChunk);
const isUpstreamModelList = createChecker(UpstreamModelList);
const isUpstreamEmbeddings = createChecker(UpstreamEmbeddings);

/** The model an upstream's answer or chunk says answered (its `model`), if it says one. */
export function answeredModel(body: unknown): string | undefined {
  const model = typeof body === "object" && body !== null ? (body as { model?: unknown }).model : undefined;
  return typeof model === "string" && model !== "" ? model : undefined;
}

/** Fields the core stamps itself on every answer (`model` is the id the client asked for). */
const CORE_FIELDS = ["object", "created", "model"] as const;

/**
 * A non-stream completion as the provider returns it: the upstream's answer minus what the core
 * stamps; `id` kept when it is OpenAI-shaped (`chatcmpl-…`). Extras come back as received.
 */
export function fromUpstreamCompletion(body: unknown, ctx: ErrorContext): ChatResult {
  const failure = errorFromPayload(body, ctx);
  if (failure) throw failure;
  if (!isUpstreamCompletion.check(body)) {
    throw new UpstreamError(`The upstream ${ctx.instance} answered with something that is not a chat completion.`);
  }
  // A 200 with no choice is no answer (a surface would make it an empty one): a failure, as a stream that never finished is.
  if (body.choices.length === 0) throw new UpstreamError(`The upstream ${ctx.instance} answered with no choices.`);
  for (const choice of body.choices) throwChoiceError(choice, ctx);
  const { id, ...rest } = withoutCoreFields(body);
  withoutNulls(rest, ANSWER_FIELDS);
  cleanUsage(rest.usage);
  for (const choice of body.choices) {
    const logprobs = (choice as { logprobs?: unknown }).logprobs;
    if (logprobs != null && typeof logprobs === "object") withLogprobsFields(logprobs as Record<string, unknown>);
  }
  const result = {
    ...rest,
    choices: body.choices.map((choice, i) => ({
      ...choice,
      index: choice.index ?? i,
      finish_reason: mapFinishReason(choice.finish_reason),
      message: withJsonArguments(withReasoningContent(withTextContent(withoutNulls(choice.message, MESSAGE_FIELDS)))),
    })),
  };
  // Checked above for what the core reads; the rest is the upstream's own (extras included).
  const completion = result as unknown as ChatResult;
  if (typeof id === "string" && id.startsWith("chatcmpl-")) completion.id = id;
  return completion;
}

/**
 * A choice that says it ended in an error (OpenRouter: `finish_reason: "error"`, the provider's
 * failure as the choice's `error`, under an HTTP 200) is the upstream's failure, not an answer cut
 * short that reads as complete: its error, or a 502 when it gives none.
 */
function throwChoiceError(choice: { finish_reason?: string | null }, ctx: ErrorContext): void {
  const error = (choice as { error?: unknown }).error;
  if (error != null) throw errorFromPayload({ error }, ctx)!;
  if (choice.finish_reason === "error") throw new UpstreamError(`The upstream ${ctx.instance} ended the answer with an error (finish_reason 'error'), saying no more.`);
}

/**
 * One parsed stream event as a chunk for the core: the event object is this plugin's own (freshly
 * parsed), so it is cleaned in place rather than copied. An error event throws the mapped error.
 */
export function fromUpstreamChunk(payload: unknown, ctx: ErrorContext): ChunkResult {
  const failure = errorFromPayload(payload, ctx);
  if (failure) throw failure;
  if (!isUpstreamChunk.check(payload)) {
    throw new UpstreamError(`The upstream ${ctx.instance} sent a stream event that is not a chat completion chunk.`);
  }
  // The schema is open: the event may hold any other field. The core overwrites id, object,
  // created and model in a chunk that has an id (keeping the object's shape: deleting fields would
  // slow down serialising every chunk); in one without, the other three must go.
  const chunk = payload as typeof payload & Record<string, unknown>;
  if (!("id" in chunk)) for (const field of CORE_FIELDS) delete chunk[field];
  if (chunk.system_fingerprint === null) chunk.system_fingerprint = undefined;
  if (chunk.usage != null) cleanUsage(chunk.usage);
  chunk.choices.forEach((choice, i) => {
    throwChoiceError(choice, ctx);
    choice.index ??= i;
    choice.delta ??= {};
    withoutNulls(choice.delta, MESSAGE_FIELDS);
    const logprobs = (choice as { logprobs?: unknown }).logprobs;
    if (logprobs != null && typeof logprobs === "object") withLogprobsFields(logprobs as Record<string, unknown>);
    if (Array.isArray((choice.delta as { content?: unknown }).content)) Object.assign(choice.delta, textContent((choice.delta as { content: unknown[] }).content, false, choice.delta));
    const delta = choice.delta as { reasoning?: unknown; reasoning_content?: unknown };
    if (typeof delta.reasoning === "string" && delta.reasoning_content == null) delta.reasoning_content = delta.reasoning;
    // null means "not finished yet" in a chunk; only a real reason is mapped.
    if (typeof choice.finish_reason === "string") choice.finish_reason = mapFinishReason(choice.finish_reason);
  });
  // Checked above for what the core reads (choices, index, delta, finish_reason).
  return chunk as unknown as ChunkResult;
}

/**
 * The chunks of one upstream stream (events already split and JSON-parsed, `STREAM_DONE` for
 * `[DONE]`), in the batches they arrived in (the core writes a batch at once). A stream that ends
 * before any choice finished was cut off: an error, not a short answer; unless it ended with
 * `[DONE]`, the protocol's own end, which some servers send with no finish reason before it
 * (Google's OpenAI endpoint, some OpenRouter providers): their choices end then, `tool_calls` when
 * they called tools, else `stop`.
 */
export async function* fromUpstreamEvents(
  batches: AsyncIterable<readonly unknown[]>,
  ctx: ErrorContext,
  /** Given the model the upstream's chunks say answered (RequestContext.responseModel). */
  answered?: { responseModel?: string },
): AsyncGenerator<ChunkResult[]> {
  let finished = false;
  let indexes: ToolCallIndexes | undefined;
  let indexed: IndexedToolCalls | undefined;
  let argued: ArgumentsSeen | undefined;
  /** Choices seen and not finished: whether each called a tool; and those that finished (a later chunk of theirs, usage, does not open them again). */
  const unfinished = new Map<number, boolean>();
  const ended = new Set<number>();
  for await (const payloads of batches) {
    const chunks: ChunkResult[] = [];
    try {
      for (const payload of payloads) {
        if (payload === STREAM_DONE) {
          if (unfinished.size === 0) continue;
          const closing = { choices: [...unfinished].map(([index, called]) => ({ index, delta: {}, finish_reason: called ? "tool_calls" : "stop" })) } as unknown as ChunkResult;
          for (const choice of closing.choices) if (argued !== undefined) argued.finish(choice as never);
          unfinished.clear();
          finished = true;
          chunks.push(closing);
          continue;
        }
        if (answered !== undefined && answered.responseModel === undefined) answered.responseModel = answeredModel(payload);
        const chunk = fromUpstreamChunk(payload, ctx);
        for (const choice of chunk.choices) {
          // A choice finishes once (the core refuses a second finish): some servers and proxies
          // repeat the finish reason on a later chunk (with the usage, or a metadata-only one).
          if (choice.finish_reason != null && ended.has(choice.index)) choice.finish_reason = null;
          const calls = choice.delta.tool_calls;
          if (calls !== undefined) {
            for (const call of calls) {
              // Nulls where OpenAI's chunk has strings (a continuation's `id: null, type: null, function: null`) are left out; an object of arguments is its JSON text.
              withoutNulls(call, CALL_FIELDS);
              if (call.function !== undefined) call.function.arguments = argumentsText(withoutNulls(call.function, FUNCTION_FIELDS).arguments);
              const opened = call.index === undefined ? (indexes ??= new ToolCallIndexes()).assign(choice.index, call) : (indexed ??= new IndexedToolCalls()).assign(choice.index, call);
              // As OpenAI streams a call: its first delta says its id, type and name, the next ones only
              // their arguments (some servers repeat them on every delta, which OpenAI's SDKs join into
              // `call_Acall_A` and `get_weatherget_weather`).
              if (opened) withCallFields(call, streamCallId((payload as { id?: unknown }).id, choice.index, call));
              else {
                call.id = undefined;
                (call as { type?: unknown }).type = undefined;
                if (call.function !== undefined) call.function.name = undefined;
              }
              (argued ??= new ArgumentsSeen()).saw(choice.index, call);
            }
          }
          if (argued !== undefined && choice.finish_reason != null) argued.finish(choice as never);
          if (choice.finish_reason != null) {
            unfinished.delete(choice.index);
            ended.add(choice.index);
          } else if ((calls !== undefined || !unfinished.has(choice.index)) && !ended.has(choice.index)) {
            unfinished.set(choice.index, unfinished.get(choice.index) === true || (calls !== undefined && calls.length > 0));
          }
        }
        if (!finished) finished = chunk.choices.some((choice) => choice.finish_reason != null);
        chunks.push(chunk);
      }
    } catch (error) {
      // What arrived before an error event in the same read is still the client's.
      if (chunks.length > 0) yield chunks;
      throw error;
    }
    yield chunks;
  }
  if (!finished) throw new UpstreamError(`The upstream ${ctx.instance} ended the stream before the answer was finished.`);
}

/** `GET /models` as model infos: `created` as the upstream gives it, its other fields as extras. */
export function fromUpstreamModelList(body: unknown, ctx: ErrorContext): ModelInfo[] {
  const failure = errorFromPayload(body, ctx);
  if (failure) throw failure;
  if (!isUpstreamModelList.check(body)) {
    throw new UpstreamError(`The upstream ${ctx.instance} answered GET /models with something that is not a model list.`);
  }
  return body.data.map((model) => {
    // `owned_by` becomes the instance name and `object` is always "model" (the core sets both).
    // The schema is open, so the entry may hold any other field: typed as such to take it apart.
    const { object: _object, owned_by: _ownedBy, created, ...rest } = model as typeof model & Record<string, unknown>;
    const info: ModelInfo = { ...rest, id: model.id };
    if (typeof created === "number" && Number.isInteger(created)) info.created = created;
    return info;
  });
}

/** An embeddings answer as vectors in input order; base64 vectors (little-endian float32) decoded. */
export function fromUpstreamEmbeddings(body: unknown, inputs: number, ctx: ErrorContext): EmbedResult {
  const failure = errorFromPayload(body, ctx);
  if (failure) throw failure;
  if (!isUpstreamEmbeddings.check(body)) {
    throw new UpstreamError(`The upstream ${ctx.instance} answered with something that is not an embeddings list.`);
  }
  if (body.data.length !== inputs) {
    throw new UpstreamError(`The upstream ${ctx.instance} returned ${body.data.length} embeddings for ${inputs} inputs.`);
  }
  const ordered = body.data.map((item, i) => ({ index: item.index ?? i, embedding: item.embedding }));
  ordered.sort((a, b) => a.index - b.index);
  const result: EmbedResult = {
    embeddings: ordered.map(({ embedding }) => (typeof embedding === "string" ? fromBase64Floats(embedding) : embedding)),
  };
  const prompt = body.usage?.prompt_tokens;
  if (prompt !== undefined) result.usage = { prompt_tokens: prompt, total_tokens: body.usage?.total_tokens ?? prompt };
  return result;
}

function fromBase64Floats(text: string): number[] {
  const bytes = Buffer.from(text, "base64");
  if (bytes.byteLength % 4 !== 0) throw new UpstreamError("An upstream embedding is not a whole number of float32 values.");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  for (let offset = 0; offset < bytes.byteLength; offset += 4) out.push(view.getFloat32(offset, true));
  return out;
}

function withoutCoreFields(body: object): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body };
  for (const field of CORE_FIELDS) delete out[field];
  return out;
}

/**
 * A call with no arguments, as OpenAI gives it: `"{}"`. Some servers (llama.cpp, vLLM's parsers)
 * send `""`, which is no JSON: an agent parsing it fails. The message is this plugin's own (parsed
 * from the upstream), so it is fixed in place.
 */
function withJsonArguments<M>(message: M): M {
  const calls = (message as { tool_calls?: unknown }).tool_calls;
  if (Array.isArray(calls)) {
    let ids: Set<string> | undefined;
    for (const call of calls as { id?: unknown; function?: { arguments?: unknown } }[]) {
      withCallFields(call);
      if (call?.function) call.function.arguments = call.function.arguments === "" || call.function.arguments == null ? "{}" : argumentsText(call.function.arguments);
      // Calls of one answer with one id (some servers number every call `call_0`): each its own, or a
      // client cannot tell their results apart (Anthropic's tool_use ids must differ too).
      const id = call?.id;
      if (typeof id === "string" && id !== "") {
        const taken = (ids ??= new Set());
        const own = taken.has(id) ? uniqueId(id, taken) : id;
        call.id = own;
        taken.add(own);
      }
    }
  }
  return message;
}

/**
 * Arguments as OpenAI sends them, a JSON text: some servers send the object itself (llama.cpp's
 * server for a while, TGI), which surfaces would pass on as an object ("[object Object]" once
 * joined, a TypeError where a text is trimmed).
 */
function argumentsText(value: unknown): string {
  return typeof value === "string" || value == null ? (value as string) : JSON.stringify(value);
}

/**
 * Fields OpenAI's schemas give a type without null, which some servers send as null (vLLM sends
 * `tool_calls`, `function_call`, `annotations`, `audio`, `system_fingerprint` and the usage details
 * as null): absent, as OpenAI's own answers have them. Set to undefined rather than deleted (JSON
 * leaves it out; the object keeps its shape).
 */
const MESSAGE_FIELDS = ["tool_calls", "function_call", "annotations"] as const;
const ANSWER_FIELDS = ["system_fingerprint"] as const;
const USAGE_FIELDS = ["prompt_tokens_details", "completion_tokens_details"] as const;
const CALL_FIELDS = ["id", "type", "function"] as const;
const FUNCTION_FIELDS = ["name", "arguments"] as const;

/**
 * A tool call as OpenAI's has it, `id` and `type` included: some servers send neither (a call of a
 * llama.cpp or vLLM build, a proxy's), which OpenAI's SDK refuses ("tool call snapshot missing
 * 'type'") and a client cannot answer without an id. In a stream, only a call's first delta gets them.
 */
function withCallFields(call: unknown, streamedId?: () => string): void {
  if (call === null || typeof call !== "object") return;
  const record = call as { id?: unknown; type?: unknown; function?: { name?: unknown } };
  if (typeof record.id !== "string" || record.id === "") record.id = streamedId === undefined ? randomId("call_") : streamedId();
  if (record.type == null) record.type = "function";
}

/**
 * A streamed call's id when the server gives none: the same for every delta of that call (some
 * servers name the function on each; a review), from the stream's own id, the choice and the call's
 * index; a random one where the stream has no id.
 */
const streamCallId = (streamId: unknown, choice: number, call: unknown) => (): string =>
  typeof streamId === "string" && streamId !== ""
    ? `call_${Bun.hash(`${streamId}\u0000${choice}\u0000${String((call as { index?: unknown }).index)}`).toString(16)}`
    : randomId("call_");

/** `logprobs` with both of OpenAI's fields (vLLM's and llama.cpp's lack `refusal`): what is not given is null. */
function withLogprobsFields(logprobs: Record<string, unknown>): void {
  if (!("content" in logprobs)) logprobs.content = null;
  if (!("refusal" in logprobs)) logprobs.refusal = null;
}

/** Usage without nulls: a details object that is null, and null figures inside one (LiteLLM's `audio_tokens: null`), are left out. */
function cleanUsage(usage: unknown): void {
  if (usage === null || typeof usage !== "object") return;
  withoutNulls(usage, USAGE_FIELDS);
  for (const field of USAGE_FIELDS) {
    const details = (usage as Record<string, unknown>)[field];
    if (details !== null && typeof details === "object") for (const key in details) if ((details as Record<string, unknown>)[key] === null) (details as Record<string, unknown>)[key] = undefined;
  }
}

function withoutNulls<T>(object: T, fields: readonly string[]): T {
  if (object === null || typeof object !== "object") return object;
  const record = object as Record<string, unknown>;
  for (const field of fields) if (record[field] === null) record[field] = undefined;
  return object;
}

/** `id` made unique among `taken`: `<id>_2`, `<id>_3`… */
function uniqueId(id: string, taken: ReadonlySet<string>): string {
  let n = 2;
  while (taken.has(`${id}_${n}`)) n++;
  return `${id}_${n}`;
}

/** Streamed calls that got no argument text by their choice's end get `"{}"` in the finishing chunk, as a whole answer does. */
class ArgumentsSeen {
  /** Per choice: each call's index, and whether any argument text came for it. */
  readonly #choices = new Map<number, Map<number, boolean>>();

  saw(choice: number, call: { index?: number; function?: { arguments?: string } }): void {
    let calls = this.#choices.get(choice);
    if (!calls) this.#choices.set(choice, (calls = new Map()));
    const index = call.index ?? 0;
    if (call.function?.arguments) calls.set(index, true);
    else if (!calls.has(index)) calls.set(index, false);
  }

  /**
   * At a choice's end: `"{}"` for each of its calls that had none, in the finishing delta's own entry
   * of the call when it has one (a call that came whole with its end), else as a delta of its own.
   */
  finish(choice: { index: number; delta: { tool_calls?: { index?: number; function?: { arguments?: string } }[] } }): void {
    const calls = this.#choices.get(choice.index);
    if (!calls) return;
    for (const [index, hasArguments] of calls) {
      if (hasArguments) continue;
      const own = choice.delta.tool_calls?.find((call) => call.index === index);
      if (own) (own.function ??= {}).arguments = "{}";
      else (choice.delta.tool_calls ??= []).push({ index, function: { arguments: "{}" } });
    }
    this.#choices.delete(choice.index);
  }
}

/**
 * An upstream's reasoning under `reasoning` (OpenRouter, Groq, newer vLLM, Ollama's `/v1`), also as
 * `reasoning_content`, the field the core reads; the answer keeps both for clients that read either.
 */
/**
 * Content as a list of parts (Mistral's Magistral: `[{"type":"thinking","thinking":[{"type":"text",
 * "text":…}]}, {"type":"text","text":…}]`) as OpenAI's string: the text parts' text as `content`,
 * the thinking parts' as `reasoning_content` (after any the message already has). Every surface
 * reads a string: a list read as nothing made an empty answer.
 */
function textContent(parts: readonly unknown[], whole: boolean, message: { tool_calls?: unknown; reasoning_content?: unknown }): { content?: string | null; reasoning_content?: string } {
  let text = "";
  let thinking = "";
  const textOf = (value: unknown): string =>
    typeof value === "string" ? value
    : Array.isArray(value) ? value.map((part) => textOf((part as { text?: unknown } | null)?.text)).join("")
    : "";
  for (const part of parts) {
    const p = part as { type?: unknown; text?: unknown; thinking?: unknown } | null;
    if (p?.type === "text") text += textOf(p.text);
    else if (p?.type === "thinking" || p?.type === "reasoning") thinking += textOf(p.thinking ?? p.text);
  }
  const out: { content?: string | null; reasoning_content?: string } = {};
  // A whole message with calls and no text has content null, as OpenAI's; a delta without text has none.
  out.content = text !== "" ? text : whole ? (Array.isArray(message.tool_calls) && message.tool_calls.length > 0 ? null : "") : undefined;
  if (thinking !== "") out.reasoning_content = (typeof message.reasoning_content === "string" ? message.reasoning_content : "") + thinking;
  return out;
}

function withTextContent<M>(message: M): M {
  const m = message as { content?: unknown; tool_calls?: unknown; reasoning_content?: unknown };
  return Array.isArray(m.content) ? ({ ...m, ...textContent(m.content, true, m) } as M) : message;
}

function withReasoningContent<M>(message: M): M {
  const m = message as { reasoning?: unknown; reasoning_content?: unknown } | undefined;
  return m && typeof m.reasoning === "string" && m.reasoning_content == null ? ({ ...m, reasoning_content: m.reasoning } as M) : message;
}

/**
 * Tool-call deltas without an `index` (Google's OpenAI-compatible endpoint sends them), numbered as
 * OpenAI numbers calls: a delta with an id it has not seen is the choice's next call, one with a
 * seen id that call, one without an id the latest call's continuation. Without this every surface
 * merged the calls into one, or its client refused the chunk.
 */
class ToolCallIndexes {
  /** Per choice: the next index, the latest one, and the index of each call id. */
  readonly #choices = new Map<number, { next: number; last: number; byId: Map<string, number> }>();

  /** Gives the call its index; true when it opens a call (its first delta). */
  assign(choice: number, call: { index?: number; id?: string }): boolean {
    let state = this.#choices.get(choice);
    if (!state) this.#choices.set(choice, (state = { next: 0, last: 0, byId: new Map() }));
    const id = call.id || undefined; // an empty id is none
    let index = id ? state.byId.get(id) : state.last;
    const opens = index === undefined || (id === undefined && state.next === 0);
    if (opens) {
      index = state.next++;
      if (id) state.byId.set(id, index);
    }
    state.last = index!;
    call.index = index;
    return opens;
  }
}

/**
 * Calls that come with an `index`: OpenAI numbers each call of an answer apart, but some servers
 * (proxies in front of Gemini) send every parallel call on index 0, each with its own id and name.
 * A call that opens (an id and a name) on an index whose call had another id is a new call, given
 * the next index; deltas after it (no id, or the same; a repeated name too) continue it. Calls are
 * numbered from 0 in the order they open, as OpenAI numbers them: a proxy's first call at index 1
 * (LiteLLM's bridge, after a reasoning item) broke OpenAI's SDKs' stream helpers. Only streams with
 * tool calls make this.
 */
class IndexedToolCalls {
  /** Per choice: the call each upstream index now continues (its id as the upstream sent it, and the index it was given), the next index, the ids sent. */
  readonly #choices = new Map<number, { byUpstream: Map<number, { id?: string; index: number }>; next: number; ids: Set<string> }>();

  /** Gives the call its index; true when it opens a call (its first delta). */
  assign(choice: number, call: { index?: number; id?: string; function?: { name?: string } }): boolean {
    let state = this.#choices.get(choice);
    if (!state) this.#choices.set(choice, (state = { byUpstream: new Map(), next: 0, ids: new Set() }));
    const upstream = call.index!;
    const id = call.id || undefined;
    const open = state.byUpstream.get(upstream);
    if (open !== undefined && !(id !== undefined && open.id !== undefined && id !== open.id && call.function?.name)) {
      // Its id, if it comes only now, tells a later call on this index apart; the client has the one its first delta gave.
      open.id ??= id;
      call.index = open.index;
      return false;
    }
    const entry: { id?: string; index: number } = { id, index: state.next++ };
    state.byUpstream.set(upstream, entry);
    // A call's id, made unique in its answer when another call had it (some servers number every call `call_0`).
    if (id !== undefined) {
      if (state.ids.has(id)) call.id = uniqueId(id, state.ids);
      state.ids.add(call.id!);
    }
    call.index = entry.index;
    return true;
  }
}
