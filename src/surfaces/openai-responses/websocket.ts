import { Elysia } from "elysia";
import type { Config } from "../../config.ts";
import { randomId, nowSeconds } from "../../ids.ts";
import { bindKey, keyOf } from "../../keys/request-key.ts";
import { InvalidRequestError, type OllaixError, RateLimitError } from "../../errors.ts";
import { parseSse } from "../../sse-parse.ts";

/**
 * OpenAI Responses' WebSocket mode (`wss://…/v1/responses`: Codex's preferred transport, the openai
 * SDK's `ResponsesWS`, the Agents SDK's WebSocket sessions). Each `response.create` message is the
 * body of a `POST /v1/responses` with `stream` implied: it is made as that request (through the same
 * app, with the handshake's headers, so keys, limits, metrics and logs are the route's), and its
 * stream events go back as text messages, carrying the message's `stream_id` if it had one; a refusal
 * is an `error` message with its `status`. Messages of one lane (one `stream_id`, or none) run one
 * after another, in order; lanes run side by side. A closing connection aborts its own responses.
 *
 * As OpenAI's WebSocket mode does, the connection remembers its latest `store: false` response, one
 * per lane: a `previous_response_id` naming it continues it (its input and output before the new
 * input), though nothing was stored, on its own lane or on another (a fork onto a new stream). What
 * a connection remembers is at most MAX_BODY_BYTES of history, the lanes used last kept first. `generate: false` (a warm-up: Codex sends one with its tools and instructions)
 * answers an empty completed response without calling a model, and is remembered the same way.
 * `background` is refused, as OpenAI refuses it there.
 *
 * `response.steer` queues input for a response in flight, for every model: once that response
 * ends, a successor continues it with the input and the response's own settings (OpenAI's automatic
 * successor; the response is not cut short). One that stopped for tool results says so
 * (`response.steer.pending`), and the input joins the client's continuation, after the results.
 */

type Handle = (request: Request) => Promise<Response>;
/** OpenAI's `ErrorPayload`: with `headers`, those the refusal's HTTP answer carried (a limit's Retry-After and x-ratelimit-*). */
type WsError = { type: string; message: string; param: string | null; code: string | null; headers?: Record<string, string> };

/** The headers of a refused create that a WebSocket client is given with its error: what to wait, what is left, which request. */
const ERROR_HEADERS = /^(?:retry-after|x-should-retry|x-ratelimit-|x-request-id$)/;

/** A `store: false` response kept for the next `previous_response_id`: its input and output, and their size. */
interface Remembered {
  lane: string;
  id: string;
  items: unknown[];
  bytes: number;
}

/** Accepted steering input, queued for a response in flight: its id, as sent, and as input items. */
interface Steer {
  id: string;
  target: string;
  input: unknown;
  items: unknown[];
  /** The size of the message that brought it (what it holds in memory, roughly). */
  bytes: number;
}

/** A client-owned tool call that ends a response, and the input item that answers it (a steer waits for those). */
type ToolCall = { type: string; call_id: string; name: string };
const TOOL_OUTPUTS: Record<string, string> = { function_call: "function_call_output", custom_tool_call: "custom_tool_call_output" };
/** Steers one response may have queued. */
const MAX_STEERS = 16;

/** A connection's own state: its responses in flight, its lanes' queues, each lane's latest `store: false` response. */
interface Connection {
  id: string;
  inFlight: Set<AbortController>;
  lanes: Map<string, Promise<void>>;
  /** By lane, the lane remembered last at the end. */
  remembered: Map<string, Remembered>;
  /** The responses in flight (by id, their lane) and the latest ended ones: what a steer may name. */
  active: Map<string, { lane: string; steerable: boolean }>;
  ended: Map<string, { lane: string; completed: boolean }>;
  /** Steers queued for responses in flight, by response id; and those waiting for a response's tool results. */
  steers: Map<string, Steer[]>;
  pending: Map<string, { lane: string; steers: Steer[]; required: unknown[] }>;
  /** The lanes waiting for a full send buffer to drain (or the socket to close). */
  waiting: (() => void)[];
  /** Messages of its lanes waiting or being answered (MAX_QUEUED at most). */
  queued: number;
  /** The sizes of those messages together: with the steers held, two bodies' worth at most (2 × MAX_BODY_BYTES). */
  queuedBytes: number;
  close(code: number, reason: string): void;
}

