import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { json, sse, startFakeGemini } from "./__fixtures__/fake-gemini.ts";
import { KEY, waitFor } from "./__fixtures__/gemini-gateway.ts";
import streamText from "./__fixtures__/stream-text.events.json";
import type { UpstreamCall } from "../../src/kit.ts";
import { createGeminiClient } from "./client.ts";
import type { GeminiGenerateRequest } from "./wire.ts";

const upstream = startFakeGemini(KEY);
afterEach(() => upstream.reset());
afterAll(() => upstream.close());

const client = await createGeminiClient({ apiKey: KEY, baseUrl: upstream.url, fetch });
const call = (headers: Record<string, string> = {}): UpstreamCall => ({ signal: new AbortController().signal, upstreamHeaders: headers });

/** Every field the converters write, so the SDK must carry each to the REST body unchanged. */
const everything: GeminiGenerateRequest = {
  contents: [
    { role: "user", parts: [{ text: "Look" }, { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } }] },
    { role: "model", parts: [{ text: "Checking." }, { functionCall: { name: "check_flight", args: { flight: "AA100" } }, thoughtSignature: "Cp+/sig==" }] },
    { role: "user", parts: [{ functionResponse: { name: "check_flight", response: { status: "on time" } } }] },
  ],
  systemInstruction: { parts: [{ text: "Be brief." }] },
  tools: [{ functionDeclarations: [{ name: "check_flight", description: "Flight status", parametersJsonSchema: { type: "object", properties: { flight: { type: "string" } }, additionalProperties: false } }] }],
  toolConfig: { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["check_flight"] } },
  generationConfig: {
    maxOutputTokens: 100,
    temperature: 0.5,
    topP: 0.9,
    stopSequences: ["END"],
    seed: 3,
    presencePenalty: 0.1,
    frequencyPenalty: 0.2,
    candidateCount: 2,
    responseMimeType: "application/json",
    responseJsonSchema: { $schema: "https://json-schema.org/draft/2020-12/schema", type: "object" },
    thinkingConfig: { thinkingBudget: 1024, includeThoughts: true },
  },
};

