import { afterAll, afterEach } from "bun:test";
import { sseEvents, streamBody, type FakeServer, type RecordedRequest } from "../../../tests/helpers/fake-server.ts";
import { COMPLETION, EMBEDDINGS, MODEL_LIST, TEXT_CHUNKS, TEXT_CHUNKS_WITH_USAGE, TOOL_CALL_CHUNKS, TOOL_CALL_COMPLETION } from "./openai-wire.ts";

export const jsonResponse = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  Response.json(body, { status, headers });

/** An SSE answer as OpenAI frames it: one `data:` event per object, then `data: [DONE]`. */
export const sseResponse = (events: readonly unknown[], options: { done?: boolean; delayMs?: number } = {}) =>
  new Response(streamBody(sseEvents(events, options.done ?? true), options.delayMs ?? 0), {
    headers: { "content-type": "text/event-stream; charset=utf-8" },
  });

interface ChatBody {
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  tools?: unknown[];
  input?: unknown;
}

/** A model the fake serves (`GET /v1/models/{id}` answers it) but does not list. */
export const UNLISTED_MODEL = "some-unlisted-model";

/** OpenAI's `GET /models/{model}`: the model object, or its 404 for a model it does not serve. */
function retrieveModel(id: string): Response {
  const listed = MODEL_LIST.data.find((m) => m.id === id);
  if (listed) return jsonResponse(listed);
  if (id === UNLISTED_MODEL) return jsonResponse({ id, object: "model", created: 1700000000, owned_by: "system" });
  return jsonResponse(
    {
      error: {
        message: `The model '${id}' does not exist or you do not have access to it.`,
        type: "invalid_request_error",
        param: null,
        code: "model_not_found",
      },
    },
    404,
  );
}

/**
 * An OpenAI server under `/v1` answering from the fixtures: the model list, one model, chat completions
 * (tool calls when the request has tools; the usage chunk only when asked) and embeddings (one
 * vector per input). Anything else is OpenAI's 404 for an unknown URL.
 */
export function openAIHandler(request: RecordedRequest): Response {
  const body = (request.body ?? {}) as ChatBody;
  const route = `${request.method} ${request.path}`;
  if (route.startsWith("GET /v1/models/")) return retrieveModel(decodeURIComponent(request.path.slice("/v1/models/".length)));
  switch (route) {
    case "GET /v1/models":
      return jsonResponse(MODEL_LIST);
    case "POST /v1/chat/completions": {
      const hasTools = Array.isArray(body.tools) && body.tools.length > 0;
      if (body.stream !== true) return jsonResponse(hasTools ? TOOL_CALL_COMPLETION : COMPLETION);
      if (hasTools) return sseResponse(TOOL_CALL_CHUNKS);
      return sseResponse(body.stream_options?.include_usage ? TEXT_CHUNKS_WITH_USAGE : TEXT_CHUNKS);
    }
    case "POST /v1/embeddings": {
      const count = Array.isArray(body.input) && typeof body.input[0] !== "number" ? body.input.length : 1;
      const data = Array.from({ length: count }, (_, index) => ({ ...EMBEDDINGS.data[index % EMBEDDINGS.data.length]!, index }));
      return jsonResponse({ ...EMBEDDINGS, data });
    }
    default:
      return jsonResponse(
        { error: { message: `Invalid URL (${route})`, type: "invalid_request_error", param: null, code: null } },
        404,
      );
  }
}

/** Headers every fetch adds on its own (transport), left out when tests compare what the plugin sent. */
const TRANSPORT_HEADERS = new Set(["host", "connection", "content-length", "accept-encoding", "user-agent"]);

export function sentHeaders(request: RecordedRequest): Record<string, string> {
  return Object.fromEntries(Object.entries(request.headers).filter(([name]) => !TRANSPORT_HEADERS.has(name)));
}

/**
 * The hooks of a file that runs one gateway against one fake OpenAI server: after each test the fake
 * answers as OpenAI again and forgets what it received; after all of them both close.
 */
export function resetBetweenTests(fake: () => FakeServer, gateway: () => { close(): Promise<void> }): void {
  afterEach(() => {
    fake().handle(openAIHandler);
    fake().requests.length = 0;
  });
  afterAll(async () => {
    await gateway().close();
    await fake().close();
  });
}
