import { describe, expect, test } from "bun:test";
import { fixture, fixtureLines } from "../../tests/ollama/fake-ollama.ts";
import { errorTextOf, parseChatResponse, parseEmbedResponse, parseShow, parseTags, parseVersion } from "./wire.ts";

describe("documented answers pass", () => {
  test.each(["chat.json", "chat-tools.json", "chat-structured.json", "chat-thinking.json"])("%s", (name) => {
    expect(parseChatResponse(fixture(name))).toEqual(fixture(name) as never);
  });
  test.each(["chat-stream.ndjson", "chat-stream-tools.ndjson"])("%s, line by line", (name) => {
    for (const line of fixtureLines(name)) expect(parseChatResponse(line)).toEqual(line as never);
  });
  test("tags, show, embed, version", () => {
    expect(parseTags(fixture("tags.json")).models).toHaveLength(2);
    expect(parseShow(fixture("show-llava.json")).capabilities).toEqual(["completion", "vision"]);
    expect(parseShow(fixture("show-gpt-oss-thinking.json")).thinking?.values).toEqual(["low", "medium", "high"]);
    expect(parseEmbedResponse(fixture("embed-multiple.json")).embeddings).toHaveLength(2);
    expect(parseVersion({ version: "0.5.1" })).toEqual({ version: "0.5.1" });
  });
  test("a final stream line without message (older servers) passes", () => {
    expect(parseChatResponse({ model: "llama3.2", done: true, prompt_eval_count: 26, eval_count: 282 }).done).toBe(true);
  });
});

describe("anything else is an UpstreamError", () => {
  test.each([
    [{ message: { content: "x" } }, "Ollama sent a chat response that does not match its documented format (/done: Expected required property)."],
    [{ done: true, message: { tool_calls: [{ function: { name: "f", arguments: '{"a":1}' } }] } }, "Ollama sent a chat response that does not match its documented format (/message/tool_calls: Expected union value)."],
    [{ done: true, eval_count: -1 }, "Ollama sent a chat response that does not match its documented format (/eval_count: Expected integer to be greater or equal to 0)."],
    ["text", "Ollama sent a chat response that does not match its documented format (/: Expected object)."],
    [{ error: "model requires more system memory" }, "Ollama reported an error: model requires more system memory"],
  ])("%j", (value, message) => {
    expect(() => parseChatResponse(value)).toThrow(expect.objectContaining({ status: 502, code: "upstream_error", message }));
  });
});

test("errorTextOf reads Ollama's error body only", () => {
  expect(errorTextOf({ error: "boom" })).toBe("boom");
  expect(errorTextOf({ error: { message: "boom" } })).toBeUndefined();
  expect(errorTextOf("boom")).toBeUndefined();
});
