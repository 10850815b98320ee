import { describe, expect, test } from "bun:test";
import type { ChatRequest } from "../../src/kit.ts";
import { jsonAnswerInstruction, schemaModeFor, toEmbedBatches, toGeminiRequest } from "./convert-request.ts";

const deepFreeze = <T>(value: T): T => {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
};

describe("schemaModeFor", () => {
  test.each([
    ["gemini-2.5-flash", "json-schema"],
    ["gemini-2.0-flash", "json-schema"],
    ["gemini-3-pro-preview", "json-schema"],
    ["gemini-flash-latest", "json-schema"],
    ["gemini-1.5-flash", "openapi"],
    ["gemini-1.5-pro-002", "openapi"],
    ["gemini-pro", "openapi"],
    ["gemini-pro-vision", "openapi"],
    ["some-future-model", "json-schema"],
  ])("%s → %s", (model, mode) => {
    expect(schemaModeFor(model)).toBe(mode as never);
  });
});

describe("toGeminiRequest", () => {
  const request: ChatRequest = deepFreeze({
    model: "gemini/gemini-2.5-flash",
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Weather in Paris?" },
    ],
    tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }],
    tool_choice: "required",
    temperature: 0.3,
    user: "someone",
    logprobs: true,
  } as ChatRequest);

  test("a whole request, without touching the input (frozen)", () => {
    expect(toGeminiRequest(request, { model: "gemini-2.5-flash", images: new Map() })).toEqual({
      contents: [{ role: "user", parts: [{ text: "Weather in Paris?" }] }],
      systemInstruction: { parts: [{ text: "Be brief." }] },
      tools: [{ functionDeclarations: [{ name: "get_weather", parametersJsonSchema: { type: "object", properties: { city: { type: "string" } } } }] }],
      toolConfig: { functionCallingConfig: { mode: "ANY" } },
      generationConfig: { temperature: 0.3, responseLogprobs: true },
    });
  });

  test("an older model gets the cleaned Schema form", () => {
    expect(toGeminiRequest(request, { model: "gemini-1.5-flash", images: new Map() }).tools).toEqual([
      { functionDeclarations: [{ name: "get_weather", parameters: { type: "OBJECT", properties: { city: { type: "STRING" } } } }] },
    ]);
  });

  test("a function call with no signature of Gemini's (another model's history) goes to Gemini 3 with Google's documented bypass; older models get it bare; a real signature wins", () => {
    const history: ChatRequest = {
      model: "m",
      messages: [
        { role: "user", content: "Weather?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "w", arguments: "{}" } },
            { id: "call_2__thought__c2ln", type: "function", function: { name: "w", arguments: "{}" } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "a" },
        { role: "tool", tool_call_id: "call_2__thought__c2ln", content: "b" },
      ],
    };
    const signatures = (model: string) => toGeminiRequest(history, { model, images: new Map() }).contents[1]!.parts.map((part) => (part as { thoughtSignature?: string }).thoughtSignature);
    expect(signatures("gemini-3-pro-preview")).toEqual(["skip_thought_signature_validator", "c2ln"]);
    expect(signatures("gemini-2.5-flash")).toEqual([undefined, "c2ln"]);
    // Gemini's own parallel calls: the first signed, the others not, and sent back exactly so.
    const parallel: ChatRequest = {
      model: "m",
      messages: [
        { role: "user", content: "Weather?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "call_1__thought__c2ln", type: "function", function: { name: "w", arguments: "{}" } },
            { id: "call_2", type: "function", function: { name: "w", arguments: "{}" } },
          ],
        },
        { role: "tool", tool_call_id: "call_1__thought__c2ln", content: "a" },
        { role: "tool", tool_call_id: "call_2", content: "b" },
      ],
    };
    const sent = toGeminiRequest(parallel, { model: "gemini-3-pro-preview", images: new Map() }).contents[1]!.parts.map((part) => (part as { thoughtSignature?: string }).thoughtSignature);
    expect(sent).toEqual(["c2ln", undefined]);
  });

  test("functions and a JSON answer: Gemini 3 gets both; Gemini 2.x (which refuses both) the functions, and the format told in its instructions", () => {
    const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
    const both: ChatRequest = { ...request, response_format: { type: "json_schema", json_schema: { name: "answer", schema } } } as ChatRequest;
    const three = toGeminiRequest(both, { model: "gemini-3-flash", images: new Map() });
    expect(three.generationConfig).toMatchObject({ responseMimeType: "application/json", responseJsonSchema: schema });
    expect(three.systemInstruction).toEqual({ parts: [{ text: "Be brief." }] });
    const two = toGeminiRequest(both, { model: "gemini-2.5-flash", images: new Map() });
    expect(two.tools).toHaveLength(1);
    expect(two.generationConfig).toEqual({ temperature: 0.3, responseLogprobs: true });
    expect(two.systemInstruction).toEqual({ parts: [{ text: "Be brief." }, { text: jsonAnswerInstruction(schema) }] });
    expect(jsonAnswerInstruction(schema)).toContain(JSON.stringify(schema));
    // Without functions, Gemini 2.x is held to the schema as before.
    const alone = toGeminiRequest({ model: "m", messages: [{ role: "user", content: "x" }], response_format: { type: "json_object" } }, { model: "gemini-2.5-flash", images: new Map() });
    expect(alone.generationConfig).toEqual({ responseMimeType: "application/json" });
  });

  test("a plain request has only contents and an empty generationConfig", () => {
    expect(toGeminiRequest({ model: "m", messages: [{ role: "user", content: "hi" }] }, { model: "gemini-2.5-flash", images: new Map() })).toEqual({
      contents: [{ role: "user", parts: [{ text: "hi" }] }],
      generationConfig: {},
    });
  });
});

describe("toEmbedBatches", () => {
  test("order kept, at most `size` per batch", () => {
    expect(toEmbedBatches(["a", "b", "c", "d", "e"], 2)).toEqual([["a", "b"], ["c", "d"], ["e"]]);
    expect(toEmbedBatches(Array.from({ length: 250 }, (_, i) => String(i))).map((b) => b.length)).toEqual([100, 100, 50]);
  });
});