/**
 * Messages a connection may have waiting or being answered, on all its lanes: beyond, a message is
 * refused at once (each holds its whole body until its turn, and each is a model call).
 */
const MAX_QUEUED = 64;

/** Handshake headers that are the connection's, not a request's. */
const NOT_FORWARDED = new Set(["host", "connection", "upgrade", "content-length", "content-type", "transfer-encoding", "origin"]);
/** Client messages that need no answer (Codex's acknowledgement of a finished response). */
const IGNORED = new Set(["response.processed"]);

const asItems = (input: unknown): unknown[] => (input === undefined || input === null ? [] : Array.isArray(input) ? input : [{ role: "user", content: input }]);
const sizeOf = (items: unknown[]) => JSON.stringify(items).length;
/** Lanes a connection remembers a response for, at most. */
const MAX_REMEMBERED = 64;

/**
 * How a refusal the socket answers itself (before any request reaches the Responses route: a
 * message's own fields, a full queue) is reported as the refused model call it is, as an HTTP
 * refusal is (the error responder's outcome: one log line, the metrics, a span).
 */
export type ReportRefusal = (error: OllaixError, request: Request, body: unknown) => void;

/** The handshake's headers a message's request carries (its key, request id, trace context). */
function forwardedHeaders(handshake: Request): Headers {
  const headers = new Headers();
  handshake.headers.forEach((value, name) => {
    if (!NOT_FORWARDED.has(name) && !name.startsWith("sec-websocket-")) headers.set(name, value);
  });
  return headers;
}

