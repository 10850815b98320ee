import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { jsonAnswerInstruction } from "../../plugins/gemini/convert-request.ts";
import { Ollama } from "ollama";
import { json as geminiJson, sse as geminiSse } from "../../plugins/gemini/__fixtures__/fake-gemini.ts";
import { startGeminiGateway, type GeminiGateway } from "../../plugins/gemini/__fixtures__/gemini-gateway.ts";
import parallelCalls from "../../plugins/gemini/__fixtures__/generate-parallel-function-calls.json";
import streamThinking from "../../plugins/gemini/__fixtures__/stream-thinking.events.json";
import { startOllamaE2E, PNG, type OllamaE2E } from "../ollama/e2e.ts";
import { fixture, json as ollamaJson, ollamaError, ollamaRoutes, chatLine, doneLine, ndjsonResponse } from "../ollama/fake-ollama.ts";
import { digestOf } from "../../src/surfaces/ollama-api/models.ts";

/**
 * The Ollama surface in front of the other plugins: an `ollama` client → Ollaix → Gemini (a fake
 * Gemini REST API) and → an upstream Ollama (the fake Ollama). The fakes record what they received.
 */
const tools = [{ type: "function", function: { name: "get_current_temperature", parameters: { type: "object", properties: { location: { type: "string" } } } } }];

