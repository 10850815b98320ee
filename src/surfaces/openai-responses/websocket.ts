import { Elysia } from "elysia";
import type { Config } from "../../config.ts";
import { parseSse } from "../../sse-parse.ts";

/**
 * OpenAI Responses' WebSocket mode (`wss://…/v1/responses`: Codex's preferred transport, the openai
 * SDK's `ResponsesWS`, the Agents SDK's WebSocket sessions). Each `response.create` message is the
 * body of a `POST /v1/responses` with `stream` implied: it is made as that request (through the same
 * app, with the connection's own credentials, so keys, limits, metrics and logs are the route's),
 * and its stream events go back as text messages, carrying the message's `stream_id` if it had one;
 * a refusal is an `error` message with its `status`. Responses run side by side; a connection that
 * closes aborts its own.
 *
 * As OpenAI's WebSocket mode does, the connection remembers its latest `store: false` response: a
 * `previous_response_id` naming it continues it (its input and output before the new input), though
 * nothing was stored. `background` is refused, as OpenAI refuses it there.
 */

type Handle = (request: Request) => Promise<Response>;

/** A connection's own state: its responses in flight, and its latest `store: false` response. */
interface Connection {
  inFlight: Set<AbortController>;
  last?: { id: string; items: unknown[] };
}

/** The headers of the connection's handshake that the requests it makes carry (credentials, a client's own ids). */
const FORWARDED = ["authorization", "x-api-key", "anthropic-version", "openai-organization", "openai-project", "user-agent", "traceparent", "tracestate"];

const asItems = (input: unknown): unknown[] => (input === undefined || input === null ? [] : Array.isArray(input) ? input : [{ role: "user", content: input }]);

export function responsesWebSocket(config: Pick<Config, "maxBodyBytes">, handle: () => Handle) {
  const connections = new Map<string, Connection>();

  return new Elysia({ name: "ollaix:responses-ws" }).ws("/v1/responses", {
    // An OpenAPI document has no WebSocket operations: the README describes the mode.
    detail: { hide: true },
    maxPayloadLength: config.maxBodyBytes,
    idleTimeout: 960, // the longest Bun takes (s): a connection between turns waits, as Codex's do
    open(ws) {
      connections.set(ws.id, { inFlight: new Set() });
    },
    close(ws) {
      const connection = connections.get(ws.id);
      connections.delete(ws.id);
      for (const controller of connection?.inFlight ?? []) controller.abort();
    },
    async message(ws, message) {
      const connection = connections.get(ws.id);
      if (!connection) return;
      const send = (event: Record<string, unknown>) => void ws.send(JSON.stringify(event));
      const event = (typeof message === "string" ? safeParse(message) : message) as Record<string, unknown> | undefined;
      const streamId = typeof event?.stream_id === "string" ? event.stream_id : undefined;
      const refuse = (status: number, error: { type: string; message: string; param: string | null; code: string | null }) =>
        send({ type: "error", status, error, ...(streamId === undefined ? {} : { stream_id: streamId }) });
      if (typeof event !== "object" || event === null || Array.isArray(event)) {
        return refuse(400, { type: "invalid_request_error", message: "Expected a JSON object with a type.", param: null, code: null });
      }
      if (event.type !== "response.create") {
        return refuse(400, { type: "invalid_request_error", message: `Invalid 'type': unknown event type '${String(event.type)}'; this gateway takes response.create.`, param: "type", code: null });
      }
      const { type: _type, stream_id: _streamId, ...params } = event;
      if (params.background === true) return refuse(400, { type: "invalid_request_error", message: "Invalid 'background': background responses are not supported over WebSocket.", param: "background", code: null });
      // The connection's latest store: false response, continued as OpenAI's WebSocket mode does.
      if (connection.last !== undefined && params.previous_response_id === connection.last.id) {
        params.input = [...connection.last.items, ...asItems(params.input)];
        delete params.previous_response_id;
      }
      const controller = new AbortController();
      connection.inFlight.add(controller);
      try {
        const headers = new Headers({ "content-type": "application/json" });
        const handshake = (ws.data as { request: Request }).request.headers;
        for (const name of FORWARDED) {
          const value = handshake.get(name);
          if (value !== null) headers.set(name, value);
        }
        const request = new Request("http://ollaix.internal/v1/responses", { method: "POST", headers, body: JSON.stringify({ ...params, stream: true }), signal: controller.signal });
        const answer = await handle()(request);
        if (!answer.headers.get("content-type")?.startsWith("text/event-stream")) {
          const body = (await answer.json().catch(() => undefined)) as { error?: { type: string; message: string; param: string | null; code: string | null } } | undefined;
          return refuse(answer.status, body?.error ?? { type: "api_error", message: "The request failed.", param: null, code: null });
        }
        const suffix = streamId === undefined ? "" : `,"stream_id":${JSON.stringify(streamId)}}`;
        for await (const sse of parseSse(answer.body!)) {
          if (controller.signal.aborted) break;
          ws.send(suffix === "" ? sse.data : sse.data.slice(0, -1) + suffix);
          if (sse.event === "response.completed" || sse.event === "response.incomplete") {
            const response = (JSON.parse(sse.data) as { response: { id: string; store: boolean; output: unknown[] } }).response;
            // Remembered only when nothing was stored: a stored one is continued from the store, as over HTTP.
            connection.last = response.store ? undefined : { id: response.id, items: [...asItems(params.input), ...response.output] };
          }
        }
      } catch (error) {
        if (!controller.signal.aborted) refuse(500, { type: "api_error", message: "The server had an error while processing your request.", param: null, code: "internal_error" });
        void error;
      } finally {
        connection.inFlight.delete(controller);
      }
    },
  });
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