export function responsesWebSocket(
  config: Pick<Config, "maxBodyBytes" | "corsAllowedOrigins"> & Partial<Pick<Config, "responsesMemoryBytes" | "streamIdleTimeoutMs">>,
  handle: () => Handle,
  report?: ReportRefusal,
) {
  /** What one connection may hold in messages waiting or being answered and in steers: two bodies' worth (one answered, one waiting). */
  const maxHeldBytes = 2 * config.maxBodyBytes;
  /** How long a full send buffer may wait for its client to read. */
  const idleMs = config.streamIdleTimeoutMs ?? 300_000;
  const connections = new Map<string, Connection>();
  /**
   * Every connection's remembered histories, oldest first, and their bytes: all connections together
   * hold at most RESPONSES_MEMORY_MB (each at most MAX_BODY_BYTES), the oldest forgotten first, so
   * many idle sockets each remembering a large history cannot pin the process's memory.
   */
  const rememberedOrder = new Map<Remembered, Connection>();
  let rememberedBytes = 0;
  const budget = config.responsesMemoryBytes ?? 64 * 1024 * 1024;
  const forgetLane = (connection: Connection, lane: string): void => {
    const entry = connection.remembered.get(lane);
    if (entry === undefined) return;
    connection.remembered.delete(lane);
    if (rememberedOrder.delete(entry)) rememberedBytes -= entry.bytes;
  };

  /**
   * A refusal reported as a `POST /v1/responses` of the connection's key would be: with the
   * handshake's headers, as the connection's accepted messages carry them (its `x-request-id`, the
   * client's `traceparent`), and streamed, as every message of the socket is.
   */
  const reported = (handshake: Request, error: OllaixError, body: unknown): void => {
    if (report === undefined) return;
    const request = new Request("http://ollaix.internal/v1/responses", { method: "POST", headers: forwardedHeaders(handshake) });
    const key = keyOf(handshake);
    if (key) bindKey(request, key);
    report(error, request, typeof body === "object" && body !== null ? { ...body, stream: true } : { stream: true });
  };

  const routes = new Elysia({ name: "ollaix:responses-ws" }).ws("/v1/responses", {
    // An OpenAPI document has no WebSocket operations: the README describes the mode.
    detail: { hide: true },
    // A page of another origin may not use the API through a socket either, when origins are listed.
    beforeHandle({ request, set }) {
      const origin = request.headers.get("origin");
      if (origin === null || config.corsAllowedOrigins === "*" || config.corsAllowedOrigins.includes(origin)) return;
      set.status = 403;
      return { error: { message: `The origin '${origin}' may not use this gateway.`, type: "invalid_request_error", param: null, code: "origin_not_allowed" } };
    },
    open(ws) {
      connections.set(ws.id, { id: ws.id, inFlight: new Set(), lanes: new Map(), remembered: new Map(), active: new Map(), ended: new Map(), steers: new Map(), pending: new Map(), waiting: [], queued: 0, queuedBytes: 0, close: (code, reason) => ws.close(code, reason) });
    },
    close(ws) {
      const connection = connections.get(ws.id);
      connections.delete(ws.id);
      for (const lane of [...(connection?.remembered.keys() ?? [])]) forgetLane(connection!, lane);
      if (connection) wake(connection);
      for (const controller of connection?.inFlight ?? []) controller.abort();
    },
    drain(ws) {
      const connection = connections.get(ws.id);
      if (connection) wake(connection);
    },
    message(ws, message) {
      const connection = connections.get(ws.id);
      if (!connection) return;
      const event = parse(message);
      const size = messageSize(message);
      // A steer names a response in flight: it waits for no lane.
      if (event?.type === "response.steer") return steer(ws as unknown as Socket, connection, event, size);
      const lane = typeof event?.stream_id === "string" ? event.stream_id : "";
      // What one connection holds parsed while it waits, in messages and in bytes (a client that sends and never reads).
      const isFull = connection.queued >= MAX_QUEUED || (connection.queued > 0 && connection.queuedBytes + heldSteerBytes(connection) + size > maxHeldBytes);
      if (isFull) {
        const error = { type: "invalid_request_error", message: `This WebSocket connection has ${connection.queued} messages (${connection.queuedBytes} bytes) waiting or being answered: send more once they are answered.`, param: null, code: "websocket_queue_full" };
        ws.send(JSON.stringify(lane === "" ? { type: "error", status: 429, error } : { type: "error", status: 429, error, stream_id: lane }));
        reported(ws.data.request, new RateLimitError(error.message, { code: "websocket_queue_full" }), event);
        return;
      }
      connection.queued++;
      connection.queuedBytes += size;
      // One lane's messages one after another, in the order they came; none once the connection closed.
      const previous = connection.lanes.get(lane) ?? Promise.resolve();
      const next = previous.then(() => (connections.has(connection.id) ? respond(ws as unknown as Socket, connection, event, lane) : undefined));
      connection.lanes.set(lane, next);
      void next.finally(() => {
        connection.queued--;
        connection.queuedBytes -= size;
        if (connection.lanes.get(lane) === next) connection.lanes.delete(lane);
      });
    },
  });

  interface Socket {
    send(data: string): number;
    raw: { getBufferedAmount(): number };
    data: { request: Request };
  }

  async function respond(ws: Socket, connection: Connection, event: Record<string, unknown> | undefined, lane: string): Promise<void> {
    const tag = lane === "" ? "" : `,"stream_id":${JSON.stringify(lane)}}`;
    const drained = () => new Promise<void>((resolve) => connection.waiting.push(resolve));
    /**
     * A send that waits while the socket's buffer is full (the stream then slows the provider, as over
     * HTTP). Past Bun's backpressure limit (16 MiB) a message is dropped, not queued: it is sent again
     * once the buffer has drained (an event of a long answer's end holds its whole text).
     */
    const send = async (text: string) => {
      const message = tag === "" ? text : text.slice(0, -1) + tag;
      while (connections.has(connection.id)) {
        const sent = ws.send(message);
        if (sent === -1) return drainedInTime();
        if (sent > 0 || ws.raw.getBufferedAmount() === 0) return; // sent, or dropped with nothing queued: the socket is closing
        await drainedInTime();
      }
    };
    /**
     * A client that reads nothing for STREAM_IDLE_TIMEOUT_MS while its buffer is full is closed: its
     * responses and queued messages would otherwise be held for as long as it stays connected.
     */
    const drainedInTime = async () => {
      let timer: Timer | undefined;
      const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), idleMs)));
      const isLate = await Promise.race([drained().then(() => false), late]);
      clearTimeout(timer);
      if (isLate && connections.has(connection.id)) connection.close(1008, "the client read nothing for too long");
    };
    const refuse = (status: number, error: WsError) => send(JSON.stringify({ type: "error", status, error }));
    /** A refusal of the message's own fields: answered on the socket, reported as the refused model call it is. */
    const refuseCreate = (error: WsError) => {
      reported(ws.data.request, new InvalidRequestError(error.message, { param: error.param, code: error.code }), event);
      return refuse(400, error);
    };
    if (event === undefined) return refuse(400, { type: "invalid_request_error", message: "Expected a JSON object with a type.", param: null, code: null });
    if (IGNORED.has(String(event.type))) return;
    if (event.type !== "response.create") {
      return refuse(400, { type: "invalid_request_error", message: `Invalid 'type': unknown event type '${String(event.type)}'; this gateway takes response.create and response.steer (and response.processed, which it ignores).`, param: "type", code: null });
    }
    const { type: _type, stream_id: lane_, generate, ...params } = event;
    // The message's own fields, typed as the request's are (a wrong type is refused, never read as a default).
    if (lane_ !== undefined && typeof lane_ !== "string") return refuseCreate({ type: "invalid_request_error", message: "Invalid type for 'stream_id': expected a string.", param: "stream_id", code: "invalid_type" });
    if (generate !== undefined && typeof generate !== "boolean") return refuseCreate({ type: "invalid_request_error", message: "Invalid type for 'generate': expected a boolean.", param: "generate", code: "invalid_type" });
    if (params.background === true) return refuseCreate({ type: "invalid_request_error", message: "Invalid 'background': background responses are not supported over WebSocket.", param: "background", code: null });
    return create(params, generate === false);

  /**
   * One response (an explicit response.create, or a steered response's successor, which commits
   * `committing`), then what the steers queued for it ask.
   */
  async function create(params: Record<string, unknown>, warm: boolean, committing?: Steer[]): Promise<void> {
    const settings = { ...params };
    // Steering input left waiting for this response's tool results goes in with them (settleSteers);
    // it stays queued until the continuation is under way (a refused one leaves it for the next).
    const parent = typeof params.previous_response_id === "string" ? params.previous_response_id : undefined;
    const waiting = parent === undefined ? undefined : connection.pending.get(parent);
    if (waiting !== undefined) {
      connection.pending.delete(parent!);
      params.input = afterToolOutputs(asItems(params.input), waiting.steers.flatMap((steer) => steer.items));
    }
    // A lane's latest store: false response (this lane's, or another's: a fork), continued as OpenAI's WebSocket mode does.
    const remembered = typeof params.previous_response_id === "string" ? rememberedById(connection, params.previous_response_id) : undefined;
    // An error forgets the response it continued, as OpenAI drops it from its cache.
    const forget = () => {
      // A successor that fails leaves its parent to the client's own continuation.
      if (committing === undefined && remembered !== undefined && connection.remembered.get(remembered.lane) === remembered) forgetLane(connection, remembered.lane);
    };
    if (remembered !== undefined) {
      params.input = [...remembered.items, ...asItems(params.input)];
      delete params.previous_response_id;
    }
    if (warm) return warmUp(send, connection, lane, params);
    if (!connections.has(connection.id)) return; // closed meanwhile (a steered response's successor): its responses go with it
    const controller = new AbortController();
    connection.inFlight.add(controller);
    let id: string | undefined;
    let completed = false;
    let final: Ended | undefined;
    try {
      const headers = forwardedHeaders(ws.data.request);
      headers.set("content-type", "application/json");
      const request = new Request("http://ollaix.internal/v1/responses", { method: "POST", headers, body: JSON.stringify({ ...params, stream: true }), signal: controller.signal });
      const answer = await handle()(request);
      if (!answer.headers.get("content-type")?.startsWith("text/event-stream")) {
        forget();
        if (waiting !== undefined) connection.pending.set(parent!, waiting);
        const body = (await answer.json().catch(() => undefined)) as { error?: WsError } | undefined;
        // A successor that cannot be made gives its steering input back.
        if (committing !== undefined) {
          const reason = body?.error?.message ?? "The request failed.";
          for (const steer of committing) await send(steerFailed(steer.input, steer.target, "successor_creation_failed", `The steered response's successor could not be made: ${reason}`, steer.id));
          return;
        }
        const error: WsError = body?.error ?? { type: "api_error", message: "The request failed.", param: null, code: null };
        const headers: Record<string, string> = {};
        answer.headers.forEach((value, name) => {
          if (ERROR_HEADERS.test(name)) headers[name] = value;
        });
        return await refuse(answer.status, { ...error, headers });
      }
      for await (const sse of parseSse(answer.body!)) {
        if (controller.signal.aborted) break;
        if (sse.event === "response.created") {
          // OpenAI steers no response bound to a conversation or compacted automatically.
          const steerable = params.conversation == null && params.context_management == null;
          connection.active.set((id = (JSON.parse(sse.data) as { response: { id: string } }).response.id), { lane, steerable });
        }
        await send(sse.data);
        if (sse.event === "response.completed" || sse.event === "response.incomplete") {
          completed = true;
          remember(connection, lane, params, (final = (JSON.parse(sse.data) as { response: Ended }).response));
        } else if (sse.event === "response.failed") forget();
      }
    } catch {
      forget();
      if (!controller.signal.aborted) await refuse(500, { type: "api_error", message: "The server had an error while processing your request.", param: null, code: "internal_error" });
    } finally {
      connection.inFlight.delete(controller);
      if (id !== undefined) ended(connection, id, lane, completed);
    }
    if (id !== undefined) await settleSteers(id, final, settings);
  }

  /**
   * The steers queued for a response that has ended: a successor continuing it with their input
   * (OpenAI's automatic successor, with the response's own settings); if it stopped for tool
   * results, `response.steer.pending` naming them, the input kept for the client's continuation;
   * if it failed, the input given back.
   */
  async function settleSteers(id: string, final: Ended | undefined, settings: Record<string, unknown>): Promise<void> {
    const queued = connection.steers.get(id);
    if (queued === undefined) return;
    connection.steers.delete(id);
    if (final === undefined) {
      for (const steer of queued) await send(steerFailed(steer.input, id, "response_not_active", `Response '${id}' failed or was stopped: send the input with the next response.create.`, steer.id));
      return;
    }
    const calls = final.output.filter((item): item is ToolCall => TOOL_OUTPUTS[(item as ToolCall).type] !== undefined);
    if (calls.length > 0) {
      if (connection.pending.size >= MAX_REMEMBERED) {
        for (const steer of queued) await send(steerFailed(steer.input, id, "too_many_pending_steers", `This connection has ${MAX_REMEMBERED} responses waiting for tool results with steering input: send the input with the next response.create.`, steer.id));
        return;
      }
      const required = calls.map((call) => ({ type: TOOL_OUTPUTS[call.type], call_id: call.call_id, name: call.name }));
      connection.pending.set(id, { lane, steers: queued, required });
      for (const steer of queued) await send(steerPending(id, steer.id, required));
      return;
    }
    const { input: _input, previous_response_id: _previous, ...inherited } = settings;
    await create({ ...inherited, previous_response_id: id, input: queued.flatMap((steer) => steer.items) }, false, queued);
  }
  }

  /** A response no longer in flight, kept among the latest ended ones (a steer naming it comes too late). */
  function ended(connection: Connection, id: string, lane: string, completed: boolean): void {
    connection.active.delete(id);
    connection.ended.set(id, { lane, completed });
    if (connection.ended.size > MAX_REMEMBERED) connection.ended.delete(connection.ended.keys().next().value!);
  }

  /** Every lane waiting on a full send buffer goes on (the buffer drained, or the socket closed). */
  /** The bytes of the steers a connection holds (for responses in flight, and waiting on tool results). */
  function heldSteerBytes(connection: Connection): number {
    let bytes = 0;
    for (const queue of connection.steers.values()) for (const held of queue) bytes += held.bytes;
    for (const waiting of connection.pending.values()) for (const held of waiting.steers) bytes += held.bytes;
    return bytes;
  }

  function wake(connection: Connection): void {
    const waiting = connection.waiting;
    connection.waiting = [];
    for (const resolve of waiting) resolve();
  }

  /**
   * `response.steer`: input for a response in flight, queued and acknowledged
   * (`response.steer.accepted`); once the response ends, its successor continues it with that input
   * (settleSteers). A response waiting for tool results keeps it for the client's continuation.
   * Anything else is `response.steer.failed` with the input given back, in OpenAI's codes, on the
   * target's lane when the connection knows it.
   */
  function steer(ws: Socket, connection: Connection, event: Record<string, unknown>, size: number): void {
    const target = event.previous_response_id;
    const input = event.input;
    const active = typeof target === "string" ? connection.active.get(target) : undefined;
    const running = active?.lane;
    const waiting = typeof target === "string" ? connection.pending.get(target) : undefined;
    const ended = typeof target === "string" ? (connection.ended.get(target) ?? rememberedById(connection, target)) : undefined;
    const lane = running ?? waiting?.lane ?? ended?.lane;
    const tagged = (text: string) => (lane ? text.slice(0, -1) + `,"stream_id":${JSON.stringify(lane)}}` : text);
    const items = steerItems(input);
    const queue = running !== undefined ? (connection.steers.get(target as string) ?? []) : waiting?.steers;
    const refusal: [string, string] | undefined =
      typeof target !== "string" || items === undefined
        ? ["invalid_input", "A steer needs 'previous_response_id' and an 'input' of text or user messages."]
        : active?.steerable === false
          ? ["steering_not_supported", `Response '${target}' is bound to a conversation or compacted automatically, which cannot be steered: send the input with the next response.create.`]
        : queue !== undefined
          ? queue.length >= MAX_STEERS
            ? ["too_many_pending_steers", `Response '${target}' has ${MAX_STEERS} steers queued already.`]
            : connection.queuedBytes + heldSteerBytes(connection) + size > maxHeldBytes
              ? ["too_many_pending_steers", `This connection holds ${connection.queuedBytes + heldSteerBytes(connection)} bytes of messages and steers already: send the input with the next response.create.`]
              : undefined
          : ended === undefined
            ? ["response_not_found", `Response '${target}' is not available on this connection.`]
            : "completed" in ended && !ended.completed
              ? ["response_not_active", `Response '${target}' failed or was stopped: send the input with the next response.create.`]
              : ["response_already_completed", `Response '${target}' has already ended: send the input with the next response.create.`];
    if (refusal !== undefined) return void ws.send(tagged(steerFailed(input, typeof target === "string" ? target : "", ...refusal)));
    const accepted: Steer = { id: randomId("steer_"), target: target as string, input, items: items!, bytes: size };
    queue!.push(accepted);
    if (running !== undefined) connection.steers.set(target as string, queue!);
    ws.send(tagged(JSON.stringify({ type: "response.steer.accepted", sequence_number: 0, steer: { id: accepted.id, previous_response_id: target } })));
    // One that joins input already waiting for tool results is told so too (once for each steer).
    if (waiting !== undefined) ws.send(tagged(steerPending(target as string, accepted.id, waiting.required)));
  }

  interface Ended {
    id: string;
    store: boolean;
    output: unknown[];
  }

  /**
   * Remembers a lane's `store: false` response for the next `previous_response_id` (a stored one is
   * continued from the store, as over HTTP). A history larger than a request may be is forgotten:
   * continuing it would be refused as too large anyway. A connection holds no more than that in all:
   * the lanes remembered longest ago are forgotten first.
   */
  function remember(connection: Connection, lane: string, params: Record<string, unknown>, response: Ended): void {
    const kept = connection.remembered;
    forgetLane(connection, lane);
    // A socket that closed while its last event was waiting to be sent remembers nothing more.
    if (response.store || !connections.has(connection.id)) return;
    const items = [...asItems(params.input), ...response.output];
    const bytes = sizeOf(items);
    if (bytes > config.maxBodyBytes || bytes > budget) return;
    let total = bytes;
    for (const other of kept.values()) total += other.bytes;
    for (const [other, entry] of [...kept]) {
      if (total <= config.maxBodyBytes && kept.size < MAX_REMEMBERED) break;
      forgetLane(connection, other);
      total -= entry.bytes;
    }
    const entry: Remembered = { lane, id: response.id, items, bytes };
    kept.set(lane, entry);
    rememberedOrder.set(entry, connection);
    rememberedBytes += bytes;
    // Over the process's budget: the histories remembered longest ago, on any connection, go first.
    for (const [oldest, owner] of rememberedOrder) {
      if (rememberedBytes <= budget) break;
      forgetLane(owner, oldest.lane);
      if (rememberedOrder.delete(oldest)) rememberedBytes -= oldest.bytes; // a lane since replaced: its entry only
    }
  }

  function rememberedById(connection: Connection, id: string): Remembered | undefined {
    for (const entry of connection.remembered.values()) if (entry.id === id) return entry;
    return undefined;
  }

  /** `generate: false`: a response that generated nothing, remembered for the next turn (OpenAI's warm-up). */
  async function warmUp(send: (text: string) => Promise<void>, connection: Connection, lane: string, params: Record<string, unknown>): Promise<void> {
    const response = {
      id: randomId("resp_"),
      object: "response",
      created_at: nowSeconds(),
      status: "completed",
      completed_at: nowSeconds(),
      error: null,
      incomplete_details: null,
      instructions: typeof params.instructions === "string" ? params.instructions : null,
      max_output_tokens: null,
      model: String(params.model ?? ""),
      output: [],
      parallel_tool_calls: params.parallel_tool_calls !== false,
      previous_response_id: null,
      reasoning: { effort: null, summary: null },
      store: false,
      temperature: null,
      text: { format: { type: "text" } },
      tool_choice: "auto",
      tools: [],
      top_p: null,
      truncation: "disabled",
      usage: { input_tokens: 0, input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 }, output_tokens: 0, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 0 },
      metadata: {},
    };
    await send(JSON.stringify({ type: "response.created", response: { ...response, status: "in_progress", completed_at: null, usage: undefined }, sequence_number: 0 }));
    await send(JSON.stringify({ type: "response.completed", response, sequence_number: 1 }));
    remember(connection, lane, params, { id: response.id, store: false, output: [] });
  }

  return {
    routes,
    /** Shutdown: idle connections close now (1001, going away); ones with a response in flight once it has ended. */
    closeIdle(): void {
      for (const connection of connections.values()) {
        if (connection.inFlight.size === 0) connection.close(1001, "server shutting down");
        else void Promise.all(connection.lanes.values()).then(() => connection.close(1001, "server shutting down"));
      }
    },
  };
}

