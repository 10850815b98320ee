import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { json, jsonPost, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { expectOpenAI } from "./helpers/openai-schema.ts";

/**
 * Images every surface checks before any provider is called (a probe): what slipped through reached
 * Gemini and Ollama dropped or as sent, and their refusals named their own fields, not the client's.
 */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.close());

const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
const post = (path: string, body: unknown) => gw.handle(path, jsonPost(body, { "anthropic-version": "2023-06-01" }));

describe("Responses: images in user messages only, as Chat Completions", () => {
  test.each(["developer", "system"])("an input_image in a %s message → 400 naming its type", async (role) => {
    const response = await post("/v1/responses", {
      model: "dummy-model:1.0",
      input: [{ role, content: [{ type: "input_text", text: "a" }, { type: "input_image", image_url: `data:image/png;base64,${PNG}` }] }, { role: "user", content: "hi" }],
    });
    expect(response.status).toBe(400);
    const body = await json(response);
    expectOpenAI("ErrorResponse", body);
    expect(body.error).toMatchObject({ type: "invalid_request_error", param: "input[0].content[1].type" });
  });

  test("a user's image is still taken", async () => {
    expect((await post("/v1/responses", { model: "dummy-model:1.0", input: [{ role: "user", content: [{ type: "input_image", image_url: `data:image/png;base64,${PNG}` }] }] })).status).toBe(200);
  });
});

describe("a data URL's base64 is base64, on every surface", () => {
  test.each([
    ["not base64", "!!!bad"],
    ["empty", ""],
  ])("Chat Completions, %s → 400 naming image_url.url", async (_what, data) => {
    const response = await post("/v1/chat/completions", { model: "dummy-model:1.0", messages: [{ role: "user", content: [{ type: "text", text: "a" }, { type: "image_url", image_url: { url: `data:image/png;base64,${data}` } }] }] });
    expect(response.status).toBe(400);
    expect((await json(response)).error).toMatchObject({ param: "messages[0].content[1].image_url.url" });
  });

  test.each(["file:///etc/passwd", "gopher://127.0.0.1:6379/_INFO", "ftp://example.com/cat.png"])(
    "an image URL that is neither data: nor http(s) (%s) → 400 on Chat Completions and Responses, never sent on to an upstream that fetches media",
    async (url) => {
      const chat = await post("/v1/chat/completions", { model: "dummy-model:1.0", messages: [{ role: "user", content: [{ type: "text", text: "a" }, { type: "image_url", image_url: { url } }] }] });
      expect(chat.status).toBe(400);
      expect((await json(chat)).error).toMatchObject({ param: "messages[0].content[1].image_url.url", message: expect.stringContaining("only http(s) and data: URLs") });
      const responses = await post("/v1/responses", { model: "dummy-model:1.0", input: [{ role: "user", content: [{ type: "input_image", image_url: url }] }] });
      expect(responses.status).toBe(400);
      expect((await json(responses)).error.param).toBe("input[0].content[0].image_url");
    },
  );

  test.each(["DATA", "Data"])("a data URL's scheme in any case (%s:) is a data URL, as URL schemes are (a probe: refused as 'only http(s) and data: URLs')", async (scheme) => {
    const url = `${scheme}:image/png;base64,${PNG}`;
    const chat = await post("/v1/chat/completions", { model: "dummy-model:1.0", messages: [{ role: "user", content: [{ type: "text", text: "a" }, { type: "image_url", image_url: { url } }] }] });
    expect(chat.status).toBe(200);
    const responses = await post("/v1/responses", { model: "dummy-model:1.0", input: [{ role: "user", content: [{ type: "input_image", image_url: url }] }] });
    expect(responses.status).toBe(200);
    const bad = await post("/v1/chat/completions", { model: "dummy-model:1.0", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: `${scheme}:image/png;base64,!!!bad` } }] }] });
    expect((await json(bad)).error).toMatchObject({ param: "messages[0].content[0].image_url.url", message: expect.stringContaining("not base64") });
  });

  test("Responses: an input_image of bad base64 → 400 naming the client's field", async () => {
    const response = await post("/v1/responses", { model: "dummy-model:1.0", input: [{ role: "user", content: [{ type: "input_text", text: "a" }, { type: "input_image", image_url: "data:image/png;base64,!!!bad" }] }] });
    expect(response.status).toBe(400);
    expect((await json(response)).error.param).toStartWith("input[0].content[1].image_url");
  });

  test("Anthropic: a base64 image of bad data, or of a type Anthropic does not take (image/bmp) → 400 invalid_request_error", async () => {
    for (const source of [
      { type: "base64", media_type: "image/png", data: "!!!bad" },
      { type: "base64", media_type: "image/bmp", data: PNG },
    ]) {
      const response = await post("/v1/messages", { model: "dummy-model:1.0", max_tokens: 10, messages: [{ role: "user", content: [{ type: "image", source }, { type: "text", text: "what?" }] }] });
      expect(response.status).toBe(400);
      expect(await json(response)).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    }
    const good = await post("/v1/messages", { model: "dummy-model:1.0", max_tokens: 10, messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: PNG } }, { type: "text", text: "what?" }] }] });
    expect(good.status).toBe(200);
  });

  test("base64 with line breaks (as some encoders wrap it) is still base64", async () => {
    const wrapped = `${PNG.slice(0, 40)}\n${PNG.slice(40)}`;
    const response = await post("/v1/chat/completions", { model: "dummy-model:1.0", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: `data:image/png;base64,${wrapped}` } }] }] });
    expect(response.status).toBe(200);
  });
});
