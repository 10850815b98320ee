import { describe, expect, test } from "bun:test";
import batch from "./__fixtures__/batch-embed-contents.json";
import functionCall from "./__fixtures__/generate-function-call-thought-signature.json";
import blocked from "./__fixtures__/generate-prompt-blocked.json";
import text from "./__fixtures__/generate-text.json";
import thinking from "./__fixtures__/generate-thinking.json";
import page1 from "./__fixtures__/list-models.page1.json";
import page2 from "./__fixtures__/list-models.page2.json";
import streamCalls from "./__fixtures__/stream-parallel-function-calls.events.json";
import { parseEmbedResponse, parseGenerateResponse, parseModel } from "./wire.ts";

describe("the documented answers fit the partial response schemas", () => {
  test.each([
    ["text", text],
    ["thinking", thinking],
    ["function call with signature", functionCall],
    ["blocked prompt", blocked],
    ["a stream event", streamCalls[0]],
  ])("%s", (_name, answer) => {
    expect(parseGenerateResponse(answer)).toBe(answer as never);
  });

  test("models and embeddings", () => {
    for (const model of [...page1.models, ...page2.models]) expect(parseModel(model)).toBe(model as never);
    expect(parseEmbedResponse(batch)).toBe(batch as never);
  });

  test("fields Gemini adds later pass (the SDK adds sdkHttpResponse too)", () => {
    const answer = { ...text, sdkHttpResponse: { headers: {} }, somethingNew: [1] };
    expect(parseGenerateResponse(answer)).toBe(answer as never);
  });
});

describe("what does not fit is a 502 naming the field", () => {
  test.each([
    [null, "/: Expected object"],
    [{ candidates: {} }, "/candidates: Expected array"],
    [{ candidates: [{ content: { parts: [{ text: 3 }] } }] }, "/candidates/0/content/parts/0/text: Expected string"],
    [{ candidates: [{ content: { parts: [{ functionCall: { args: {} } }] } }] }, "/candidates/0/content/parts/0/functionCall/name: Expected required property"],
    [{ candidates: [{ finishReason: 1 }] }, "/candidates/0/finishReason: Expected string"],
    [{ usageMetadata: { totalTokenCount: "9" } }, "/usageMetadata/totalTokenCount: Expected integer"],
  ])("%j", (value, where) => {
    expect(() => parseGenerateResponse(value)).toThrow(
      expect.objectContaining({ status: 502, code: "upstream_error", message: `Gemini sent an answer that does not match its documented format (${where}).` }),
    );
  });

  test("a model without a name; an embedding with a non-number", () => {
    expect(() => parseModel({ displayName: "x" })).toThrow(expect.objectContaining({ status: 502 }));
    expect(() => parseEmbedResponse({ embeddings: [{ values: ["1"] }] })).toThrow(
      expect.objectContaining({ status: 502, message: "Gemini sent an embedding answer that does not match its documented format (/embeddings/0/values/0: Expected number)." }),
    );
  });
});