describe("Gemini behind the Ollama API", () => {
  let env: GeminiGateway;
  let ollama: Ollama;
  beforeAll(async () => {
    env = await startGeminiGateway();
    ollama = new Ollama({ host: env.gw.url });
  });
  afterAll(() => env.close());
  const bodies = () => env.upstream.calls(":generateContent").map((r) => r.body as Record<string, unknown>);

  test("show: a Gemini chat model's capabilities (tools, vision, thinking), which clients read before sending tools or images", async () => {
    expect((await ollama.show({ model: "gemini-2.5-flash" })).capabilities).toEqual(["completion", "tools", "vision", "thinking"] as never);
    expect((await ollama.show({ model: "gemini-embedding-001" })).capabilities).toEqual(["embedding"] as never);
  });

  test("a model listed without a tag is found by its :latest too, as Ollama's clients write it (show and chat)", async () => {
    expect((await ollama.show({ model: "gemini-2.5-flash:latest" })).capabilities).toContain("completion");
    env.upstream.reset();
    const answer = await ollama.chat({ model: "gemini-2.5-flash:latest", messages: [{ role: "user", content: "hi" }] });
    expect(answer).toMatchObject({ model: "gemini-2.5-flash:latest", done: true });
    expect(env.upstream.calls(":generateContent").at(-1)!.path).toContain("/models/gemini-2.5-flash:generateContent");
  });

  test("options, format schema, think, system, images and tools reach Gemini as its own fields", async () => {
    env.upstream.reset();
    const schema = { type: "object", properties: { a: { type: "string" } } };
    await ollama.chat({
      model: "gemini-2.5-flash",
      think: "high",
      format: schema,
      options: { temperature: 0.3, top_p: 0.8, num_predict: 50, stop: ["X"], seed: 3, presence_penalty: 0.1, frequency_penalty: 0.2 },
      tools,
      messages: [{ role: "system", content: "S" }, { role: "user", content: "hi", images: [PNG] }],
    });
    const [body] = bodies();
    // With tools, Gemini 2.x is told the format (it refuses functions with a JSON answer: the plugin's README note).
    expect(body).toEqual({
      contents: [{ role: "user", parts: [{ text: "hi" }, { inlineData: { mimeType: "image/png", data: PNG } }] }],
      systemInstruction: { parts: [{ text: "S" }, { text: jsonAnswerInstruction(schema) }] },
      tools: [{ functionDeclarations: [{ name: "get_current_temperature", parametersJsonSchema: tools[0]!.function.parameters }] }],
      generationConfig: {
        temperature: 0.3,
        topP: 0.8,
        maxOutputTokens: 50,
        stopSequences: ["X"],
        presencePenalty: 0.1,
        frequencyPenalty: 0.2,
        seed: 3,
        thinkingConfig: { thinkingBudget: 24576, includeThoughts: true },
      },
    });
    // Without tools, the schema holds the answer.
    env.upstream.reset();
    await ollama.chat({ model: "gemini-2.5-flash", format: schema, messages: [{ role: "user", content: "hi" }] });
    expect(bodies()[0]!.generationConfig).toEqual({ responseMimeType: "application/json", responseJsonSchema: schema });
  });

  test("tool results link to their calls, and Gemini's thought signature survives the round trip through the call's id", async () => {
    env.upstream.reset();
    env.upstream.answer(() => geminiJson(parallelCalls));
    const first = await ollama.chat({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "Paris and London?" }], tools });
    expect(first.message.tool_calls!.map((c) => c.function)).toEqual([
      { index: 0, name: "get_current_temperature", arguments: { location: "Paris" } },
      { index: 1, name: "get_current_temperature", arguments: { location: "London" } },
    ] as never);
    env.upstream.answer(() => undefined);
    await ollama.chat({
      model: "gemini-2.5-flash",
      tools,
      messages: [
        { role: "user", content: "Paris and London?" },
        first.message,
        { role: "tool", content: "20", tool_name: "get_current_temperature" },
        { role: "tool", content: "15", tool_name: "get_current_temperature" },
      ],
    });
    const contents = bodies()[1]!.contents as unknown[];
    expect(contents.slice(1)).toEqual([
      {
        role: "model",
        parts: [
          { text: "Let me check both cities." },
          { functionCall: { name: "get_current_temperature", args: { location: "Paris" } }, thoughtSignature: "Cq0BAdHtim+SigA/first/call==" },
          { functionCall: { name: "get_current_temperature", args: { location: "London" } } },
        ],
      },
      {
        role: "user",
        parts: [
          { functionResponse: { name: "get_current_temperature", response: { output: "20" } } },
          { functionResponse: { name: "get_current_temperature", response: { output: "15" } } },
        ],
      },
    ]);
  });

  test("streamed thinking arrives as `thinking`, the answer as `content`", async () => {
    env.upstream.reset();
    env.upstream.answer(() => geminiSse(streamThinking));
    let thinking = "";
    let content = "";
    for await (const part of await ollama.chat({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "Why?" }], think: true, stream: true })) {
      thinking += part.message.thinking ?? "";
      content += part.message.content;
    }
    expect(thinking.length).toBeGreaterThan(0);
    expect(content.length).toBeGreaterThan(0);
    expect(bodies()).toEqual([]);
    expect((env.upstream.calls(":streamGenerateContent")[0]!.body as { generationConfig: unknown }).generationConfig).toMatchObject({ thinkingConfig: { includeThoughts: true } });
  });

  test("an image the plugin cannot take is an error naming the request's own `images` entry, stream or not, chat or generate", async () => {
    env.upstream.reset();
    const bad = "data:text/plain,hi";
    for (const stream of [false, true] as const) {
      const chat = await ollama
        .chat({ model: "gemini-2.5-flash", messages: [{ role: "system", content: "S" }, { role: "user", content: "What are these?", images: [PNG, bad] }], stream: stream as false })
        .catch((e) => e);
      expect(chat.status_code).toBe(400);
      expect(chat.error).toContain("'messages[1].images[1]'");
      expect(chat.error).not.toContain("content[");
      const generate = await ollama.generate({ model: "gemini-2.5-flash", system: "S", prompt: "And these?", images: [bad], stream: stream as false }).catch((e) => e);
      expect(generate.status_code).toBe(400);
      expect(generate.error).toContain("'images[0]'");
    }
    expect(bodies()).toEqual([]);
  });
});

