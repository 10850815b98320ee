import Anthropic from "@anthropic-ai/sdk";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText } from "ai";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type OpenAI from "openai";
import { expectOpenAI } from "../../tests/helpers/openai-schema.ts";
import { json, PNG, sse, type FakeGemini } from "./__fixtures__/fake-gemini.ts";
import { failure, startGeminiGateway, type GeminiGateway } from "./__fixtures__/gemini-gateway.ts";
import emptyBlockReason from "./__fixtures__/generate-empty-block-reason.json";
import malformedFunctionCall from "./__fixtures__/generate-malformed-function-call.json";
import promptBlocked from "./__fixtures__/generate-prompt-blocked.json";
import safetyFinish from "./__fixtures__/generate-safety-finish.json";

/** Images, JSON output, safety outcomes and embeddings, end to end through the `openai` client. */
let env: GeminiGateway;
let upstream: FakeGemini;
let client: OpenAI;

beforeAll(async () => {
  env = await startGeminiGateway();
  ({ upstream, client } = env);
});
afterEach(() => upstream.reset());
afterAll(() => env.close());

const sentBody = (suffix = ":generateContent") => {
  const calls = upstream.calls(suffix);
  expect(calls).toHaveLength(1);
  return calls[0]!.body;
};

const weatherTool = {
  type: "function" as const,
  function: {
    name: "get_current_temperature",
    description: "Current temperature of a city",
    parameters: { $schema: "http://json-schema.org/draft-07/schema#", type: "object", properties: { location: { type: "string" } }, required: ["location"], additionalProperties: false },
  },
};

describe("images", () => {
  test("data: URLs and http URLs (fetched by the gateway) become inlineData", async () => {
    await client.chat.completions.create({
      model: "gemini-2.5-flash",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Compare these." },
            { type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/4AAQSkZJRg==" } },
            { type: "image_url", image_url: { url: `${upstream.url}/cat.png`, detail: "high" } },
          ],
        },
      ],
    });
    expect((sentBody() as { contents: unknown }).contents).toEqual([
      {
        role: "user",
        parts: [{ text: "Compare these." }, { inlineData: { mimeType: "image/jpeg", data: "/9j/4AAQSkZJRg==" } }, { inlineData: { mimeType: "image/png", data: PNG.toString("base64") } }],
      },
    ]);
  });

  test("a URL that is not an image is a clear 400 naming the part, and Gemini is not called", async () => {
    const request = client.chat.completions.create({
      model: "gemini-2.5-flash",
      messages: [{ role: "user", content: [{ type: "text", text: "?" }, { type: "image_url", image_url: { url: `${upstream.url}/page.html` } }] }],
    });
    expect(await failure(request)).toMatchObject({
      status: 400,
      error: { type: "invalid_request_error", param: "messages[0].content[1].image_url.url", message: expect.stringContaining("did not return an image") },
    });
    expect(upstream.calls(":generateContent")).toHaveLength(0);
  });
});

