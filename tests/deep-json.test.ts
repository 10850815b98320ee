// A body nested deeper than MAX_JSON_DEPTH: each surface's own 400 before any provider is called,
// stream or not (it used to be a 500, or an empty event stream, once the Response echoed it back).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MAX_JSON_DEPTH } from "../src/body.ts";
import { checkAnthropicError, checkOllamaError, checkResponsesSse } from "./helpers/fuzz-envelopes.ts";
import { jsonPost, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { expectOpenAI } from "./helpers/openai-schema.ts";

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.close();
});

const model = "dummy-model:1.0";
/**
 * `levels` arrays, one inside the other, around an empty object: a marker that `text` spells out
 * (this process could not serialise 60,000 levels either).
 */
const nested = (levels: number): string => `@@${levels}@@`;
const text = (body: unknown): string => JSON.stringify(body).replace(/"@@(\d+)@@"/g, (_, n) => `${"[".repeat(Number(n))}{}${"]".repeat(Number(n))}`);
const post = (body: unknown): RequestInit => jsonPost(text(body));
const JUST_OVER = MAX_JSON_DEPTH + 1;
const FAR_OVER = 60_000; // what overflowed JSON.stringify's stack when the answer echoed it

/** Every request the surfaces take, with `depth` levels in a field the answer echoes or the store keeps. */
const deepRequests = (depth: number) => ({
  // body (1) → tools (2) → tool (3) → parameters (4) → "a" (5…)
  "responses: a tool's parameters": ["/v1/responses", { model, input: "hi", tools: [{ type: "function", name: "f", parameters: { a: nested(depth - 5) } }] }],
  // body (1) → input (2) → item (3) → extra field (4…)
  "responses: an unknown field of an input item": ["/v1/responses", { model, input: [{ role: "user", content: "hi", extra: nested(depth - 4) }] }],
  "chat: a tool's parameters": ["/v1/chat/completions", { model, messages: [{ role: "user", content: "hi" }], tools: [{ type: "function", function: { name: "f", parameters: { a: nested(depth - 6) } } }] }],
  "messages: a tool's input_schema": ["/v1/messages", { model, max_tokens: 64, messages: [{ role: "user", content: "hi" }], tools: [{ name: "f", input_schema: { type: "object", a: nested(depth - 5) } }] }],
  "ollama: format": ["/api/chat", { model, messages: [{ role: "user", content: "hi" }], format: { a: nested(depth - 3) } }],
}) as Record<string, [string, Record<string, unknown>]>;

describe(`a body nested more than ${MAX_JSON_DEPTH} levels deep`, () => {
  for (const depth of [JUST_OVER, FAR_OVER]) {
    for (const [name, [path, body]] of Object.entries(deepRequests(depth))) {
      test.each([false, true])(`${depth} levels, ${name}, stream %p: the surface's 400`, async (stream) => {
        const response = await fetch(`${gw.url}${path}`, post({ ...body, stream }));
        expect(response.status).toBe(400);
        expect(response.headers.get("x-request-id")).toBeTruthy();
        const error = (await response.json()) as Record<string, unknown>;
        if (path === "/v1/messages") expect(checkAnthropicError(error)).toBeUndefined();
        else if (path === "/api/chat") expect(checkOllamaError(error)).toBeUndefined();
        else expectOpenAI("ErrorResponse", error);
        expect(JSON.stringify(error)).toContain(`more than ${MAX_JSON_DEPTH} levels deep`);
      });
    }
  }
  test("nothing was answered, stored or counted for them: the gateway serves on", async () => {
    const ok = await fetch(`${gw.url}/v1/responses`, jsonPost({ model, input: "still here" }));
    expect(ok.status).toBe(200);
  });
});

describe(`a body exactly ${MAX_JSON_DEPTH} levels deep`, () => {
  const [, body] = deepRequests(MAX_JSON_DEPTH)["responses: a tool's parameters"]!;

  test("is answered, echoed, stored and read back", async () => {
    const response = await fetch(`${gw.url}/v1/responses`, post(body));
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { id: string; tools: unknown[] };
    expectOpenAI("Response", answer);
    expect(answer.tools[0]).toMatchObject({ parameters: JSON.parse(text(body)).tools[0].parameters });
    expect(await (await fetch(`${gw.url}/v1/responses/${answer.id}`)).json()).toEqual(answer);
  });

  test("is streamed", async () => {
    const response = await fetch(`${gw.url}/v1/responses`, post({ ...body, stream: true }));
    expect(response.status).toBe(200);
    expect(checkResponsesSse(response, await response.text())).toBeUndefined();
  });

  test.each(["chat: a tool's parameters", "messages: a tool's input_schema", "ollama: format"])("%s is answered", async (name) => {
    const [path, deep] = deepRequests(MAX_JSON_DEPTH)[name]!;
    expect((await fetch(`${gw.url}${path}`, post(deep))).status).toBe(200);
  });
});
