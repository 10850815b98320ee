import { Elysia } from "elysia";
import type { Config } from "../../config.ts";
import { randomId, nowSeconds } from "../../ids.ts";
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
 * `response.steer` (input queued for a response in flight) is answered `response.steer.failed`
 * with the input given back, as OpenAI answers for a model that cannot be steered: the client sends
 * it with its next `response.create` instead.
 */

type Handle = (request: Request) => Promise<Response>;
type WsError = { type: string; message: string; param: string | null; code: string | null };

/** A `store: false` response kept for the next `previous_response_id`: its input and output, and their size. */
interface Remembered {
  lane: string;
  id: string;
  items: unknown[];
  bytes: number;
}

/** A connection's own state: its responses in flight, its lanes' queues, each lane's latest `store: false` response. */
interface Connection {
  id: string;
  inFlight: Set<AbortController>;
  lanes: Map<string, Promise<void>>;
  /** By lane, the lane remembered last at the end. */
  remembered: Map<string, Remembered>;
  /** The responses in flight (by id, their lane) and the latest ended ones: what a steer may name. */
  active: Map<string, string>;
  ended: Map<string, { lane: string; completed: boolean }>;
  /** The lanes waiting for a full send buffer to drain (or the socket to close). */
  waiting: (() => void)[];
  close(code: number, reason: string): void;
}

/** Handshake headers that are the connection's, not a request's. */
const NOT_FORWARDED = new Set(["host", "connection", "upgrade", "content-length", "content-type", "transfer-encoding", "origin"]);
/** Client messages that need no answer (Codex's acknowledgement of a finished response). */
const IGNORED = new Set(["response.processed"]);

const asItems = (input: unknown): unknown[] => (input === undefined || input === null ? [] : Array.isArray(input) ? input : [{ role: "user", content: input }]);
const sizeOf = (items: unknown[]) => JSON.stringify(items).length;
/** Lanes a connection remembers a response for, at most. */
const MAX_REMEMBERED = 64;