describe("JSON output and schemas", () => {
  const person = { type: "object", properties: { name: { type: "string" }, age: { type: ["integer", "null"] } }, required: ["name", "age"], additionalProperties: false };

  test("json_schema → responseMimeType and the schema whole in responseJsonSchema", async () => {
    await client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "Jane, 54" }], response_format: { type: "json_schema", json_schema: { name: "person", strict: true, schema: person } } });
    expect((sentBody() as { generationConfig: unknown }).generationConfig).toEqual({ responseMimeType: "application/json", responseJsonSchema: person });
  });

  test("json_object → the JSON mime type alone", async () => {
    await client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "JSON please" }], response_format: { type: "json_object" } });
    expect((sentBody() as { generationConfig: unknown }).generationConfig).toEqual({ responseMimeType: "application/json" });
  });

  test("a model without JSON Schema support (gemini/gemini-1.5-flash, unlisted) gets cleaned schemas instead of a 400", async () => {
    await client.chat.completions.create({
      model: "gemini/gemini-1.5-flash",
      messages: [{ role: "user", content: "Jane, 54" }],
      tools: [weatherTool],
      response_format: { type: "json_schema", json_schema: { name: "person", schema: person } },
    });
    const call = upstream.calls(":generateContent")[0]!;
    expect(call.path).toBe("/v1beta/models/gemini-1.5-flash:generateContent");
    // With functions, a model before Gemini 3 is told the format (it refuses functions with a JSON answer).
    expect(call.body).toMatchObject({
      tools: [{ functionDeclarations: [{ name: "get_current_temperature", description: "Current temperature of a city", parameters: { type: "OBJECT", properties: { location: { type: "STRING" } }, required: ["location"] } }] }],
      generationConfig: {},
    });
    expect(JSON.stringify((call.body as { systemInstruction: unknown }).systemInstruction)).toContain("answer only with JSON");
    await client.chat.completions.create({
      model: "gemini/gemini-1.5-flash",
      messages: [{ role: "user", content: "Jane, 54" }],
      response_format: { type: "json_schema", json_schema: { name: "person", schema: person } },
    });
    expect(upstream.calls(":generateContent")[1]!.body).toMatchObject({
      generationConfig: {
        responseMimeType: "application/json",
        responseSchema: { type: "OBJECT", properties: { name: { type: "STRING" }, age: { nullable: true, type: "INTEGER" } }, required: ["name", "age"] },
      },
    });
  });
});

