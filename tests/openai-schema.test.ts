import { describe, expect, test } from "bun:test";
import { expectOpenAI, toJsonSchema, validateOpenAI } from "./helpers/openai-schema";

const completion = () => ({
  id: "chatcmpl-123",
  object: "chat.completion",
  created: 1741570283,
  model: "llama3.2:latest",
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: "Hello!", refusal: null },
      logprobs: null,
      finish_reason: "stop",
    },
  ],
  usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
});

const chunk = () => ({
  id: "chatcmpl-123",
  object: "chat.completion.chunk",
  created: 1741570283,
  model: "llama3.2:latest",
  choices: [{ index: 0, delta: { role: "assistant", content: "Hel" }, logprobs: null, finish_reason: null }],
});

describe("validateOpenAI / expectOpenAI", () => {
  test("a valid chat completion passes", () => {
    expect(validateOpenAI("CreateChatCompletionResponse", completion())).toEqual([]);
    expectOpenAI("CreateChatCompletionResponse", completion());
  });

  test("created as an ISO string fails", () => {
    const value = { ...completion(), created: "2025-03-10T01:31:23Z" };
    const errors = validateOpenAI("CreateChatCompletionResponse", value);
    expect(errors.some((e) => e.startsWith("/created must be integer"))).toBe(true);
    expect(() => expectOpenAI("CreateChatCompletionResponse", value)).toThrow(/\/created must be integer/);
  });

  test("a completion choice missing logprobs fails", () => {
    const value = completion();
    const { logprobs: _omit, ...choice } = value.choices[0]!;
    const errors = validateOpenAI("CreateChatCompletionResponse", { ...value, choices: [choice] });
    expect(errors).toContainEqual(expect.stringContaining("/choices/0 must have required property 'logprobs'"));
  });

  test("a completion message missing refusal fails", () => {
    const value = completion();
    value.choices[0]!.message = { role: "assistant", content: "Hi" } as (typeof value.choices)[0]["message"];
    expect(validateOpenAI("CreateChatCompletionResponse", value)).toContainEqual(
      expect.stringContaining("/choices/0/message must have required property 'refusal'"),
    );
  });

  test("a stream chunk with finish_reason absent fails", () => {
    const { finish_reason: _omit, ...choice } = chunk().choices[0]!;
    const errors = validateOpenAI("CreateChatCompletionStreamResponse", { ...chunk(), choices: [choice] });
    expect(errors).toContainEqual(expect.stringContaining("/choices/0 must have required property 'finish_reason'"));
  });

  test("a stream chunk with null finish_reason, content and logprobs passes (nullable)", () => {
    expectOpenAI("CreateChatCompletionStreamResponse", chunk());
    expectOpenAI("CreateChatCompletionStreamResponse", {
      ...chunk(),
      choices: [{ index: 0, delta: { content: null }, finish_reason: null }],
      usage: null,
    });
    expectOpenAI("CreateChatCompletionStreamResponse", {
      ...chunk(),
      choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }],
    });
  });

  test("a stream chunk with a finish_reason outside the enum fails", () => {
    const value = { ...chunk(), choices: [{ index: 0, delta: {}, finish_reason: "done" }] };
    expect(validateOpenAI("CreateChatCompletionStreamResponse", value)).toContainEqual(
      expect.stringContaining("/choices/0/finish_reason must be equal to one of the allowed values"),
    );
  });

  test("the usage chunk (choices: [] and usage) passes; a malformed usage fails", () => {
    const usage = { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 };
    expectOpenAI("CreateChatCompletionStreamResponse", { ...chunk(), choices: [], usage });
    expect(
      validateOpenAI("CreateChatCompletionStreamResponse", {
        ...chunk(),
        choices: [],
        usage: { prompt_tokens: 9 },
      }),
    ).toContainEqual(expect.stringContaining("/usage must have required property 'total_tokens'"));
  });

  test("a Model without owned_by fails; a full list passes", () => {
    const model = { id: "llama3.2:latest", object: "model", created: 1686935002, owned_by: "ollama" };
    expectOpenAI("Model", model);
    expectOpenAI("ListModelsResponse", { object: "list", data: [model] });
    const { owned_by: _omit, ...noOwner } = model;
    expect(validateOpenAI("Model", noOwner)).toEqual(["(root) must have required property 'owned_by' [Model/required]"]);
    expect(validateOpenAI("ListModelsResponse", { object: "list", data: [noOwner] })).toContainEqual(
      expect.stringContaining("/data/0 must have required property 'owned_by'"),
    );
  });

  test("ErrorResponse with param: null, code: null passes; without type fails", () => {
    const error = { message: "model 'x' not found", type: "invalid_request_error", param: null, code: null };
    expectOpenAI("ErrorResponse", { error });
    const { type: _omit, ...noType } = error;
    expect(() => expectOpenAI("ErrorResponse", { error: noType })).toThrow(
      /\/error must have required property 'type'/,
    );
    expect(validateOpenAI("ErrorResponse", { error: { message: "x", type: "y" } })).toEqual([
      "/error must have required property 'param' [Error/required]",
      "/error must have required property 'code' [Error/required]",
    ]);
  });

  test("an embedding list with float arrays passes; base64 strings do not", () => {
    const value = {
      object: "list",
      model: "nomic-embed-text",
      data: [
        { object: "embedding", index: 0, embedding: [0.0023064255, -0.009327292, 0.5] },
        { object: "embedding", index: 1, embedding: [1, -0.25] },
      ],
      usage: { prompt_tokens: 8, total_tokens: 8 },
    };
    expectOpenAI("CreateEmbeddingResponse", value);
    const base64 = { ...value, data: [{ object: "embedding", index: 0, embedding: "AAAAAA==" }] };
    expect(validateOpenAI("CreateEmbeddingResponse", base64)).toContainEqual(
      expect.stringContaining("/data/0/embedding must be array"),
    );
  });

  test("tool calls go through the discriminated oneOf", () => {
    const value = completion();
    const message = {
      role: "assistant",
      content: null,
      refusal: null,
      tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: "{}" } }],
    };
    expectOpenAI("CreateChatCompletionResponse", {
      ...value,
      choices: [{ ...value.choices[0]!, message, finish_reason: "tool_calls" }],
    });
    const bad = { ...message, tool_calls: [{ id: "call_1", type: "function", function: { name: "f" } }] };
    expect(
      validateOpenAI("CreateChatCompletionResponse", { ...value, choices: [{ ...value.choices[0]!, message: bad }] }),
    ).not.toEqual([]);
  });
});

describe("toJsonSchema", () => {
  test("nullable becomes anyOf with null, refs point into $defs, data is left alone", () => {
    expect(
      toJsonSchema({
        type: "object",
        properties: {
          reason: { type: "string", enum: ["stop"], nullable: true },
          usage: { $ref: "#/components/schemas/CompletionUsage", nullable: true },
        },
        "x-oaiMeta": { example: { nullable: true } },
      }),
    ).toEqual({
      type: "object",
      properties: {
        reason: { anyOf: [{ type: "string", enum: ["stop"] }, { type: "null" }] },
        usage: { anyOf: [{ $ref: "urn:ollaix:openai-components#/$defs/CompletionUsage" }, { type: "null" }] },
      },
      "x-oaiMeta": { example: { nullable: true } },
    });
  });
});
