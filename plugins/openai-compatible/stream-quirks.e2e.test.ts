import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import { startFakeServer, streamBody, type FakeServer } from "../../tests/helpers/fake-server.ts";
import { startTestGateway, type TestGateway } from "../../tests/helpers/gateway.ts";
import dummy from "../dummy/index.ts";
import { openAIHandler } from "./__fixtures__/fake-openai.ts";
import { writeConfigFile } from "./__fixtures__/test-env.ts";
import openaiCompatible from "./index.ts";

/**
 * Stream shapes of real servers, through the gateway to the official client. An upstream that keeps a stream alive with SSE comments while its model works (OpenRouter's
 * `: OPENROUTER PROCESSING`, sent "to prevent connection timeouts") is not silent: the gateway's
 * STREAM_IDLE_TIMEOUT_MS must not cut it (a probe: it did, after the first content chunk).
 */
let fake: FakeServer;
let gw: TestGateway;

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: "chatcmpl-k1", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

beforeAll(async () => {
  fake = startFakeServer(openAIHandler);
  const config = writeConfigFile({ plugins: { "openai-compatible": { upstreams: [{ name: "router", base_url: `${fake.url}/v1` }] } } }, "ollaix.yaml");
  gw = await startTestGateway({ OLLAIX_CONFIG: config, STREAM_IDLE_TIMEOUT_MS: "400" }, [dummy, openaiCompatible]);
});
afterAll(async () => {
  await gw.close();
  fake.close();
});

test("keep-alive comments between chunks count as the upstream's activity: a 1.2 s pause of comments every 100 ms under a 400 ms idle limit ends the answer whole", async () => {
  const pieces = [chunk({ role: "assistant", content: "Thinking" }), ...Array.from({ length: 12 }, () => ": OPENROUTER PROCESSING\n\n"), chunk({ content: " done." }), chunk({}, "stop"), "data: [DONE]\n\n"];
  fake.handle((request) =>
    request.path === "/v1/chat/completions" ? new Response(streamBody(pieces, 100), { headers: { "content-type": "text/event-stream" } }) : openAIHandler(request),
  );
  const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x", maxRetries: 0 });
  const stream = await openai.chat.completions.create({ model: "router/gpt-4o-mini", messages: [{ role: "user", content: "Hi" }], stream: true });
  let text = "";
  let finish: string | null | undefined;
  for await (const part of stream) {
    text += part.choices[0]?.delta.content ?? "";
    finish = part.choices[0]?.finish_reason ?? finish;
  }
  expect([text, finish]).toEqual(["Thinking done.", "stop"]);
});

test("a silence of no bytes at all is still cut at the idle limit, with the stream's error", async () => {
  const pieces = [chunk({ role: "assistant", content: "Thinking" }), chunk({ content: " done." }), chunk({}, "stop"), "data: [DONE]\n\n"];
  fake.handle((request) =>
    request.path === "/v1/chat/completions" ? new Response(streamBody(pieces, 1_200), { headers: { "content-type": "text/event-stream" } }) : openAIHandler(request),
  );
  const response = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "router/gpt-4o-mini", messages: [{ role: "user", content: "Hi" }], stream: true }) });
  const body = await response.text();
  expect(body).toContain('"code":"upstream_timeout"');
  expect(body).not.toContain(" done.");
});

test("a proxy's call at index 1 whose id and name come on every delta (LiteLLM's bridge): the openai SDK's stream helper assembles one call, id and name once (a probe: it threw, or joined them as call_Acall_A)", async () => {
  const call = (args: string) => ({ tool_calls: [{ index: 1, id: "call_A", type: "function", function: { name: "get_weather", arguments: args } }] });
  const pieces = [chunk({ role: "assistant", content: null }), chunk(call("")), chunk(call('{"city":')), chunk(call('"Paris"}')), chunk({}, "tool_calls"), "data: [DONE]\n\n"];
  fake.handle((request) =>
    request.path === "/v1/chat/completions" ? new Response(streamBody(pieces), { headers: { "content-type": "text/event-stream" } }) : openAIHandler(request),
  );
  const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x", maxRetries: 0 });
  const tools = [{ type: "function" as const, function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }];
  const final = await openai.chat.completions.stream({ model: "router/gpt-4o-mini", messages: [{ role: "user", content: "Weather in Paris?" }], tools }).finalChatCompletion();
  const calls = final.choices[0]!.message.tool_calls!;
  expect(calls.map((c) => (c.type === "function" ? [c.id, c.function.name, c.function.arguments] : []))).toEqual([["call_A", "get_weather", '{"city":"Paris"}']]);
  expect(final.choices[0]!.finish_reason).toBe("tool_calls");
});