describe("safety", () => {
  const ask = { model: "gemini-2.5-flash", messages: [{ role: "user" as const, content: "Something dangerous" }] };

  test("a blocked prompt is a clear 400 content_filter, not an empty 200", async () => {
    upstream.answer(() => json(promptBlocked));
    expect(await failure(client.chat.completions.create(ask))).toMatchObject({
      status: 400,
      error: { type: "invalid_request_error", code: "content_filter", param: "messages", message: "Gemini blocked the prompt (blockReason SAFETY)." },
    });
  });

  test("streaming: the block arrives before the first byte, so it is the same HTTP 400", async () => {
    upstream.answer(() => sse([promptBlocked]));
    expect(await failure(client.chat.completions.create({ ...ask, stream: true }))).toMatchObject({ status: 400, error: { code: "content_filter" } });
  });

  test("an empty blockReason is not a block", async () => {
    upstream.answer(() => json(emptyBlockReason));
    const completion = await client.chat.completions.create(ask);
    expect([completion.choices[0]!.message.content, completion.choices[0]!.finish_reason]).toEqual(["Here is a gentle bedtime story.", "stop"]);
  });

  test("an answer stopped by SAFETY is a content_filter completion", async () => {
    upstream.answer(() => json(safetyFinish));
    const completion = await client.chat.completions.create(ask);
    expectOpenAI("CreateChatCompletionResponse", completion);
    expect(completion.choices[0]).toMatchObject({ message: { content: "" }, finish_reason: "content_filter" });
  });

  test("MALFORMED_FUNCTION_CALL is a 502 upstream error, not content_filter", async () => {
    upstream.answer(() => json(malformedFunctionCall));
    expect(await failure(client.chat.completions.create(ask))).toMatchObject({ status: 502, error: { type: "api_error", code: "upstream_error" } });
  });

  test("MALFORMED_FUNCTION_CALL after text has streamed is the SSE error event", async () => {
    upstream.answer(() => sse([{ candidates: [{ content: { parts: [{ text: "Let me call" }], role: "model" } }] }, { candidates: [{ finishReason: "MALFORMED_FUNCTION_CALL" }] }]));
    const response = await fetch(`${env.gw.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...ask, stream: true }) });
    expect(response.status).toBe(200);
    const events = (await response.text()).split("\n\n").filter(Boolean);
    expect(events.at(-1)).toBe(
      `data: {"error":{"message":"Gemini could not complete the answer (finishReason MALFORMED_FUNCTION_CALL).","type":"api_error","param":null,"code":"upstream_error"}}`,
    );
  });
});

describe("log probabilities", () => {
  const ask = { model: "gemini-2.5-flash", messages: [{ role: "user" as const, content: "Yes or no?" }] };
  const bytes = (token: string) => Array.from(new TextEncoder().encode(token));

  test("logprobs and top_logprobs are responseLogprobs and logprobs; logprobsResult comes back as the choice's logprobs, streamed and not", async () => {
    const result = (token: string, logProbability: number, alternatives: [string, number][]) => ({
      chosenCandidates: [{ token, tokenId: 7, logProbability }],
      topCandidates: [{ candidates: alternatives.map(([t, p]) => ({ token: t, tokenId: 8, logProbability: p })) }],
    });
    const answer = (call: { path: string }) =>
      call.path.endsWith(":streamGenerateContent")
        ? sse([
            { candidates: [{ content: { parts: [{ text: "Yes" }], role: "model" }, logprobsResult: result("Yes", -0.1, [["Yes", -0.1], ["No", -2.4]]) }] },
            { candidates: [{ content: { parts: [{ text: "." }], role: "model" }, finishReason: "STOP", logprobsResult: result(".", -0.02, [[".", -0.02]]) }] },
          ])
        : json({ candidates: [{ content: { parts: [{ text: "Yes" }], role: "model" }, finishReason: "STOP", logprobsResult: result("Yes", -0.1, [["Yes", -0.1], ["No", -2.4]]) }] });
    upstream.answer(answer);
    const completion = await client.chat.completions.create({ ...ask, logprobs: true, top_logprobs: 2 });
    expectOpenAI("CreateChatCompletionResponse", completion);
    expect((sentBody() as { generationConfig: unknown }).generationConfig).toMatchObject({ responseLogprobs: true, logprobs: 2 });
    expect(completion.choices[0]!.logprobs).toEqual({
      content: [{ token: "Yes", logprob: -0.1, bytes: bytes("Yes"), top_logprobs: [{ token: "Yes", logprob: -0.1, bytes: bytes("Yes") }, { token: "No", logprob: -2.4, bytes: bytes("No") }] }],
      refusal: null,
    });
    upstream.reset();
    upstream.answer(answer);
    const stream = await client.chat.completions.create({ ...ask, logprobs: true, top_logprobs: 0, stream: true });
    const tokens: [string, number][] = [];
    for await (const chunk of stream) {
      expectOpenAI("CreateChatCompletionStreamResponse", chunk);
      for (const entry of chunk.choices[0]?.logprobs?.content ?? []) tokens.push([entry.token, entry.top_logprobs.length]);
    }
    expect(tokens).toEqual([["Yes", 2], [".", 1]]);
    // top_logprobs 0 (no alternatives) is Gemini's default: only responseLogprobs.
    const config = (sentBody(":streamGenerateContent") as { generationConfig: Record<string, unknown> }).generationConfig;
    expect(config.responseLogprobs).toBe(true);
    expect(config).not.toHaveProperty("logprobs");
  });

  test("a model Gemini gives no logprobs for (its 400) is answered without them, and not asked for them again", async () => {
    const refusal = (model: string) => ({ error: { code: 400, message: `Logprobs is not enabled for models/${model}`, status: "INVALID_ARGUMENT" } });
    const asked = (body: unknown) => (body as { generationConfig?: { responseLogprobs?: boolean } }).generationConfig?.responseLogprobs === true;
    upstream.answer((call) => {
      const model = call.path.includes("gemini-2.5-pro") ? "gemini-2.5-pro" : "gemini-2.5-flash-lite";
      if (asked(call.body)) return json(refusal(model), 400);
      return call.path.endsWith(":streamGenerateContent") ? sse([{ candidates: [{ content: { parts: [{ text: "Yes." }], role: "model" }, finishReason: "STOP" }] }]) : undefined;
    });
    const calls = () => upstream.requests.filter((r) => r.path.includes("gemini-2.5-pro:")).map((r) => asked(r.body));
    const first = await client.chat.completions.create({ model: "gemini-2.5-pro", messages: ask.messages, logprobs: true, top_logprobs: 3 });
    expect(first.choices[0]!.message.content).toBeString();
    expect(first.choices[0]!.logprobs).toBeNull();
    expect(calls()).toEqual([true, false]);
    const again = await client.chat.completions.create({ model: "gemini-2.5-pro", messages: ask.messages, logprobs: true });
    expect(again.choices[0]!.finish_reason).toBe("stop");
    expect(calls()).toEqual([true, false, false]);
    // Streamed: the refusal is an HTTP status before any event, so the stream starts once, without them.
    const text: string[] = [];
    for await (const chunk of await client.chat.completions.create({ model: "gemini/gemini-2.5-flash-lite", messages: ask.messages, logprobs: true, stream: true })) text.push(chunk.choices[0]?.delta.content ?? "");
    expect(text.join("")).toBe("Yes.");
    expect(upstream.requests.filter((r) => r.path.includes("gemini-2.5-flash-lite:")).map((r) => asked(r.body))).toEqual([true, false]);
  });

  test("another 400 is not taken for a logprobs refusal", async () => {
    upstream.answer(() => json({ error: { code: 400, message: "Invalid value at 'generation_config.logprobs' (TYPE_INT32)", status: "INVALID_ARGUMENT" } }, 400));
    expect(await failure(client.chat.completions.create({ ...ask, logprobs: true, top_logprobs: 2 }))).toMatchObject({ status: 400 });
    expect(upstream.calls(":generateContent")).toHaveLength(1);
  });

  test("without logprobs Gemini is not asked", async () => {
    upstream.answer(() => json(emptyBlockReason));
    await client.chat.completions.create(ask);
    expect((sentBody() as { generationConfig: unknown }).generationConfig).not.toHaveProperty("responseLogprobs");
  });
});

describe("files", () => {
  const PDF = Buffer.from("%PDF-1.7\n1 0 obj << /Type /Page >>\n%%EOF\n").toString("base64");
  const pdfPart = { inlineData: { mimeType: "application/pdf", data: PDF } };
  const contentsSent = (suffix = ":generateContent") => (upstream.calls(suffix).at(-1)!.body as { contents: unknown }).contents;

  test("Chat Completions file parts, and Responses input_file parts, reach Gemini as inlineData", async () => {
    await client.chat.completions.create({
      model: "gemini-2.5-flash",
      messages: [{ role: "user", content: [{ type: "text", text: "Summarise." }, { type: "file", file: { file_data: `data:application/pdf;base64,${PDF}`, filename: "q3.pdf" } }] }],
    });
    expect(contentsSent()).toEqual([{ role: "user", parts: [{ text: "Summarise." }, pdfPart] }]);

    const response = await client.responses.create({
      model: "gemini-2.5-flash",
      input: [{ role: "user", content: [{ type: "input_file", file_data: `data:application/pdf;base64,${PDF}`, filename: "q3.pdf" }, { type: "input_text", text: "Summarise." }] }],
    });
    expectOpenAI("Response", response);
    expect(contentsSent()).toEqual([{ role: "user", parts: [pdfPart, { text: "Summarise." }] }]);
    // The stored input lists the file as OpenAI's InputFileContent.
    const items = (await (await fetch(`${env.gw.url}/v1/responses/${response.id}/input_items`)).json()) as { data: { content: unknown[] }[] };
    expectOpenAI("ResponseItemList", items);
    expect(items.data[0]!.content[0]).toEqual({ type: "input_file", file_data: `data:application/pdf;base64,${PDF}`, filename: "q3.pdf" });
  });

  test("the Vercel AI SDK's default OpenAI provider (Responses) sends a PDF file part that reaches Gemini", async () => {
    const provider = createOpenAI({ baseURL: `${env.gw.url}/v1`, apiKey: "x" });
    const { text } = await generateText({
      model: provider("gemini-2.5-flash"),
      messages: [{ role: "user", content: [{ type: "text", text: "What is in it?" }, { type: "file", data: Buffer.from(PDF, "base64"), mediaType: "application/pdf", filename: "q3.pdf" }] }],
    });
    expect(text).toBeString();
    expect(contentsSent()).toEqual([{ role: "user", parts: [{ text: "What is in it?" }, pdfPart] }]);
  });

  test("Anthropic document blocks: a base64 PDF is inlineData, a text document is text after its title", async () => {
    const anthropic = new Anthropic({ baseURL: env.gw.url, apiKey: "x", maxRetries: 0 });
    const message = await anthropic.messages.create({
      model: "gemini-2.5-flash",
      max_tokens: 100,
      messages: [
        {
          role: "user",
          content: [
            { type: "document", source: { type: "base64", media_type: "application/pdf", data: PDF }, title: "Q3 report" },
            { type: "document", source: { type: "text", media_type: "text/plain", data: "Revenue: 12." }, title: "notes", citations: { enabled: true } },
            { type: "text", text: "Do they agree?" },
          ],
        },
      ],
    });
    expect(message.type).toBe("message");
    expect(contentsSent()).toEqual([{ role: "user", parts: [pdfPart, { text: "notes\n\nRevenue: 12." }, { text: "Do they agree?" }] }]);
  });

  test("files by URL are fetched by the gateway: an Anthropic url document, the AI SDK's PDF by URL (Responses file_url)", async () => {
    const host = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: (request) =>
        new URL(request.url).pathname === "/reports/q3.pdf" ? new Response(Buffer.from(PDF, "base64"), { headers: { "content-type": "application/pdf" } }) : new Response("no", { status: 404 }),
    });
    try {
      const url = `http://127.0.0.1:${host.port}/reports/q3.pdf`;
      const anthropic = new Anthropic({ baseURL: env.gw.url, apiKey: "x", maxRetries: 0 });
      await anthropic.messages.create({
        model: "gemini-2.5-flash",
        max_tokens: 100,
        messages: [{ role: "user", content: [{ type: "document", source: { type: "url", url } }, { type: "text", text: "Summarise." }] }],
      });
      expect(contentsSent()).toEqual([{ role: "user", parts: [pdfPart, { text: "Summarise." }] }]);

      const provider = createOpenAI({ baseURL: `${env.gw.url}/v1`, apiKey: "x" });
      const byUrl = await generateText({
        model: provider("gemini-2.5-flash"),
        messages: [{ role: "user", content: [{ type: "text", text: "And this?" }, { type: "file", data: new URL(url), mediaType: "application/pdf" }] }],
      });
      expect(contentsSent()).toEqual([{ role: "user", parts: [{ text: "And this?" }, pdfPart] }]);
      // The SDK sent the URL (the gateway fetched it), and the stored input keeps it as sent.
      const items = (await (await fetch(`${env.gw.url}/v1/responses/${byUrl.response.id}/input_items`)).json()) as { data: { content: unknown[] }[] };
      expectOpenAI("ResponseItemList", items);
      expect(items.data[0]!.content[1]).toMatchObject({ type: "input_file", file_url: url });

      // A URL that answers 404 is a 400 naming the client's field.
      const missing = await anthropic.messages
        .create({ model: "gemini-2.5-flash", max_tokens: 10, messages: [{ role: "user", content: [{ type: "document", source: { type: "url", url: `${url}.gone` } }] }] })
        .catch((e: unknown) => e);
      expect(missing).toMatchObject({ status: 400 });
      expect((missing as { message: string }).message).toContain("messages[0].content[0].source");
      expect((missing as { message: string }).message).toContain("HTTP 404");
    } finally {
      await host.stop(true);
    }
  });

  test("Chat Completions input_audio (what the openai SDK and the AI SDK's chat provider send for audio) reaches Gemini inline", async () => {
    const wav = Buffer.from("RIFF\0\0\0\0WAVEfmt ").toString("base64");
    await client.chat.completions.create({
      model: "gemini-2.5-flash",
      messages: [{ role: "user", content: [{ type: "text", text: "Transcribe." }, { type: "input_audio", input_audio: { data: wav, format: "wav" } }] }],
    });
    expect(contentsSent()).toEqual([{ role: "user", parts: [{ text: "Transcribe." }, { inlineData: { mimeType: "audio/wav", data: wav } }] }]);
  });

  test("a file Gemini cannot be given (an uploaded file's id) is a 400 naming it on each surface, before Gemini is called", async () => {
    const chat = await failure(client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: [{ type: "file", file: { file_id: "file-abc" } }] }] }));
    expect(chat).toMatchObject({ status: 400, param: "messages[0].content[0].file.file_id" });
    const responses = await failure(client.responses.create({ model: "gemini-2.5-flash", input: [{ role: "user", content: [{ type: "input_text", text: "x" }, { type: "input_file", file_id: "file-abc" }] }] }));
    expect(responses).toMatchObject({ status: 400, param: "input[0].content[1].file_id" });
    expect(upstream.calls(":generateContent")).toHaveLength(0);
  });
});

