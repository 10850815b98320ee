import { afterEach, describe, expect, spyOn, test } from "bun:test";
import { fileURLToPath } from "node:url";
import { startFakeServer, type FakeServer } from "../../tests/helpers/fake-server.ts";
import {
  aborted,
  chatLine,
  closedPort,
  doneLine,
  fixture,
  heldResponse,
  json,
  ndjsonResponse,
  ollamaError,
  ollamaRoutes,
} from "../../tests/ollama/fake-ollama.ts";
import { createOllamaClient } from "./client.ts";
import type { UpstreamCall } from "../../src/kit.ts";
import type { OllamaChatRequest, OllamaChatResponse } from "./wire.ts";

let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function serve(routes: Parameters<typeof ollamaRoutes>[0]) {
  fake = startFakeServer(ollamaRoutes(routes));
  return { fake, client: createOllamaClient({ baseUrl: `${fake.url}/`, fetch }) };
}

const scope = (overrides: Partial<UpstreamCall> = {}): UpstreamCall => ({
  signal: new AbortController().signal,
  upstreamHeaders: { "x-ollaix-hops": "2", "x-request-id": "req-1" },
  requestedModel: "llama3.2",
  ...overrides,
});

const BODY: OllamaChatRequest = { model: "llama3.2", messages: [{ role: "user", content: "why is the sky blue?" }], stream: false };

/** Every line, flattened out of the per-read batches. */
async function collect(stream: AsyncIterable<OllamaChatResponse[]>): Promise<OllamaChatResponse[]> {
  const out: OllamaChatResponse[] = [];
  for await (const lines of stream) out.push(...lines);
  return out;
}

async function failure(promise: Promise<unknown>): Promise<{ status?: number; code?: string | null; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { status?: number; code?: string | null; message: string };
  }
  throw new Error("expected a failure");
}

describe("non-streamed calls (ollama-js)", () => {
  test("chat posts the body with stream:false, the hop headers, and returns the checked answer", async () => {
    const { fake, client } = serve({ "POST /api/chat": () => json(fixture("chat.json")) });
    const answer = await client.chat(BODY, scope());
    expect(answer.message?.content).toBe("Hello! How are you today?");
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request!.path).toBe("/api/chat");
    expect(request!.body).toEqual({ ...BODY, stream: false });
    expect(request!.headers["x-ollaix-hops"]).toBe("2");
    expect(request!.headers["x-request-id"]).toBe("req-1");
  });

  test("an image string that names an existing file is sent as is, never read from disk", async () => {
    // The Node entry of ollama-js would read this file and send its bytes (see client.ts).
    const path = fileURLToPath(import.meta.url);
    const { fake, client } = serve({ "POST /api/chat": () => json(fixture("chat.json")) });
    await client.chat({ ...BODY, messages: [{ role: "user", content: "what is this?", images: [path] }] }, scope());
    expect((fake.requests[0]!.body as OllamaChatRequest).messages[0]!.images).toEqual([path]);
  });

  test("list, show, embed and version reach their documented routes", async () => {
    const { fake, client } = serve({
      "GET /api/tags": () => json(fixture("tags.json")),
      "POST /api/show": () => json(fixture("show-llava.json")),
      "POST /api/embed": () => json(fixture("embed.json")),
      "GET /api/version": () => json({ version: "0.5.1" }),
    });
    expect((await client.listModels(scope())).models.map((m) => m.name)).toEqual(["deepseek-r1:latest", "llama3.2:latest"]);
    expect((await client.showModel("llava", scope())).capabilities).toEqual(["completion", "vision"]);
    expect((await client.embed({ model: "all-minilm", input: "Why is the sky blue?" }, scope())).prompt_eval_count).toBe(8);
    expect(await client.version(scope())).toBe("0.5.1");
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /api/tags", "POST /api/show", "POST /api/embed", "GET /api/version"]);
    expect(fake.requests[1]!.body).toEqual({ model: "llava" });
    expect(fake.requests[2]!.body).toEqual({ model: "all-minilm", input: "Why is the sky blue?" });
  });

  test("the request's signal reaches the non-streamed call (ollama-js passes none itself)", async () => {
    const controller = new AbortController();
    const { fake, client } = serve({ "POST /api/chat": async () => new Promise<Response>(() => {}) });
    const pending = failure(client.chat(BODY, scope({ signal: controller.signal })));
    while (fake.requests.length === 0) await Bun.sleep(5);
    const timeout = Object.assign(new Error("The upstream did not answer within 5 ms."), { status: 504, type: "api_error", code: "upstream_timeout" });
    controller.abort(timeout);
    expect(await pending).toBe(timeout);
    await aborted(fake.requests[0]!.signal);
  });

  test("a malformed answer is an UpstreamError", async () => {
    const { client } = serve({ "POST /api/chat": () => json({ message: { content: 42 }, done: true }) });
    const error = await failure(client.chat(BODY, scope()));
    expect(error.status).toBe(502);
    expect(error.message).toBe("Ollama sent a chat response that does not match its documented format (/message/content: Expected string).");
  });

  test("an answer that is not JSON is an UpstreamError", async () => {
    const { client } = serve({ "POST /api/chat": () => new Response("<html>proxy error</html>", { headers: { "content-type": "text/html" } }) });
    const error = await failure(client.chat(BODY, scope()));
    expect(error.status).toBe(502);
    expect(error.message).toBe("Ollama sent a body that is not JSON.");
  });
});