export function responsesWebSocket(config: Pick<Config, "maxBodyBytes" | "corsAllowedOrigins">, handle: () => Handle) {
  const connections = new Map<string, Connection>();

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
      connections.set(ws.id, { id: ws.id, inFlight: new Set(), lanes: new Map(), remembered: new Map(), active: new Map(), ended: new Map(), waiting: [], close: (code, reason) => ws.close(code, reason) });
    },
    close(ws) {
      const connection = connections.get(ws.id);
      connections.delete(ws.id);
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
      // A steer names a response in flight: it waits for no lane.
      if (event?.type === "response.steer") return steer(ws as unknown as Socket, connection, event);
      const lane = typeof event?.stream_id === "string" ? event.stream_id : "";
      // One lane's messages one after another, in the order they came.
      const previous = connection.lanes.get(lane) ?? Promise.resolve();
      const next = previous.then(() => respond(ws as unknown as Socket, connection, event, lane));
      connection.lanes.set(lane, next);
      void next.finally(() => {
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
        if (sent === -1) return drained();
        if (sent > 0 || ws.raw.getBufferedAmount() === 0) return; // sent, or dropped with nothing queued: the socket is closing
        await drained();
      }
    };
    const refuse = (status: number, error: WsError) => send(JSON.stringify({ type: "error", status, error }));
    if (event === undefined) return refuse(400, { type: "invalid_request_error", message: "Expected a JSON object with a type.", param: null, code: null });
    if (IGNORED.has(String(event.type))) return;
    if (event.type !== "response.create") {
      return refuse(400, { type: "invalid_request_error", message: `Invalid 'type': unknown event type '${String(event.type)}'; this gateway takes response.create.`, param: "type", code: null });
    }
    const { type: _type, stream_id: _lane, generate, ...params } = event;
    if (params.background === true) return refuse(400, { type: "invalid_request_error", message: "Invalid 'background': background responses are not supported over WebSocket.", param: "background", code: null });
    // A lane's latest store: false response (this lane's, or another's: a fork), continued as OpenAI's WebSocket mode does.
    const remembered = typeof params.previous_response_id === "string" ? rememberedById(connection, params.previous_response_id) : undefined;
    // An error forgets the response it continued, as OpenAI drops it from its cache.
    const forget = () => {
      if (remembered !== undefined && connection.remembered.get(remembered.lane) === remembered) connection.remembered.delete(remembered.lane);
    };
    if (remembered !== undefined) {
      params.input = [...remembered.items, ...asItems(params.input)];
      delete params.previous_response_id;
    }
    if (generate === false) return warmUp(send, connection, lane, params);
    const controller = new AbortController();
    connection.inFlight.add(controller);
    let id: string | undefined;
    let completed = false;
    try {
      const headers = new Headers({ "content-type": "application/json" });
      ws.data.request.headers.forEach((value, name) => {
        if (!NOT_FORWARDED.has(name) && !name.startsWith("sec-websocket-")) headers.set(name, value);
      });
      const request = new Request("http://ollaix.internal/v1/responses", { method: "POST", headers, body: JSON.stringify({ ...params, stream: true }), signal: controller.signal });
      const answer = await handle()(request);
      if (!answer.headers.get("content-type")?.startsWith("text/event-stream")) {
        forget();
        const body = (await answer.json().catch(() => undefined)) as { error?: WsError } | undefined;
        return await refuse(answer.status, body?.error ?? { type: "api_error", message: "The request failed.", param: null, code: null });
      }
      for await (const sse of parseSse(answer.body!)) {
        if (controller.signal.aborted) break;
        if (sse.event === "response.created") connection.active.set((id = (JSON.parse(sse.data) as { response: { id: string } }).response.id), lane);
        await send(sse.data);
        if (sse.event === "response.completed" || sse.event === "response.incomplete") {
          completed = true;
          remember(connection, lane, params, (JSON.parse(sse.data) as { response: Ended }).response);
        } else if (sse.event === "response.failed") forget();
      }
    } catch {
      forget();
      if (!controller.signal.aborted) await refuse(500, { type: "api_error", message: "The server had an error while processing your request.", param: null, code: "internal_error" });
    } finally {
      connection.inFlight.delete(controller);
      if (id !== undefined) ended(connection, id, lane, completed);
    }
  }

  /** A response no longer in flight, kept among the latest ended ones (a steer naming it comes too late). */
  function ended(connection: Connection, id: string, lane: string, completed: boolean): void {
    connection.active.delete(id);
    connection.ended.set(id, { lane, completed });
    if (connection.ended.size > MAX_REMEMBERED) connection.ended.delete(connection.ended.keys().next().value!);
  }

  /** Every lane waiting on a full send buffer goes on (the buffer drained, or the socket closed). */
  function wake(connection: Connection): void {
    const waiting = connection.waiting;
    connection.waiting = [];
    for (const resolve of waiting) resolve();
  }

  /**
   * `response.steer`: this gateway steers no response, so the input comes back in
   * `response.steer.failed` (OpenAI's answer for a model that cannot be steered), on the target's lane;
   * a response that has ended, or that this connection does not have, is failed with OpenAI's codes.
   */
  function steer(ws: Socket, connection: Connection, event: Record<string, unknown>): void {
    const target = event.previous_response_id;
    const input = event.input;
    const running = typeof target === "string" ? connection.active.get(target) : undefined;
    const ended = typeof target === "string" ? (connection.ended.get(target) ?? rememberedById(connection, target)) : undefined;
    // The target's lane, when it is known: its events' lane.
    const lane = running ?? ended?.lane;
    const [code, message] =
      typeof target !== "string" || !((typeof input === "string" && input !== "") || (Array.isArray(input) && input.length > 0))
        ? ["invalid_input", "A steer needs 'previous_response_id' and a non-empty 'input'."]
        : running !== undefined
          ? ["steering_not_supported", "This gateway cannot steer a response in flight: send the input with the next response.create."]
          : ended === undefined
            ? ["response_not_found", `Response '${target}' is not available on this connection.`]
            : "completed" in ended && !ended.completed
              ? ["response_not_active", `Response '${target}' failed or was stopped: send the input with the next response.create.`]
              : ["response_already_completed", `Response '${target}' has already ended: send the input with the next response.create.`];
    const failed = {
      type: "response.steer.failed",
      sequence_number: 0,
      steer: { input: input ?? [], previous_response_id: typeof target === "string" ? target : "" },
      error: { type: "invalid_request_error", code, message },
      ...(lane ? { stream_id: lane } : {}),
    };
    ws.send(JSON.stringify(failed));
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
    kept.delete(lane);
    if (response.store) return;
    const items = [...asItems(params.input), ...response.output];
    const bytes = sizeOf(items);
    if (bytes > config.maxBodyBytes) return;
    let total = bytes;
    for (const other of kept.values()) total += other.bytes;
    for (const [other, entry] of kept) {
      if (total <= config.maxBodyBytes && kept.size < MAX_REMEMBERED) break;
      kept.delete(other);
      total -= entry.bytes;
    }
    kept.set(lane, { lane, id: response.id, items, bytes });
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