describe("thinking off on a model that always thinks", () => {
  test("gemini-2.5-pro's refusal of a budget of 0 is answered by asking with no thinking setting, then not asking again", async () => {
    const budgetOf = (body: unknown) => (body as { generationConfig?: { thinkingConfig?: { thinkingBudget?: number } } }).generationConfig?.thinkingConfig?.thinkingBudget;
    upstream.answer((call) => {
      if (!call.path.includes("gemini-2.5-pro:")) return undefined;
      if (budgetOf(call.body) === 0) return json({ error: { code: 400, message: "Budget 0 is invalid. This model only works in thinking mode.", status: "INVALID_ARGUMENT" } }, 400);
      return call.path.endsWith(":streamGenerateContent") ? sse([{ candidates: [{ content: { parts: [{ text: "Paris." }], role: "model" }, finishReason: "STOP" }] }]) : undefined;
    });
    const sent = () => upstream.requests.filter((r) => r.path.includes("gemini-2.5-pro:")).map((r) => (r.body as { generationConfig?: object }).generationConfig);
    const answer = await client.chat.completions.create({ model: "gemini-2.5-pro", messages: [{ role: "user", content: "Capital of France?" }], reasoning_effort: "none" });
    expectOpenAI("CreateChatCompletionResponse", answer);
    expect(answer.choices[0]!.message.content).toBeString();
    expect(sent()).toEqual([{ thinkingConfig: { thinkingBudget: 0 } }, {}]);
    const text: string[] = [];
    for await (const chunk of await client.chat.completions.create({ model: "gemini-2.5-pro", messages: [{ role: "user", content: "Capital?" }], reasoning_effort: "none", stream: true })) text.push(chunk.choices[0]?.delta.content ?? "");
    expect(text.join("")).toBe("Paris.");
    expect(sent()).toEqual([{ thinkingConfig: { thinkingBudget: 0 } }, {}, {}]);
    // A model that takes a budget of 0 still gets it.
    await client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "Hi" }], reasoning_effort: "none" });
    expect((upstream.calls(":generateContent").at(-1)!.body as { generationConfig: object }).generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 0 } });
  });
});