describe("an upstream Ollama behind the Ollama API (pass-through)", () => {
  let env: OllamaE2E;
  let ollama: Ollama;
  beforeAll(async () => {
    env = await startOllamaE2E();
    ollama = new Ollama({ host: env.gw.url });
  });
  afterAll(() => env.close());

  test("tags and show pass on what the upstream reported: size, details, capabilities, context length", async () => {
    const { models } = await ollama.list();
    const llama = models.find((m) => m.name === "llama3.2:latest")!;
    expect(llama).toMatchObject({ model: "llama3.2:latest", size: 2019393189, details: { format: "gguf", family: "llama", parameter_size: "3.2B", quantization_level: "Q4_K_M" } });
    const shown = await ollama.show({ model: "llama3.2:latest" });
    expect(shown.capabilities).toEqual(["completion", "vision"]);
    expect(shown.model_info).toMatchObject({ "general.architecture": "llama", "llama.context_length": 8192 });
  });

  test("thinking, tool calls, tool results and images come through unchanged", async () => {
    env.reset();
    env.fake.handle(ollamaRoutes({ ...defaultTags(), "POST /api/chat": () => ollamaJson(fixture("chat-tools.json")) }));
    const messages = [
      { role: "user", content: "Weather in Tokyo? See the map.", images: [PNG] },
      { role: "assistant", content: "", thinking: "Need the weather tool.", tool_calls: [{ function: { name: "get_weather", arguments: { city: "Tokyo" } } }] },
      { role: "tool", content: "25°C", tool_name: "get_weather" },
    ];
    const answer = await ollama.chat({ model: "llama3.2:latest", messages, think: true, tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }] });
    // The plugin names the upstream's id-less call; the id rides along.
    expect(answer.message.tool_calls!.map((c) => c.function)).toEqual([{ index: 0, name: "get_weather", arguments: { city: "Tokyo" } }] as never);
    const [sent] = env.chatBodies();
    expect(sent!.messages).toEqual([
      { role: "user", content: "Weather in Tokyo? See the map.", images: [PNG] },
      { role: "assistant", content: "", thinking: "Need the weather tool.", tool_calls: [{ function: { name: "get_weather", arguments: { city: "Tokyo" } } }] },
      { role: "tool", content: "25°C", tool_name: "get_weather" },
    ]);
    expect(sent!.think).toBe(true);
  });

  test("an Ollama client's Modelfile options and keep_alive reach its Ollama as sent, mapped ones with them", async () => {
    env.reset();
    env.fake.handle(ollamaRoutes({ ...defaultTags(), "POST /api/chat": () => ollamaJson(fixture("chat.json")) }));
    await ollama.chat({ model: "llama3.2:latest", messages: [{ role: "user", content: "Hi" }], keep_alive: "10m", options: { num_ctx: 16384, top_k: 20, repeat_penalty: 1.1, min_p: 0.05, temperature: 0.3, num_predict: 50 } });
    expect(env.chatBodies().at(-1)).toMatchObject({
      keep_alive: "10m",
      options: { num_ctx: 16384, top_k: 20, repeat_penalty: 1.1, min_p: 0.05, temperature: 0.3, num_predict: 50 },
    });
    // Through the OpenAI surface there are none: the chat request has no field for them.
    await env.client.chat.completions.create({ model: "llama3.2:latest", messages: [{ role: "user", content: "Hi" }], temperature: 0.3 });
    const sent = env.chatBodies().at(-1)!;
    expect(sent.options).toEqual({ temperature: 0.3 });
    expect(sent).not.toHaveProperty("keep_alive");
  });

  test("a load (nothing to generate) reaches its Ollama, and so does an unload (keep_alive 0, what `ollama stop` sends); its refusal is the client's; the dummy has nothing to load", async () => {
    env.reset();
    const loadAnswer = (body: { model: string; keep_alive?: unknown }) =>
      ollamaJson({ model: body.model, created_at: "2026-12-02T10:00:00Z", response: "", done: true, done_reason: body.keep_alive === 0 ? "unload" : "load" });
    env.fake.handle(ollamaRoutes({ ...defaultTags(), "POST /api/generate": (request) => loadAnswer(request.body as never) }));
    expect(await ollama.generate({ model: "llama3.2", prompt: "", keep_alive: "10m", options: { num_ctx: 32768 } })).toMatchObject({ model: "llama3.2", done: true, done_reason: "load", response: "" });
    expect(await ollama.chat({ model: "llama3.2:latest", messages: [], keep_alive: 0 })).toMatchObject({ done: true, done_reason: "unload", message: { content: "" } });
    expect(await ollama.generate({ model: "llama3.2:latest", prompt: "" })).toMatchObject({ done: true, done_reason: "load" });
    const sent = () => env.fake.requests.filter((r) => r.path === "/api/generate").map((r) => r.body);
    expect(sent()).toEqual([
      // A preload's Modelfile options are those the model is loaded with (its context length).
      { model: "llama3.2:latest", prompt: "", stream: false, keep_alive: "10m", options: { num_ctx: 32768 } },
      { model: "llama3.2:latest", prompt: "", stream: false, keep_alive: 0 },
      { model: "llama3.2:latest", prompt: "", stream: false },
    ]);
    // Ollama cannot load it: the client is told why, in Ollama's envelope.
    env.fake.handle(ollamaRoutes({ ...defaultTags(), "POST /api/generate": () => ollamaError(500, "model requires more system memory (12.0 GiB) than is available (4.0 GiB)") }));
    const refused = await ollama.generate({ model: "llama3.2:latest", prompt: "" }).then(() => undefined, (e: { status_code: number; error: string }) => e);
    expect(refused?.status_code).toBe(502);
    expect(refused?.error).toContain("model requires more system memory");
    // Ollama does not have it: its 404, in Ollama's words.
    env.fake.handle(ollamaRoutes({ ...defaultTags(), "POST /api/generate": () => ollamaError(404, "model 'llama3.2:latest' not found") }));
    expect(await ollama.generate({ model: "llama3.2:latest", prompt: "" }).catch((e) => [e.status_code, e.error])).toEqual([404, "model 'llama3.2:latest' not found"]);
    // The built-in model has nothing to load: answered at once, nothing sent upstream.
    env.fake.requests.length = 0;
    expect(await ollama.generate({ model: "dummy-model:1.0", prompt: "", keep_alive: 0 })).toMatchObject({ done: true, done_reason: "unload" });
    expect(sent()).toEqual([]);
  });

  test("ps lists what its Ollama holds in memory, under the gateway's ids (an unknown one by its instance's form); an Ollama that cannot answer is left out", async () => {
    env.reset();
    const running = (name: string, extra: Record<string, unknown> = {}) => ({
      name, model: name, size: 5618579456, digest: "dae161e27b0e", expires_at: "2026-12-02T14:23:28.7482+02:00", size_vram: 5618579456, context_length: 4096,
      details: { parent_model: "", format: "gguf", family: "llama", families: ["llama"], parameter_size: "3.2B", quantization_level: "Q4_K_M" }, ...extra,
    });
    env.fake.handle(ollamaRoutes({ ...defaultTags(), "GET /api/ps": () => ollamaJson({ models: [running("llama3.2:latest"), running("phi4:14b", { context_length: undefined })] }) }));
    const { models } = await ollama.ps();
    // The digest is the gateway id's, as /api/tags gives it (a client matches the two lists by it).
    const listed = (await ollama.list()).models.find((m) => m.name === "llama3.2:latest")!;
    expect(models).toEqual([
      { ...running("llama3.2:latest"), digest: listed.digest },
      { ...running("ollama/phi4:14b"), context_length: undefined, digest: digestOf("ollama/phi4:14b") } as never,
    ].map((m) => JSON.parse(JSON.stringify(m))));
    expect(env.fake.requests.filter((r) => r.path === "/api/ps")).toHaveLength(1);
    // Ollama down (or answering nonsense): nothing to show from it, and the request is still answered.
    env.fake.handle(ollamaRoutes({ ...defaultTags(), "GET /api/ps": () => ollamaError(500, "boom") }));
    expect(await ollama.ps()).toEqual({ models: [] });
    expect(env.gw.logs.some((line) => line.includes("running models not listed") && line.includes("boom"))).toBe(true);
  });

  test("an embedding's truncate, Modelfile options and keep_alive reach its Ollama as sent (Open WebUI sends them), on /api/embed and the legacy /api/embeddings; not through the OpenAI surface", async () => {
    env.reset();
    env.fake.handle(ollamaRoutes({ ...defaultTags(), "POST /api/embed": () => ollamaJson(fixture("embed.json")) }));
    await ollama.embed({ model: "llama3.2:latest", input: "a", truncate: false, keep_alive: -1, options: { num_ctx: 8192 } });
    await ollama.embeddings({ model: "llama3.2:latest", prompt: "b", keep_alive: "5m", options: { num_thread: 4 } });
    await env.client.embeddings.create({ model: "llama3.2:latest", input: "c" });
    expect(env.fake.requests.filter((r) => r.path === "/api/embed").map((r) => r.body)).toEqual([
      { model: "llama3.2:latest", input: "a", truncate: false, keep_alive: -1, options: { num_ctx: 8192 } },
      { model: "llama3.2:latest", input: "b", keep_alive: "5m", options: { num_thread: 4 } },
      { model: "llama3.2:latest", input: "c" },
    ]);
  });

  test("a PDF given by URL, which Ollama cannot read: the 400 names the file_url the client sent, not the file_data the gateway fetched it into (a probe)", async () => {
    env.reset();
    const pdf = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("%PDF-1.4\n%%EOF\n", { headers: { "content-type": "application/pdf" } }) });
    try {
      const url = `http://127.0.0.1:${pdf.port}/report.pdf`;
      const chat = await env.gw.handle("/v1/chat/completions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "llama3.2:latest", messages: [{ role: "user", content: [{ type: "text", text: "Sum it up." }, { type: "file", file: { file_url: url } }] }] }),
      });
      expect(chat.status).toBe(400);
      const chatError = ((await chat.json()) as { error: { param: string; message: string } }).error;
      expect(chatError.param).toBe("messages[0].content[1].file.file_url");
      expect(chatError.message).toContain("'messages[0].content[1].file.file_url'");
      const responses = await env.gw.handle("/v1/responses", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "llama3.2:latest", input: [{ role: "user", content: [{ type: "input_text", text: "Sum it up." }, { type: "input_file", file_url: url }] }] }),
      });
      expect(responses.status).toBe(400);
      expect(((await responses.json()) as { error: { param: string } }).error.param).toBe("input[0].content[1].file_url");
    } finally {
      pdf.stop(true);
    }
  });

  test("a name without a tag is its :latest, as in Ollama: chat, show, and the OpenAI surface", async () => {
    env.reset();
    env.fake.handle(ollamaRoutes({ ...defaultTags(), "POST /api/chat": () => ollamaJson(fixture("chat.json")) }));
    const answer = await ollama.chat({ model: "llama3.2", messages: [{ role: "user", content: "Hi" }] });
    expect(answer).toMatchObject({ model: "llama3.2", done: true });
    expect(env.chatBodies().at(-1)).toMatchObject({ model: "llama3.2:latest" });
    expect((await ollama.show({ model: "llama3.2" })).capabilities).toEqual(["completion", "vision"]);
    const completion = await env.client.chat.completions.create({ model: "llama3.2", messages: [{ role: "user", content: "Hi" }] });
    expect(completion.model).toBe("llama3.2");
    // A tag that is not listed stays unknown.
    expect(await ollama.chat({ model: "llama3.2:70b", messages: [{ role: "user", content: "Hi" }] }).catch((e) => e.status_code)).toBe(404);
  });

  test("the upstream's streamed thinking comes back as `thinking`", async () => {
    env.reset();
    env.fake.handle(ollamaRoutes({ ...defaultTags(), "POST /api/chat": () => ndjsonResponse([chatLine({ thinking: "Hmm" }), chatLine({ content: "Yes" }), doneLine({ prompt_eval_count: 5, eval_count: 2 })]) }));
    const parts = [];
    for await (const part of await ollama.chat({ model: "llama3.2:latest", messages: [{ role: "user", content: "?" }], stream: true })) parts.push(part);
    expect(parts.map((p) => [p.message.thinking, p.message.content])).toEqual([["Hmm", ""], [undefined, "Yes"], [undefined, ""]]);
    expect(parts.at(-1)).toMatchObject({ done: true, prompt_eval_count: 5, eval_count: 2 });
  });
});

function defaultTags() {
  return { "GET /api/tags": () => ollamaJson(fixture("tags.json")), "POST /api/show": () => ollamaJson(fixture("show-llava.json")) };
}
