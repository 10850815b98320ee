// A plugin that breaks the output contract in a way its types would have caught (an untyped `.js`
// plugin): tool-call `arguments` as an object, not JSON text. Every surface answers the provider's
// 502 (or its stream's error event), not a 500 of its own or `"[object Object]"` on the wire (a probe).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import dummy from "../plugins/dummy/index.ts";
import { definePlugin, type ChunkResult } from "../src/kit.ts";
import { jsonPost, startTestGateway, type TestGateway } from "./helpers/gateway.ts";

const call = { id: "call_1", type: "function", function: { name: "look", arguments: { city: "Paris" } } };
const broken = definePlugin({
  name: "broken",
  models: [{ id: "broken-model" }],
  async chat() {
    return { choices: [{ index: 0, finish_reason: "tool_calls", message: { content: null, tool_calls: [call] } }] } as never;
  },
  async *chatStream(): AsyncGenerator<ChunkResult> {
    yield { choices: [{ index: 0, delta: { content: "Let me look." } }] };
    yield { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, ...call }] } }] } as never;
    yield { choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] };
  },
});

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({}, [dummy, broken]);
});
afterAll(() => gw.close());

const tools = [{ type: "function", function: { name: "look", parameters: { type: "object", properties: {} } } }];
const hi = [{ role: "user", content: "hi" }];

describe("tool-call arguments that are not text", () => {
  test("non-streamed: 502 in each surface's envelope (Chat Completions, Responses, Messages, Ollama)", async () => {
    const asked = [
      ["/v1/chat/completions", { model: "broken-model", messages: hi, tools }],
      ["/v1/responses", { model: "broken-model", input: "hi", tools: [{ type: "function", name: "look", parameters: { type: "object", properties: {} } }] }],
      ["/v1/messages", { model: "broken-model", max_tokens: 50, messages: hi, tools: [{ name: "look", input_schema: { type: "object" } }] }],
      ["/api/chat", { model: "broken-model", messages: hi, tools, stream: false }],
    ] as const;
    for (const [path, body] of asked) {
      const response = await fetch(`${gw.url}${path}`, jsonPost(body));
      const text = await response.text();
      expect([path, response.status]).toEqual([path, 502]);
      expect(text).toContain("arguments are not JSON text");
      expect(text).not.toContain("internal_error");
    }
  });

  test("streamed: the text so far, then the surface's error event; never [object Object]", async () => {
    const response = await fetch(`${gw.url}/v1/chat/completions`, jsonPost({ model: "broken-model", messages: hi, tools, stream: true }));
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain("Let me look.");
    expect(text).toContain('"code":"upstream_error"');
    expect(text).not.toContain("[object Object]");
    const messages = await (await fetch(`${gw.url}/v1/messages`, jsonPost({ model: "broken-model", max_tokens: 50, messages: hi, stream: true, tools: [{ name: "look", input_schema: { type: "object" } }] }))).text();
    expect(messages).toContain("event: error");
    expect(messages).not.toContain("[object Object]");
  });
});