describe("thinking levels a Gemini 3 model lacks", () => {
  test("effort none (minimal) on a model without minimal is asked again at low; medium on one without medium at high; then at once", async () => {
    const levelOf = (body: unknown) => (body as { generationConfig?: { thinkingConfig?: { thinkingLevel?: string } } }).generationConfig?.thinkingConfig?.thinkingLevel;
    upstream.answer((call) => {
      if (!call.path.includes("gemini-3-pro-preview:")) return undefined;
      const level = levelOf(call.body);
      if (level === "minimal" || level === "medium") {
        return json({ error: { code: 400, message: `Thinking level ${level.toUpperCase()} is not supported for this model. Please retry with other thinking level.`, status: "INVALID_ARGUMENT" } }, 400);
      }
      return undefined;
    });
    const levels = () => upstream.requests.filter((r) => r.path.includes("gemini-3-pro-preview:")).map((r) => levelOf(r.body));
    const ask = (reasoning_effort: "none" | "medium") => client.chat.completions.create({ model: "gemini/gemini-3-pro-preview", messages: [{ role: "user", content: "Hi" }], reasoning_effort });
    expectOpenAI("CreateChatCompletionResponse", await ask("none"));
    await ask("medium");
    await ask("none");
    await ask("medium");
    expect(levels()).toEqual(["minimal", "low", "medium", "high", "low", "high"]);
  });
});