/**
 * A steer's input as items, if it is what OpenAI takes: a non-empty string, or user messages (a
 * `message` type at most, and content); undefined otherwise.
 */
function steerItems(input: unknown): unknown[] | undefined {
  if (typeof input === "string") return input === "" ? undefined : [{ role: "user", content: input }];
  if (!Array.isArray(input) || input.length === 0) return undefined;
  const ok = input.every((item) => {
    if (typeof item !== "object" || item === null) return false;
    const { role, type, content, ...rest } = item as Record<string, unknown>;
    return role === "user" && (type === undefined || type === "message") && (typeof content === "string" || Array.isArray(content)) && Object.keys(rest).length === 0;
  });
  return ok ? input : undefined;
}

/**
 * A continuation's input with steering input in it: after the tool results it opens with (a provider
 * wants a call's result right after the call), before the rest.
 */
function afterToolOutputs(input: unknown[], steering: unknown[]): unknown[] {
  let at = 0;
  while (at < input.length && String((input[at] as { type?: unknown }).type).endsWith("_output")) at++;
  return [...input.slice(0, at), ...steering, ...input.slice(at)];
}

/** A `response.steer.pending` event: the steer waits for the tool results `required` names (its lane is added by the sender). */
function steerPending(target: string, id: string, required: unknown[]): string {
  return JSON.stringify({ type: "response.steer.pending", sequence_number: 0, reason: "waiting_for_required_input", required_input: required, steer: { id, previous_response_id: target } });
}

/** A `response.steer.failed` event (its lane is added by the sender). */
function steerFailed(input: unknown, target: string, code: string, message: string, id?: string): string {
  return JSON.stringify({
    type: "response.steer.failed",
    sequence_number: 0,
    steer: { ...(id === undefined ? {} : { id }), input: input ?? [], previous_response_id: target },
    error: { type: "invalid_request_error", code, message },
  });
}

/** A message's size as it came (Elysia may hand it over parsed already). */
function messageSize(message: unknown): number {
  if (typeof message === "string") return message.length;
  if (message instanceof Uint8Array || message instanceof ArrayBuffer) return message.byteLength;
  return JSON.stringify(message)?.length ?? 0;
}

/** A client message as an object: text (or a binary frame of text) holding JSON, which Elysia may have parsed already. */
function parse(message: unknown): Record<string, unknown> | undefined {
  let value = message;
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) value = new TextDecoder().decode(value);
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
