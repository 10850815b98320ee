// `truncation: "auto"` end to end with the openai SDK: a model whose provider reports a small
// context length gets the oldest items dropped (the instructions kept), and the Response says
// `truncation: "auto"`; without it, everything is sent, as OpenAI's default `disabled` does here.
import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import { definePlugin, type ChatRequest, type ChatResult } from "../src/kit.ts";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { expectOpenAI } from "./helpers/openai-schema.ts";

const received: ChatRequest[] = [];
const answer = (request: ChatRequest): ChatResult => {
  received.push(request);
  return { choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: `I saw ${request.messages.length} messages.` } }] };
};
const small = definePlugin({
  name: "small",
  models: [{ id: "small-window", context_length: 200 }, { id: "unknown-window" }],
  chat: async (request) => answer(request),
  async *chatStream(request) {
    const result = answer(request);
    yield { choices: [{ index: 0, delta: { content: result.choices[0]!.message.content as string }, finish_reason: "stop" }] };
  },
});

let gw: TestGateway;
let client: OpenAI;
beforeAll(async () => {
  gw = await startTestGateway({}, [small]);
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(() => gw?.close());

const long = (word: string) => Array.from({ length: 120 }, () => word).join(" ");
const input: OpenAI.Responses.ResponseInputItem[] = [
  { role: "user", content: long("apple") },
  { role: "assistant", content: long("pear") },
  { role: "user", content: "What did I ask first?" },
];

test("auto: the oldest items are dropped to fit the model's context length, the instructions kept; streamed too", async () => {
  const response = await client.responses.create({ model: "small-window", instructions: "Be brief.", input, truncation: "auto" });
  expectOpenAI("Response", response);
  expect(response.truncation).toBe("auto");
  expect(received.at(-1)!.messages).toEqual([
    { role: "system", content: "Be brief." },
    { role: "user", content: "What did I ask first?" },
  ]);
  // What was sent is stored as sent: the conversation keeps every item.
  expect((await client.responses.inputItems.list(response.id)).data).toHaveLength(3);

  const stream = await client.responses.create({ model: "small-window", instructions: "Be brief.", input, truncation: "auto", stream: true });
  for await (const event of stream) if (event.type === "response.completed") expect(event.response.truncation).toBe("auto");
  expect(received.at(-1)!.messages).toHaveLength(2);
});

test("disabled (the default), and a model with no known context length: everything is sent", async () => {
  const plain = await client.responses.create({ model: "small-window", input });
  expect(plain.truncation).toBe("disabled");
  expect(received.at(-1)!.messages).toHaveLength(3);
  const unknown = await client.responses.create({ model: "unknown-window", input, truncation: "auto" });
  expect(unknown.truncation).toBe("auto");
  expect(received.at(-1)!.messages).toHaveLength(3);
});

test("an input that cannot fit is a 400 context_length_exceeded naming input, before anything is sent or queued", async () => {
  const seen = received.length;
  const huge = [{ role: "user" as const, content: long("apple") + long("plum") + long("fig") }];
  for (const extra of [{}, { stream: true }, { background: true }]) {
    const error = await client.responses.create({ model: "small-window", input: huge, truncation: "auto", ...extra }).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: "input", code: "context_length_exceeded" });
  }
  expect(received.length).toBe(seen);
  const bad = await client.responses.create({ model: "small-window", input: "hi", truncation: "sometimes" as "auto" }).catch((e) => e);
  expect(bad).toMatchObject({ status: 400, param: "truncation" });
});

test("input_tokens counts what the create would send: with auto, the items that fit; without, all of them", async () => {
  const count = async (body: object) => {
    const response = await fetch(`${gw.url}/v1/responses/input_tokens`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    expect(response.status).toBe(200);
    return ((await response.json()) as { input_tokens: number }).input_tokens;
  };
  const body = { model: "small-window", instructions: "Be brief.", input };
  const all = await count(body);
  const fitted = await count({ ...body, truncation: "auto" });
  const kept = await count({ model: "small-window", instructions: "Be brief.", input: [input[2]!] });
  expect(all).toBeGreaterThan(200); // over the model's context: what `disabled` would send
  expect(fitted).toBe(kept); // what `auto` sends: the instructions and the last message
  // One that cannot fit is refused as the create refuses it.
  const huge = await fetch(`${gw.url}/v1/responses/input_tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "small-window", input: long("apple") + long("plum") + long("fig"), truncation: "auto" }),
  });
  expect(huge.status).toBe(400);
  expect(((await huge.json()) as { error: { code: string } }).error.code).toBe("context_length_exceeded");
});