describe("embeddings", () => {
  test("a listed model asked for what it does not do is a 400 naming the model, Gemini never called: embeddings of a chat model, chat of an embedding model (a probe: 'does not exist' for a listed model)", async () => {
    const before = upstream.requests.length;
    const embeddings = await client.embeddings.create({ model: "gemini-2.5-flash", input: "x" }).catch((error: unknown) => error);
    expect(embeddings).toMatchObject({ status: 400, error: { type: "invalid_request_error", param: "model", message: "The model 'gemini-2.5-flash' does not support embeddings: its capabilities are completion, tools, vision, thinking." } });
    const chat = await client.chat.completions.create({ model: "gemini-embedding-001", messages: [{ role: "user", content: "Hi" }] }).catch((error: unknown) => error);
    expect(chat).toMatchObject({ status: 400, error: { param: "model", message: expect.stringContaining("does not support chat (generateContent): its capabilities are embedding.") } });
    expect(upstream.requests.length).toBe(before);
  });

  test("a string → one batchEmbedContents request; the OpenAI list shape back", async () => {
    const result = await client.embeddings.create({ model: "gemini-embedding-001", input: "Hello world" });
    expect(upstream.calls(":batchEmbedContents")[0]!.path).toBe("/v1beta/models/gemini-embedding-001:batchEmbedContents");
    expect(sentBody(":batchEmbedContents")).toEqual({ requests: [{ content: { role: "user", parts: [{ text: "Hello world" }] }, model: "models/gemini-embedding-001" }] });
    expectOpenAI("CreateEmbeddingResponse", result);
    // Gemini's batchEmbedContents gives no usage: the gateway's estimate of the input (11 characters / 4), what limits count too.
    expect(result).toEqual({ object: "list", data: [{ object: "embedding", index: 0, embedding: [11, 0] }], model: "gemini-embedding-001", usage: { prompt_tokens: 3, total_tokens: 3 } });
  });

  test("an array with dimensions → outputDimensionality on every request, vectors in input order", async () => {
    const result = await client.embeddings.create({ model: "gemini-embedding-001", input: ["a", "bb", "ccc"], dimensions: 768, encoding_format: "float" });
    expect(sentBody(":batchEmbedContents")).toEqual({
      requests: ["a", "bb", "ccc"].map((text) => ({ content: { role: "user", parts: [{ text }] }, outputDimensionality: 768, model: "models/gemini-embedding-001" })),
    });
    expect(result.data.map((d) => d.embedding)).toEqual([[1, 0], [2, 1], [3, 2]]);
  });

  test("more than 100 inputs are sent in batches of 100, answers joined in order", async () => {
    const input = Array.from({ length: 150 }, (_, i) => "x".repeat(i + 1));
    const result = await client.embeddings.create({ model: "gemini-embedding-001", input, encoding_format: "float" });
    expect(upstream.calls(":batchEmbedContents").map((c) => (c.body as { requests: unknown[] }).requests.length)).toEqual([100, 50]);
    expect(result.data.map((d) => d.embedding[0])).toEqual(input.map((text) => text.length));
  });

  test("token-id input is refused by the core (Gemini embeds text)", async () => {
    expect(await failure(client.embeddings.create({ model: "gemini-embedding-001", input: [1, 2, 3] }))).toMatchObject({ status: 400, error: { param: "input" } });
  });
});