describe("createGeminiClient", () => {
  test("generateContent: POST /v1beta/models/{model}:generateContent, the REST body exactly as built, key and per-request headers", async () => {
    const answer = await client.generateContent("gemini-2.5-flash", everything, call({ "x-ollaix-hops": "2", "x-request-id": "req_1" }));
    const [request] = upstream.requests;
    expect([request!.method, request!.path, request!.search]).toEqual(["POST", "/v1beta/models/gemini-2.5-flash:generateContent", ""]);
    expect(request!.body).toEqual(everything);
    expect(request!.headers).toMatchObject({ "x-goog-api-key": KEY, "x-ollaix-hops": "2", "x-request-id": "req_1", "content-type": "application/json" });
    expect(answer.candidates![0]!.finishReason).toBe("STOP");
  });

  test("the older Schema fields go through unchanged too", async () => {
    const older: GeminiGenerateRequest = {
      contents: [{ role: "user", parts: [{ text: "hi" }] }],
      tools: [{ functionDeclarations: [{ name: "f", parameters: { type: "OBJECT", properties: { a: { type: "STRING", nullable: true } } } }] }],
      generationConfig: { responseMimeType: "application/json", responseSchema: { type: "OBJECT", properties: { a: { type: "STRING" } } } },
    };
    await client.generateContent("gemini-1.5-flash", older, call());
    expect(upstream.requests[0]!.body).toEqual(older);
  });

  test("generateContentStream: ?alt=sse, events checked and yielded in order", async () => {
    const events = [];
    for await (const event of await client.generateContentStream("gemini-2.5-flash", everything, call())) events.push(event);
    expect([upstream.requests[0]!.path, upstream.requests[0]!.search]).toEqual(["/v1beta/models/gemini-2.5-flash:streamGenerateContent", "?alt=sse"]);
    expect(upstream.requests[0]!.body).toEqual(everything);
    expect(events.map((e) => e.candidates?.[0]?.content?.parts?.[0]?.text)).toEqual(["Elara found", " the backpack in the attic.", ""]);
  });

  test("an HTTP error rejects the stream call itself, before any event, as the kit's error", async () => {
    upstream.answer(() => json({ error: { code: 429, message: "slow down", status: "RESOURCE_EXHAUSTED" } }, 429));
    await expect(client.generateContentStream("gemini-2.5-flash", everything, call())).rejects.toMatchObject({
      name: "RateLimitError",
      status: 429,
      code: "rate_limit_exceeded",
    });
  });

  test("the abort signal reaches Gemini", async () => {
    const controller = new AbortController();
    upstream.answer(() => sse(streamText, 100));
    const events = await client.generateContentStream("gemini-2.5-flash", everything, { signal: controller.signal, upstreamHeaders: {} });
    const iterator = events[Symbol.asyncIterator]();
    await iterator.next();
    controller.abort();
    await expect(iterator.next()).rejects.toBeDefined();
    await waitFor(() => upstream.requests[0]!.signal.aborted);
  });

  test("embedContents: one batchEmbedContents request with outputDimensionality", async () => {
    const answer = await client.embedContents("gemini-embedding-001", ["a", "bb"], 256, call());
    expect(upstream.requests[0]!.path).toBe("/v1beta/models/gemini-embedding-001:batchEmbedContents");
    expect(upstream.requests[0]!.body).toEqual({
      requests: [
        { content: { role: "user", parts: [{ text: "a" }] }, outputDimensionality: 256, model: "models/gemini-embedding-001" },
        { content: { role: "user", parts: [{ text: "bb" }] }, outputDimensionality: 256, model: "models/gemini-embedding-001" },
      ],
    });
    expect(answer.embeddings).toEqual([{ values: [1, 0] }, { values: [2, 1] }]);
  });

  test("embedContents for gemini-embedding-2: still one request per text, not one content of all of them (a probe: 1 vector for 3 inputs, a 502)", async () => {
    await client.embedContents("gemini-embedding-2", ["a", "bb", "ccc"], undefined, call()).catch(() => undefined);
    expect(upstream.requests[0]!.path).toBe("/v1beta/models/gemini-embedding-2:batchEmbedContents");
    expect((upstream.requests[0]!.body as { requests: unknown[] }).requests).toEqual(
      ["a", "bb", "ccc"].map((text) => ({ content: { role: "user", parts: [{ text }] }, model: "models/gemini-embedding-2" })),
    );
  });

  test("listModels: every page, REST field names; or the first page only", async () => {
    const all = await client.listModels(call());
    expect(all.map((m) => [m.name, m.supportedGenerationMethods?.[0]])).toEqual([
      ["models/gemini-2.5-flash", "generateContent"],
      ["models/imagen-4.0-generate-001", "predict"],
      ["models/gemini-2.5-pro", "generateContent"],
      ["models/gemini-embedding-001", "embedContent"],
    ]);
    upstream.reset();
    expect((await client.listModels(call(), { pageSize: 1, firstPageOnly: true })).length).toBe(2);
    expect(upstream.requests.map((r) => r.search)).toEqual(["?pageSize=1"]);
  });

  test("the SDK's environment variables cannot move it off the Gemini API v1beta", async () => {
    const saved = { vertex: process.env.GOOGLE_GENAI_USE_VERTEXAI, version: process.env.GOOGLE_GENAI_API_VERSION };
    process.env.GOOGLE_GENAI_USE_VERTEXAI = "true";
    process.env.GOOGLE_GENAI_API_VERSION = "v1";
    try {
      const pinned = await createGeminiClient({ apiKey: KEY, baseUrl: upstream.url, fetch });
      await pinned.generateContent("gemini-2.5-flash", everything, call());
      expect(upstream.requests[0]!.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    } finally {
      for (const [name, value] of [["GOOGLE_GENAI_USE_VERTEXAI", saved.vertex], ["GOOGLE_GENAI_API_VERSION", saved.version]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