describe("error answers", () => {
  test.each([
    [404, `model "nope" not found, try pulling it first`, 404, "model_not_found", "The model 'ollama/nope' does not exist or you do not have access to it."],
    [400, "invalid options: num_predict", 400, null, "invalid options: num_predict"],
    [500, "llama runner process has terminated", 502, "upstream_error", "Ollama answered HTTP 500: llama runner process has terminated"],
  ])("HTTP %i is mapped (non-streamed and streamed alike)", async (status, message, expected, code, text) => {
    const { client } = serve({ "POST /api/chat": () => ollamaError(status, message) });
    const s = scope({ requestedModel: "ollama/nope" });
    for (const error of [await failure(client.chat(BODY, s)), await failure(collect(client.chatStream(BODY, s)))]) {
      expect(error.status).toBe(expected);
      expect(error.code).toBe(code);
      expect(error.message).toBe(text);
    }
  });

  test("an error answer that is not JSON (a proxy's page, a plain-text 502): its text in the error, and nothing printed on stdout (ollama-js's console.log)", async () => {
    const printed = spyOn(console, "log");
    try {
      const { client } = serve({
        "GET /api/tags": () => new Response("<html><body>502 Bad Gateway</body></html>", { status: 502, headers: { "content-type": "text/html" } }),
        "POST /api/chat": () => new Response("upstream connect error", { status: 503, headers: { "content-type": "text/plain" } }),
        "POST /api/embed": () => new Response("{not json", { status: 500, headers: { "content-type": "application/json" } }),
      });
      const listed = await failure(client.listModels(scope()));
      expect([listed.status, listed.message]).toEqual([502, "Ollama answered HTTP 502: <html><body>502 Bad Gateway</body></html>"]);
      const chatted = await failure(client.chat(BODY, scope()));
      expect(chatted.message).toBe("Ollama answered HTTP 503: upstream connect error");
      const embedded = await failure(client.embed({ model: "m", input: ["x"] }, scope()));
      expect(embedded.message).toBe("Ollama answered HTTP 500: {not json");
      expect(printed).not.toHaveBeenCalled();
    } finally {
      printed.mockRestore();
    }
  });

  test("connection refused is 503 upstream_unavailable", async () => {
    const client = createOllamaClient({ baseUrl: `http://127.0.0.1:${closedPort()}`, fetch });
    for (const error of [await failure(client.listModels(scope())), await failure(collect(client.chatStream(BODY, scope())))]) {
      expect(error.status).toBe(503);
      expect(error.code).toBe("upstream_unavailable");
    }
  });
});

describe("streamed chat (fetch + parseNdjson)", () => {
  test("posts stream:true and yields every line up to done", async () => {
    const lines = [chatLine({ content: "The" }), chatLine({ content: " sky" }), doneLine()];
    const { fake, client } = serve({ "POST /api/chat": () => ndjsonResponse(lines) });
    expect(await collect(client.chatStream(BODY, scope()))).toEqual(lines as never);
    expect(fake.requests[0]!.body).toEqual({ ...BODY, stream: true });
    expect(fake.requests[0]!.headers["x-ollaix-hops"]).toBe("2");
  });

  test("an {\"error\"} line inside a 200 stream is an UpstreamError, not content", async () => {
    const { client } = serve({
      "POST /api/chat": () => ndjsonResponse([chatLine({ content: "The" }), { error: "an error was encountered while running the model" }]),
    });
    const seen: OllamaChatResponse[] = [];
    const error = await failure((async () => {
      for await (const lines of client.chatStream(BODY, scope())) seen.push(...lines);
    })());
    expect(seen).toHaveLength(1);
    expect(error.status).toBe(502);
    expect(error.message).toBe("Ollama reported an error: an error was encountered while running the model");
  });

  test("a malformed line is an UpstreamError, not skipped", async () => {
    const { client } = serve({
      "POST /api/chat": () => new Response(`${JSON.stringify(chatLine({ content: "The" }))}\n{"message":\n`, { headers: { "content-type": "application/x-ndjson" } }),
    });
    const error = await failure(collect(client.chatStream(BODY, scope())));
    expect(error.status).toBe(502);
    expect(error.message).toStartWith("The upstream sent a malformed stream line");
  });

  test("a stream that ends without done is an UpstreamError", async () => {
    const { client } = serve({ "POST /api/chat": () => ndjsonResponse([chatLine({ content: "The" })]) });
    const error = await failure(collect(client.chatStream(BODY, scope())));
    expect(error.status).toBe(502);
    expect(error.message).toBe("The Ollama stream ended before its final message (`done: true`).");
  });

  test("aborting the signal aborts the upstream request and reports the abort reason", async () => {
    const controller = new AbortController();
    const { fake, client } = serve({ "POST /api/chat": () => heldResponse([chatLine({ content: "The" })]) });
    const stream = client.chatStream(BODY, scope({ signal: controller.signal }));
    expect((await stream.next()).value?.[0]?.message?.content).toBe("The");
    const reason = new Error("The client closed the connection.");
    const next = failure(stream.next());
    controller.abort(reason);
    expect(await next).toBe(reason);
    await aborted(fake.requests[0]!.signal);
  });

  test("stopping early cancels the upstream request", async () => {
    const { fake, client } = serve({ "POST /api/chat": () => heldResponse([chatLine({ content: "The" })]) });
    const stream = client.chatStream(BODY, scope());
    await stream.next();
    await stream.return(undefined);
    await aborted(fake.requests[0]!.signal);
  });
});
