import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { json, jsonPost, startTestGateway, type TestGateway } from "./helpers/gateway.ts";

/** Provider-independent rules live in the core: every plugin and surface answers the same. */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.close());

const ask = (extra: Record<string, unknown>) =>
  gw.handle("/v1/chat/completions", jsonPost({ model: "dummy-model:1.0", messages: [{ role: "user", content: "hi" }], ...extra }));
const tool = { type: "function", function: { name: "get_weather", parameters: { type: "object" } } };

describe("rules the core checks before any plugin", () => {
  test.each([
    [{ reasoning_effort: "extreme" }, "reasoning_effort"],
    [{ tool_choice: "required" }, "tool_choice"],
    [{ tool_choice: { type: "function", function: { name: "get_weather" } } }, "tool_choice"],
    [{ tools: [tool], tool_choice: { type: "function", function: { name: "nope" } } }, "tool_choice"],
  ])("%p → 400 naming %s", async (extra, param) => {
    const response = await ask(extra);
    expect(response.status).toBe(400);
    expect((await json(response)).error).toMatchObject({ type: "invalid_request_error", param });
  });

  test.each(["none", "minimal", "low", "medium", "high", "xhigh", "max"])("reasoning_effort %p is accepted", async (effort) => {
    expect((await ask({ reasoning_effort: effort })).status).toBe(200);
  });

  test.each([
    [{ web_search_options: {} }, "web_search_options"],
    [{ web_search_options: { search_context_size: "low" } }, "web_search_options"],
    [{ moderation: { model: "omni-moderation-latest" } }, "moderation"],
    [{ audio: { voice: "alloy", format: "wav" }, modalities: ["text", "audio"] }, "audio"],
    [{ modalities: ["text", "audio"] }, "modalities"],
  ])("OpenAI's own %p on a provider that does not take it (the dummy) → 400 naming %s, never an answer as if it applied", async (extra, param) => {
    const response = await ask(extra);
    expect(response.status).toBe(400);
    expect((await json(response)).error).toMatchObject({ type: "invalid_request_error", param });
  });

  test("modalities text alone, and null features, pass", async () => {
    expect((await ask({ modalities: ["text"] })).status).toBe(200);
    expect((await ask({ web_search_options: null, moderation: null, audio: null })).status).toBe(200);
  });

  test("tool_choice naming a listed tool, or auto/none without tools, passes", async () => {
    expect((await ask({ tools: [tool], tool_choice: { type: "function", function: { name: "get_weather" } } })).status).toBe(200);
    expect((await ask({ tool_choice: "auto" })).status).toBe(200);
    expect((await ask({ tool_choice: "none" })).status).toBe(200);
  });
});

describe("a model id past 512 characters (a probe: a 300 KB id came back as a 300 KB x-ollaix-target header, and thrice in the log)", () => {
  const long = `dummy/${"a".repeat(300_000)}`;
  test.each([
    ["/v1/chat/completions", { model: long, messages: [{ role: "user", content: "hi" }] }, 400],
    ["/v1/chat/completions", { model: long, stream: true, messages: [{ role: "user", content: "hi" }] }, 400],
    ["/v1/responses", { model: long, input: "hi" }, 400],
    ["/v1/messages", { model: long, max_tokens: 10, messages: [{ role: "user", content: "hi" }] }, 400],
    ["/v1/embeddings", { model: long, input: "hi" }, 400],
    ["/api/chat", { model: long, messages: [{ role: "user", content: "hi" }] }, 400],
    // Ollama's paths that answer without a model call (a review): show, and the loads of chat, generate and embed.
    ["/api/show", { model: long }, 400],
    ["/api/chat", { model: long, messages: [] }, 400],
    ["/api/generate", { model: long }, 400],
    ["/api/embed", { model: long }, 400],
  ])("%s → %d in its surface's envelope, no header or log line of its size", async (path, body, status) => {
    gw.logs.length = 0;
    const response = await gw.handle(path, jsonPost(body));
    expect(response.status).toBe(status);
    const text = await response.text();
    expect(text).toContain("at most 512");
    expect(text.length).toBeLessThan(1000);
    for (const [name, value] of response.headers) expect([name, value.includes("a".repeat(100))]).toEqual([name, false]);
    expect(gw.logs.join("").length).toBeLessThan(5000);
  });

  test("GET /v1/models/{id}, OpenAI's and Anthropic's: 400, no echo of the id (a review)", async () => {
    for (const headers of [{}, { "anthropic-version": "2023-06-01" }] as Record<string, string>[]) {
      const response = await gw.handle(`/v1/models/dummy/${"a".repeat(7000)}`, { headers });
      expect(response.status).toBe(400);
      expect((await response.text()).length).toBeLessThan(1000);
    }
  });

  test("512 characters are still a model id (unknown here: 404)", async () => {
    const response = await gw.handle("/v1/chat/completions", jsonPost({ model: `dummy/${"a".repeat(506)}`, messages: [{ role: "user", content: "hi" }] }));
    expect(response.status).toBe(404);
  });
});
