import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { expectOpenAI } from "./helpers/openai-schema.ts";
import { builtinPlugins } from "../plugins/index.ts";
import { slowPlugin } from "./helpers/slow-plugin.ts";
import { SEED_MESSAGES, startTestGateway, type TestGateway } from "./helpers/gateway.ts";

const slowSignals: AbortSignal[] = [];
const slow = slowPlugin(slowSignals);

/** Ollaix on a real port, driven by the official `openai` SDK as any user's code would. */
let gw: TestGateway;
let client: OpenAI;
beforeAll(async () => {
  gw = await startTestGateway({ OLLAIX_API_KEYS: "sdk-test-key-0001" }, [...builtinPlugins, slow]);
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "sdk-test-key-0001", maxRetries: 0 });
});
afterAll(() => gw.close());

const messages = SEED_MESSAGES.map((m) => ({ ...m }));

describe("the official openai SDK against Ollaix", () => {
  test("models.list and models.retrieve", async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toContain("dummy-model:1.0");
    const model = await client.models.retrieve("dummy-model:1.0");
    expect(model).toMatchObject({ id: "dummy-model:1.0", object: "model", owned_by: "dummy" });
  });

  test("chat.completions.create, stream: false, with the seed payload", async () => {
    const { data: completion, response } = await client.chat.completions.create({ model: "dummy-model:1.0", messages }).withResponse();
    expect(response.headers.get("x-request-id")).toMatch(/^req_/);
    expectOpenAI("CreateChatCompletionResponse", completion);
    expect(completion.model).toBe("dummy-model:1.0");
    expect(completion.choices[0]!.message.role).toBe("assistant");
    expect(completion.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    expect(completion.usage!.prompt_tokens).toBe(31);
  });

  test("chat.completions.create, stream: true, with usage", async () => {
    const stream = await client.chat.completions.create({
      model: "dummy-model:1.0",
      messages,
      stream: true,
      stream_options: { include_usage: true },
      seed: 21,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    for (const chunk of chunks) expectOpenAI("CreateChatCompletionStreamResponse", chunk);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    const whole = await client.chat.completions.create({ model: "dummy-model:1.0", messages, seed: 21 });
    expect(text).toBe(whole.choices[0]!.message.content!);
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage!.completion_tokens).toBe(whole.usage!.completion_tokens);
  });

  test("the SDK's stream helper assembles the final message", async () => {
    const runner = client.chat.completions.stream({ model: "dummy-model:1.0", messages, seed: 4 });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(final.choices[0]!.finish_reason).toBe("stop");
  });

  test("embeddings.create: the SDK's default base64 transport decodes to the float vector", async () => {
    const viaSdk = await client.embeddings.create({ model: "dummy-model:1.0", input: ["a", "b"] });
    expect(viaSdk.data).toHaveLength(2);
    const floats = await client.embeddings.create({ model: "dummy-model:1.0", input: ["a", "b"], encoding_format: "float" });
    expectOpenAI("CreateEmbeddingResponse", floats);
    expect(viaSdk.data[0]!.embedding).toHaveLength(384);
    viaSdk.data[0]!.embedding.forEach((v, i) => expect(v).toBeCloseTo(floats.data[0]!.embedding[i]!, 6));
  });

  test("errors arrive as the SDK's typed errors with code, param and the request id", async () => {
    const missing = await client.chat.completions.create({ model: "no-such-model", messages }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(missing).toMatchObject({ status: 404, code: "model_not_found", param: "model", type: "invalid_request_error" });
    expect((missing as InstanceType<typeof OpenAI.APIError>).requestID).toMatch(/^req_/);

    const invalid = await client.chat.completions.create({ model: "dummy-model:1.0", messages, temperature: 5 }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(OpenAI.BadRequestError);
    expect(invalid).toMatchObject({ status: 400, param: "temperature" });

    const keyless = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "wrong-key", maxRetries: 0 });
    const denied = await keyless.models.list().catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(denied).toMatchObject({ status: 401, code: "invalid_api_key" });
  });

  test("aborting a stream from the client side ends it cleanly; the server keeps serving", async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ model: "slow-model", messages, stream: true }, { signal: controller.signal });
    let received = 0;
    const consumed = (async () => {
      for await (const _ of stream) if (++received === 2) controller.abort();
    })();
    // The SDK ends the iteration quietly on its own abort (its Stream returns on an AbortError): no
    // chunk arrives after it, although the provider had hundreds more to send.
    await consumed;
    expect(received).toBe(2);
    // …and the provider's own signal was aborted: the upstream call stopped too.
    for (let i = 0; i < 100 && !slowSignals.at(-1)?.aborted; i++) await Bun.sleep(10);
    expect(slowSignals.at(-1)?.aborted).toBe(true);
    const again = await client.chat.completions.create({ model: "dummy-model:1.0", messages });
    expect(again.choices).toHaveLength(1);
  });
});
