/**
 * The plugin end to end (tests/ollama/e2e.ts): discovery, chat with and without streaming,
 * embeddings and errors, driven by the official `openai` SDK against a fake Ollama that records
 * each request, so every test checks the translation both ways.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type OpenAI from "openai";
import type { FakeServer } from "../../tests/helpers/fake-server.ts";
import { expectOpenAI } from "../../tests/helpers/openai-schema.ts";
import { apiError, defaultRoutes, startOllamaE2E, type OllamaE2E } from "../../tests/ollama/e2e.ts";
import {
  aborted,
  chatLine,
  fixture,
  fixtureLines,
  heldResponse,
  json,
  ndjsonResponse,
  ollamaError,
} from "../../tests/ollama/fake-ollama.ts";

let e2e: OllamaE2E;
let fake: FakeServer;
let client: OpenAI;

beforeAll(async () => {
  e2e = await startOllamaE2E();
  ({ fake, client } = e2e);
});
afterAll(() => e2e.close());
afterEach(() => e2e.reset());

/** The `/api/chat` bodies the fake received during the test. */
const chatBodies = () => e2e.chatBodies();

describe("discovery", () => {
  test("/v1/models lists dummy and every Ollama model with its details", async () => {
    const page = await client.models.list();
    const byId = Object.fromEntries(page.data.map((m) => [m.id, m as unknown as Record<string, unknown>]));
    expect(Object.keys(byId)).toEqual(["dummy-model:1.0", "deepseek-r1:latest", "llama3.2:latest", "gpt-oss:20b"]);
    expect(byId["llama3.2:latest"]).toMatchObject({
      object: "model",
      owned_by: "ollama",
      created: Math.floor(Date.parse("2025-05-04T17:37:44.706-07:00") / 1000),
      family: "llama",
      parameter_size: "3.2B",
      quantization_level: "Q4_K_M",
      context_length: 8192,
      capabilities: ["completion", "vision"],
    });
    expect(byId["deepseek-r1:latest"]).toMatchObject({ owned_by: "ollama", family: "qwen2", capabilities: ["completion", "thinking"] });
    expect(byId["deepseek-r1:latest"]!.context_length).toBeUndefined();
    const listing = await (await fetch(`${e2e.gw.url}/v1/models`)).json();
    expectOpenAI("ListModelsResponse", listing);
  });
});

describe("chat, not streamed", () => {
  test("roles, options and the answer translate exactly", async () => {
    const completion = await client.chat.completions.create({
      model: "llama3.2:latest",
      messages: [
        { role: "developer", content: "Be brief." },
        { role: "system", content: "You are a helpful assistant." },
        { role: "user", content: [{ type: "text", text: "why is" }, { type: "text", text: "the sky blue?" }] },
        { role: "assistant", content: "Rayleigh scattering." },
        { role: "user", content: "and at sunset?" },
      ],
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 50,
      max_completion_tokens: 64,
      stop: "\n\n",
      seed: 101,
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
      user: "someone",
    });
    expect(chatBodies()).toEqual([
      {
        model: "llama3.2:latest",
        messages: [
          { role: "system", content: "Be brief." },
          { role: "system", content: "You are a helpful assistant." },
          { role: "user", content: "why is\nthe sky blue?" },
          { role: "assistant", content: "Rayleigh scattering." },
          { role: "user", content: "and at sunset?" },
        ],
        stream: false,
        options: { temperature: 0.2, top_p: 0.9, num_predict: 64, stop: ["\n\n"], seed: 101, presence_penalty: 0.5, frequency_penalty: 0.25 },
      },
    ]);
    const request = fake.requests.find((r) => r.path === "/api/chat")!;
    expect(request.headers["x-ollaix-hops"]).toBe("1");
    expect(request.headers["x-request-id"]).toBeString();
    expect(completion.model).toBe("llama3.2:latest");
    expect(completion.id).toStartWith("chatcmpl-");
    expect(completion.choices).toEqual([
      { index: 0, message: { role: "assistant", content: "Hello! How are you today?", refusal: null }, logprobs: null, finish_reason: "stop" },
    ]);
    expect(completion.usage).toEqual({ prompt_tokens: 26, completion_tokens: 298, total_tokens: 324 });
    expectOpenAI("CreateChatCompletionResponse", completion);
  });

  test("a cached prompt an older Ollama sends no prompt_eval_count for is estimated (the prompt was read), not 0; its eval_count is kept", async () => {
    const { prompt_eval_count: _, ...cached } = fixture("chat.json");
    fake.handle(defaultRoutes({ "POST /api/chat": () => json(cached) }));
    const completion = await client.chat.completions.create({ model: "llama3.2:latest", messages: [{ role: "user", content: "Hello! ".repeat(40) }] });
    expect(completion.usage).toEqual({ prompt_tokens: 70, completion_tokens: 298, total_tokens: 368 });
  });

  test("done_reason length is finish_reason length", async () => {
    fake.handle(defaultRoutes({ "POST /api/chat": () => json({ ...fixture("chat.json"), done_reason: "length" }) }));
    const completion = await client.chat.completions.create({ model: "llama3.2:latest", messages: [{ role: "user", content: "Hello!" }], max_tokens: 5 });
    expect(completion.choices[0]!.finish_reason).toBe("length");
    expect((chatBodies()[0]!.options as Record<string, unknown>).num_predict).toBe(5);
  });

  test("ollama/<name> reaches a model the list does not show", async () => {
    const completion = await client.chat.completions.create({ model: "ollama/mistral:7b", messages: [{ role: "user", content: "Hello!" }] });
    expect(chatBodies()[0]!.model).toBe("mistral:7b");
    expect(completion.model).toBe("ollama/mistral:7b");
  });
});

