// Anthropic's message threads (`thread`, which the SDK's toolRunner and thread().send() use): this
// gateway keeps no thread, and refuses one as Anthropic refuses what it cannot thread, so the SDK
// sends the whole history instead of a fragment the model would answer alone.
import Anthropic from "@anthropic-ai/sdk";
import { betaZodTool } from "@anthropic-ai/sdk/helpers/beta/zod";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { z } from "zod";
import { json, jsonPost, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { createScripted, finish, SCRIPTED_MODEL, text, toolCall, type ScriptedProvider } from "./scripted-plugin.ts";

let gw: TestGateway;
let scripted: ScriptedProvider;
let client: Anthropic;
beforeAll(async () => {
  scripted = createScripted();
  gw = await startTestGateway({}, [scripted]);
  client = new Anthropic({ baseURL: gw.url, apiKey: "x", maxRetries: 0 });
});
afterAll(() => gw.close());

test("a request with a thread is a 400 thread_unsupported_request in Anthropic's envelope, with the details its SDK reads", async () => {
  const answer = await fetch(`${gw.url}/v1/messages`, jsonPost({ model: SCRIPTED_MODEL, max_tokens: 16, messages: [{ role: "user", content: "Hi" }], thread: { type: "create" } }));
  expect(answer.status).toBe(400);
  expect(await json(answer)).toEqual({
    type: "error",
    error: { type: "invalid_request_error", message: expect.stringContaining("threads are not supported"), details: { error_code: "thread_unsupported_request", unsupported: ["thread"] } },
    request_id: answer.headers.get("x-request-id"),
  });
  expect(scripted.received).toHaveLength(0);
});

test("the SDK's toolRunner then sends the whole history: the model sees the first question, its call and the tool's result", async () => {
  scripted.queue.push({ chunks: [toolCall(0, "call_1", "get_weather", '{"city":"Paris"}'), finish("tool_calls")] });
  scripted.queue.push({ chunks: [text("It is 12 C in Paris."), finish("stop")] });
  const weather = betaZodTool({ name: "get_weather", description: "Weather", inputSchema: z.object({ city: z.string() }), run: async ({ city }) => `12 C in ${city}` });
  const runner = client.beta.messages.toolRunner({ model: SCRIPTED_MODEL, max_tokens: 256, messages: [{ role: "user", content: "Weather in Paris?" }], tools: [weather] });
  const final = await runner.runUntilDone();
  expect(final.content).toEqual([expect.objectContaining({ type: "text", text: "It is 12 C in Paris." })]);
  const last = scripted.received.at(-1)!;
  expect(last.messages.map((m) => m.role)).toEqual(["user", "assistant", "tool"]);
  expect(last.messages[2]).toMatchObject({ role: "tool", content: "12 C in Paris" });
});
