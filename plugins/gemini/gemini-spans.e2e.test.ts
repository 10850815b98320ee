import { afterAll, beforeAll, expect, test } from "bun:test";
import { startCollector, type FakeCollector } from "../../tests/helpers/otlp-collector.ts";
import { json, sse } from "./__fixtures__/fake-gemini.ts";
import { startGeminiGateway, type GeminiGateway } from "./__fixtures__/gemini-gateway.ts";
import text from "./__fixtures__/generate-text.json";
import streamText from "./__fixtures__/stream-text.events.json";

/**
 * The model Gemini says answered (`modelVersion`: an alias such as `gemini-flash-latest` answers as
 * a dated model) is the span's `gen_ai.response.model`; the client's answer keeps the id it asked for.
 */
let env: GeminiGateway;
let collector: FakeCollector;
beforeAll(async () => {
  collector = startCollector();
  env = await startGeminiGateway({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_BSP_SCHEDULE_DELAY: "20" } });
});
afterAll(async () => {
  await env.close();
  await collector.close();
});

test("a completion's span names the provider gcp.gemini and Gemini's modelVersion, streamed or not; the answer names the id asked for", async () => {
  env.upstream.answer(() => json({ ...text, modelVersion: "gemini-2.5-flash-preview-09-2025" }));
  const answer = await env.client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "Hi" }] }).withResponse();
  expect(answer.data.model).toBe("gemini-2.5-flash");
  const requestId = answer.response.headers.get("x-request-id")!;
  const span = await collector.waitForSpan((s) => s.attributes["ollaix.request_id"] === requestId);
  // The conventions' well-known provider name for the Gemini API, not the instance name.
  expect(span.attributes).toMatchObject({ "gen_ai.provider.name": "gcp.gemini", "gen_ai.request.model": "gemini-2.5-flash", "gen_ai.response.model": "gemini-2.5-flash-preview-09-2025" });

  env.upstream.answer(() => sse(streamText.map((event) => ({ ...event, modelVersion: "gemini-2.5-flash-001" }))));
  const stream = await env.client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "Hi" }], stream: true }).withResponse();
  const models = new Set<string>();
  for await (const chunk of stream.data) models.add(chunk.model);
  expect([...models]).toEqual(["gemini-2.5-flash"]);
  const streamed = await collector.waitForSpan((s) => s.attributes["ollaix.request_id"] === stream.response.headers.get("x-request-id"));
  expect(streamed.attributes["gen_ai.response.model"]).toBe("gemini-2.5-flash-001");
});