describe("chat, streamed", () => {
  test("NDJSON lines become OpenAI chunks, then the finish chunk and the usage chunk", async () => {
    fake.handle(defaultRoutes({
      "POST /api/chat": () => ndjsonResponse([fixtureLines("chat-stream.ndjson")[0], chatLine({ content: " sky is blue." }), fixtureLines("chat-stream.ndjson")[1]]),
    }));
    const stream = await client.chat.completions.create({
      model: "llama3.2:latest",
      messages: [{ role: "user", content: "why is the sky blue?" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chatBodies()).toEqual([{ model: "llama3.2:latest", messages: [{ role: "user", content: "why is the sky blue?" }], stream: true }]);
    expect(chunks.map((c) => [c.choices[0]?.delta, c.choices[0]?.finish_reason])).toEqual([
      [{ role: "assistant", content: "The" }, null],
      [{ content: " sky is blue." }, null],
      [{}, "stop"],
      [undefined, undefined],
    ]);
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 26, completion_tokens: 282, total_tokens: 308 });
    for (const chunk of chunks) {
      expect(chunk.model).toBe("llama3.2:latest");
      expectOpenAI("CreateChatCompletionStreamResponse", chunk);
    }
  });

  test("without include_usage no usage chunk reaches the client", async () => {
    fake.handle(defaultRoutes({ "POST /api/chat": () => ndjsonResponse(fixtureLines("chat-stream.ndjson")) }));
    const stream = await client.chat.completions.create({ model: "llama3.2:latest", messages: [{ role: "user", content: "Hi" }], stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.finish_reason)).toEqual([null, "stop"]);
    expect(chunks.every((c) => c.usage === undefined)).toBe(true);
  });
});

describe("embeddings", () => {
  test("a string input is sent as a string, with usage from prompt_eval_count", async () => {
    fake.handle(defaultRoutes({ "POST /api/embed": () => json(fixture("embed.json")) }));
    const result = await client.embeddings.create({ model: "ollama/all-minilm", input: "Why is the sky blue?", encoding_format: "float" });
    expect(fake.requests.find((r) => r.path === "/api/embed")!.body).toEqual({ model: "all-minilm", input: "Why is the sky blue?" });
    expect(result.data.map((d) => d.embedding)).toEqual(fixture<{ embeddings: number[][] }>("embed.json").embeddings);
    expect(result.usage).toEqual({ prompt_tokens: 8, total_tokens: 8 });
    expect(result.model).toBe("ollama/all-minilm");
  });

  test("an array input is sent as an array, dimensions included; no count means usage 0", async () => {
    fake.handle(defaultRoutes({ "POST /api/embed": () => json(fixture("embed-multiple.json")) }));
    const result = await client.embeddings.create({ model: "ollama/all-minilm", input: ["Why is the sky blue?", "Why is the grass green?"], dimensions: 10, encoding_format: "float" });
    expect(fake.requests.find((r) => r.path === "/api/embed")!.body).toEqual({ model: "all-minilm", input: ["Why is the sky blue?", "Why is the grass green?"], dimensions: 10 });
    expect(result.data.map((d) => d.index)).toEqual([0, 1]);
    expect(result.data[1]!.embedding).toEqual(fixture<{ embeddings: number[][] }>("embed-multiple.json").embeddings[1]!);
    expect(result.usage).toEqual({ prompt_tokens: 0, total_tokens: 0 });
  });
});

describe("errors", () => {
  test("Ollama's model not found is 404 model_not_found naming the requested id", async () => {
    fake.handle(defaultRoutes({ "POST /api/chat": () => ollamaError(404, `model "nope" not found, try pulling it first`) }));
    for (const stream of [false, true]) {
      const error = await apiError(client.chat.completions.create({ model: "ollama/nope", messages: [{ role: "user", content: "Hi" }], stream }));
      expect(error.status).toBe(404);
      expect(error.code).toBe("model_not_found");
      expect(error.message).toBe("The model 'ollama/nope' does not exist or you do not have access to it.");
    }
  });

  test("another Ollama 4xx is a 400 with its message; a 5xx is 502", async () => {
    fake.handle(defaultRoutes({ "POST /api/chat": () => ollamaError(400, `"llama3.2:latest" does not support thinking`) }));
    const invalid = await apiError(client.chat.completions.create({ model: "llama3.2:latest", messages: [{ role: "user", content: "Hi" }] }));
    expect([invalid.status, invalid.type, invalid.message]).toEqual([400, "invalid_request_error", `"llama3.2:latest" does not support thinking`]);
    fake.handle(defaultRoutes({ "POST /api/chat": () => ollamaError(500, "llama runner process has terminated") }));
    const upstream = await apiError(client.chat.completions.create({ model: "llama3.2:latest", messages: [{ role: "user", content: "Hi" }] }));
    expect([upstream.status, upstream.code]).toEqual([502, "upstream_error"]);
  });

  test("a 429's Retry-After (Ollama's, or a proxy's in front of it) is the answer's, streamed or not", async () => {
    fake.handle(defaultRoutes({ "POST /api/chat": () => new Response(JSON.stringify({ error: "too many requests" }), { status: 429, headers: { "content-type": "application/json", "retry-after": "12" } }) }));
    for (const stream of [false, true]) {
      const answer = await fetch(`${e2e.gw.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "llama3.2:latest", messages: [{ role: "user", content: "Hi" }], stream }) });
      expect(answer.status).toBe(429);
      expect(answer.headers.get("retry-after")).toBe("12");
      expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("rate_limit_exceeded");
    }
  });

  test("an {\"error\"} line mid-stream becomes the SSE error event after the chunks already sent", async () => {
    fake.handle(defaultRoutes({ "POST /api/chat": () => ndjsonResponse([chatLine({ content: "The" }), { error: "an error was encountered while running the model" }]) }));
    const stream = await client.chat.completions.create({ model: "llama3.2:latest", messages: [{ role: "user", content: "Hi" }], stream: true });
    const contents: (string | null | undefined)[] = [];
    const error = await apiError((async () => {
      for await (const chunk of stream) contents.push(chunk.choices[0]?.delta.content);
    })());
    expect(contents).toEqual(["The"]);
    expect(error.message).toContain("Ollama reported an error: an error was encountered while running the model");
    expect(error.code).toBe("upstream_error");
  });

  test("a client that goes away aborts the Ollama request", async () => {
    fake.handle(defaultRoutes({ "POST /api/chat": () => heldResponse([chatLine({ content: "The" })]) }));
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: "llama3.2:latest", messages: [{ role: "user", content: "Hi" }], stream: true },
      { signal: controller.signal },
    );
    for await (const chunk of stream) {
      expect(chunk.choices[0]!.delta.content).toBe("The");
      break; // leaving the loop aborts the SDK's request
    }
    await aborted(fake.requests.find((r) => r.path === "/api/chat")!.signal);
  });
});
