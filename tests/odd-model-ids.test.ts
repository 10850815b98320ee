// Model ids are an upstream's to choose: one with a control character is not listed (no model
// name holds one, and it would be no header value), and a listed id outside printable ASCII is
// percent-encoded in x-ollaix-target. Either way the client gets OpenAI's envelope or the answer,
// never the server's own 500.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { definePlugin } from "../src/kit.ts";
import { json, jsonPost, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { expectOpenAI } from "./helpers/openai-schema.ts";

const odd = definePlugin({
  name: "odd",
  models: async () => [{ id: "evil\nmodel" }, { id: "tab\there" }, { id: "modèle-é" }],
  async chat() {
    return { choices: [{ index: 0, finish_reason: "stop" as const, message: { role: "assistant" as const, content: "Bonjour." } }] };
  },
  async *chatStream() {
    yield { choices: [{ index: 0, delta: { content: "Bonjour." }, finish_reason: "stop" as const }] };
  },
});

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({}, [odd]);
});
afterAll(() => gw.close());

test("an id with a control character is not listed, and asking for it is OpenAI's 404, not a 500", async () => {
  const listed = (await json(fetch(`${gw.url}/v1/models`))).data.map((m: { id: string }) => m.id);
  expect(listed).toEqual(["modèle-é"]);
  for (const model of ["evil\nmodel", "tab\there"]) {
    for (const path of ["/v1/chat/completions", "/v1/responses"]) {
      const body = path === "/v1/responses" ? { model, input: "Hi" } : { model, messages: [{ role: "user", content: "Hi" }] };
      const answer = await fetch(`${gw.url}${path}`, jsonPost(body));
      expect([model, path, answer.status]).toEqual([model, path, 404]);
      expectOpenAI("ErrorResponse", await json(answer));
    }
  }
  // Named through its instance, the id goes to the provider as asked: its answer comes back, the target header encoded.
  for (const stream of [false, true]) {
    const answer = await fetch(`${gw.url}/v1/responses`, jsonPost({ model: "odd/evil\nmodel", input: "Hi", stream }));
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-ollaix-target")).toBe(encodeURIComponent("odd/evil\nmodel"));
    await answer.text();
  }
  expect(gw.logs.join("\n")).not.toContain("invalid value");
});

test("a listed id outside printable ASCII answers, its x-ollaix-target percent-encoded", async () => {
  const answer = await fetch(`${gw.url}/v1/responses`, jsonPost({ model: "modèle-é", input: "Hi" }));
  expect(answer.status).toBe(200);
  expect(answer.headers.get("x-ollaix-target")).toBe(encodeURIComponent("odd/modèle-é"));
  expect((await json(answer)).model).toBe("modèle-é");
});
