// `include: ["reasoning.encrypted_content"]` (what a store: false client asks for to keep reasoning
// across turns, as the AI SDK does): reasoning items carry their thinking sealed, and sent back
// without their summary, the provider gets the thinking again (DeepSeek refuses tool turns without it).
import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import type { ChatRequest } from "../src/kit.ts";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { expectOpenAI } from "./helpers/openai-schema.ts";
import { toolPlugin } from "./helpers/tool-plugin.ts";

const received: ChatRequest[] = [];
let gw: TestGateway;
let client: OpenAI;
beforeAll(async () => {
  gw = await startTestGateway({}, [toolPlugin(received)]);
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x", maxRetries: 0 });
});
afterAll(() => gw.close());

const tools = [{ type: "function" as const, name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: false }];

/** The tool turn sent back as a store: false client keeps it: the question, a reasoning item, the call and its result. */
function replayToolTurn(question: string, reasoning: { id: string; encrypted_content: string }, call: OpenAI.Responses.ResponseFunctionToolCall) {
  return client.responses.create({
    model: "tool-model",
    tools,
    store: false,
    input: [
      { role: "user", content: question },
      { type: "reasoning", id: reasoning.id, summary: [], encrypted_content: reasoning.encrypted_content },
      { type: "function_call", call_id: call.call_id, name: call.name, arguments: call.arguments },
      { type: "function_call_output", call_id: call.call_id, output: "12 C" },
    ],
  });
}

test("asked for, the reasoning item carries encrypted_content, streamed and not; sent back alone, the provider gets the thinking", async () => {
  const response = await client.responses.create({ model: "tool-model", input: "Weather in Paris?", tools, store: false, include: ["reasoning.encrypted_content"] });
  expectOpenAI("Response", response);
  const reasoning = response.output[0] as OpenAI.Responses.ResponseReasoningItem;
  expect(reasoning.type).toBe("reasoning");
  expect(reasoning.encrypted_content).toStartWith("ollaix.reasoning.v1.");
  const call = response.output[1] as OpenAI.Responses.ResponseFunctionToolCall;

  // The history as a store: false client keeps it, the reasoning without its summary.
  await replayToolTurn("Weather in Paris?", { id: reasoning.id, encrypted_content: reasoning.encrypted_content! }, call);
  expect(received.at(-1)!.messages[1]).toMatchObject({ role: "assistant", reasoning_content: "I should call the tool." });

  const stream = await client.responses.create({ model: "tool-model", input: "Weather?", tools, store: false, stream: true, include: ["reasoning.encrypted_content"] });
  let sealed: string | null | undefined;
  for await (const event of stream) {
    expectOpenAI("ResponseStreamEvent", event);
    if (event.type === "response.output_item.done" && event.item.type === "reasoning") sealed = event.item.encrypted_content;
  }
  expect(sealed).toBe(reasoning.encrypted_content!);
});

test("not asked for, there is none; OpenAI's own encrypted reasoning (unreadable here) is dropped, as before", async () => {
  const response = await client.responses.create({ model: "tool-model", input: "Weather?", tools, store: false });
  expect((response.output[0] as OpenAI.Responses.ResponseReasoningItem).encrypted_content).toBeUndefined();
  const call = response.output[1] as OpenAI.Responses.ResponseFunctionToolCall;
  await replayToolTurn("Weather?", { id: "rs_openai", encrypted_content: "gAAAAABoOpenAI" }, call);
  expect(received.at(-1)!.messages[1]).not.toHaveProperty("reasoning_content");
});

test("a stored response retrieved with include=reasoning.encrypted_content carries it, as the create would have given it; without, as stored (a probe)", async () => {
  const created = await client.responses.create({ model: "tool-model", input: "Weather in Paris?", tools });
  expect((created.output[0] as OpenAI.Responses.ResponseReasoningItem).encrypted_content).toBeUndefined();
  const sealed = await client.responses.retrieve(created.id, { include: ["reasoning.encrypted_content"] });
  expectOpenAI("Response", sealed);
  const reasoning = sealed.output[0] as OpenAI.Responses.ResponseReasoningItem;
  const asked = await client.responses.create({ model: "tool-model", input: "Weather in Paris?", tools, store: false, include: ["reasoning.encrypted_content"] });
  expect(reasoning.encrypted_content).toBe((asked.output[0] as OpenAI.Responses.ResponseReasoningItem).encrypted_content!);
  expect({ ...sealed, output: sealed.output.slice(1) }).toEqual({ ...created, output: created.output.slice(1) });
  expect((await client.responses.retrieve(created.id)).output[0]).not.toHaveProperty("encrypted_content");
  // Sent back alone (a client that keeps its items), the provider gets the thinking.
  await replayToolTurn("Weather in Paris?", { id: reasoning.id, encrypted_content: reasoning.encrypted_content! }, created.output[1] as OpenAI.Responses.ResponseFunctionToolCall);
  expect(received.at(-1)!.messages[1]).toMatchObject({ role: "assistant", reasoning_content: "I should call the tool." });
});
