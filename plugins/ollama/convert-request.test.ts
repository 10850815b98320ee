import { describe, expect, test } from "bun:test";
import type { ChatRequest, EmbeddingRequest } from "../../src/kit.ts";
import { toOllamaChatRequest, toOllamaEmbedRequest } from "./convert-request.ts";

/** Freezes every level, so a converter that writes into the request throws. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

describe("toOllamaChatRequest", () => {
  test("every field lands where Ollama reads it: format and think at the top, sampling in options", () => {
    const schema = { type: "object", properties: { age: { type: "integer" } } };
    const request = deepFreeze({
      model: "ollama/gpt-oss:20b",
      messages: [
        { role: "developer", content: "Answer in JSON." },
        { role: "user", content: [{ type: "text", text: "Describe" }, { type: "image_url", image_url: { url: "data:image/png;base64,QUJD" } }] },
      ],
      temperature: 0.5,
      max_tokens: 10,
      stop: ["END"],
      response_format: { type: "json_schema", json_schema: { name: "out", schema } },
      tools: [{ type: "function", function: { name: "get_time" } }],
      tool_choice: "auto",
      reasoning_effort: "low",
      user: "ignored",
      logprobs: true,
      top_logprobs: 3,
    } as ChatRequest);
    const body = toOllamaChatRequest(request, {
      model: "gpt-oss:20b",
      stream: true,
      images: new Map([["messages[1].content[1]", { mimeType: "image/png", data: "QUJD" }]]),
      traits: { family: "gptoss" },
    });
    expect(body).toEqual({
      model: "gpt-oss:20b",
      messages: [
        { role: "system", content: "Answer in JSON." },
        { role: "user", content: "Describe", images: ["QUJD"] },
      ],
      stream: true,
      format: schema,
      options: { temperature: 0.5, num_predict: 10, stop: ["END"] },
      tools: [{ type: "function", function: { name: "get_time" } }],
      think: "low",
      logprobs: true,
      top_logprobs: 3,
    });
    expect(body.options).not.toHaveProperty("format");
    // Nothing is shared with the request: the body may be changed without touching it.
    expect(body.options!.stop).not.toBe(request.stop as string[]);
  });

  test("top_logprobs without logprobs asks for nothing (OpenAI requires logprobs for it)", () => {
    const request = deepFreeze({ model: "llama3.2", messages: [{ role: "user", content: "Hi" }], logprobs: false, top_logprobs: 2 } as ChatRequest);
    const body = toOllamaChatRequest(request, { model: "llama3.2", stream: false, images: new Map() });
    expect(body).not.toHaveProperty("logprobs");
    expect(body).not.toHaveProperty("top_logprobs");
  });

  test("a bare request is a bare body", () => {
    const request = deepFreeze({ model: "llama3.2", messages: [{ role: "user", content: "Hi" }] } as ChatRequest);
    expect(toOllamaChatRequest(request, { model: "llama3.2", stream: false, images: new Map() })).toEqual({
      model: "llama3.2",
      messages: [{ role: "user", content: "Hi" }],
      stream: false,
    });
  });
});

describe("toOllamaEmbedRequest", () => {
  test.each([
    [{ model: "m", input: "Why is the sky blue?" }, ["Why is the sky blue?"], { model: "all-minilm", input: "Why is the sky blue?" }],
    [{ model: "m", input: ["a", "b"] }, ["a", "b"], { model: "all-minilm", input: ["a", "b"] }],
    [{ model: "m", input: ["a"], dimensions: 256 }, ["a"], { model: "all-minilm", input: ["a"], dimensions: 256 }],
  ] as const)("%j", (request, input, expected) => {
    expect(toOllamaEmbedRequest(deepFreeze(request as EmbeddingRequest), input as unknown as string[], "all-minilm")).toEqual(expected as never);
  });

  test("token ids are a 400 naming input", () => {
    expect(() => toOllamaEmbedRequest({ model: "m", input: [1, 2] }, [[1, 2]], "all-minilm")).toThrow(expect.objectContaining({ status: 400, param: "input" }));
  });
});
