import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { jsonPost, startTestGateway, type TestGateway } from "../../tests/helpers/gateway.ts";
import { expectOpenAI } from "../../tests/helpers/openai-schema.ts";
import dummy from "../dummy/index.ts";
import { freePort, writeConfigFile } from "./__fixtures__/test-env.ts";
import openaiCompatible from "./index.ts";

/**
 * Ollaix behind Ollaix, in process: `second` has an upstream named `first` that is the first
 * gateway, so the first one's dummy model is `first/dummy-model:1.0` there. And an Ollaix whose
 * upstream is itself, which must fail fast with 508 instead of hanging.
 */
let first: TestGateway;
let second: TestGateway;
let direct: OpenAI;
let chained: OpenAI;

beforeAll(async () => {
  first = await startTestGateway({}, [dummy]);
  const config = writeConfigFile({ plugins: { "openai-compatible": { upstreams: [{ name: "first", base_url: `${first.url}/v1` }] } } }, "chain.yaml");
  second = await startTestGateway({ OLLAIX_CONFIG: config }, [dummy, openaiCompatible]);
  direct = new OpenAI({ baseURL: `${first.url}/v1`, apiKey: "x", maxRetries: 0 });
  chained = new OpenAI({ baseURL: `${second.url}/v1`, apiKey: "x", maxRetries: 0 });
});
afterAll(async () => {
  await second.close();
  await first.close();
});

const messages = [{ role: "user" as const, content: "Tell me something" }];
const MODEL = "first/dummy-model:1.0";

describe("a chain of two gateways", () => {
  test("the first gateway's models are listed by the second under the instance, with their extras", async () => {
    const page = await chained.models.list();
    expect(page.data.map((m) => [m.id, m.owned_by])).toEqual([
      ["dummy-model:1.0", "dummy"],
      [MODEL, "first"],
    ]);
    expect(page.data[1]).toMatchObject({ created: 1735689600, name: "Dummy model", context_length: 8192 });
  });

  test("non-stream: the same answer as asking the first directly, under the chained id", async () => {
    const viaChain = await chained.chat.completions.create({ model: MODEL, messages, seed: 7 });
    const viaFirst = await direct.chat.completions.create({ model: "dummy-model:1.0", messages, seed: 7 });
    expectOpenAI("CreateChatCompletionResponse", viaChain);
    expect(viaChain.model).toBe(MODEL);
    expect(viaChain.id).toMatch(/^chatcmpl-/);
    expect(viaChain.choices).toEqual(viaFirst.choices);
    expect(viaChain.usage).toEqual(viaFirst.usage);
  });

  test("stream: the same text, every chunk under the chained id, usage when asked", async () => {
    const stream = await chained.chat.completions.create({ model: MODEL, messages, seed: 11, stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    for (const chunk of chunks) expectOpenAI("CreateChatCompletionStreamResponse", chunk);
    expect(new Set(chunks.map((c) => c.model))).toEqual(new Set([MODEL]));
    const whole = await direct.chat.completions.create({ model: "dummy-model:1.0", messages, seed: 11 });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(whole.choices[0]!.message.content!);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: whole.usage });
  });

  test("embeddings: the first gateway's vectors", async () => {
    const viaChain = await chained.embeddings.create({ model: MODEL, input: ["alpha", "beta"], encoding_format: "float" });
    const viaFirst = await direct.embeddings.create({ model: "dummy-model:1.0", input: ["alpha", "beta"], encoding_format: "float" });
    expect(viaChain.model).toBe(MODEL);
    expect(viaChain.data).toEqual(viaFirst.data);
  });

  test("an unknown model behind the chain is a 404 naming the chained id", async () => {
    const missing = await chained.chat.completions.create({ model: "first/no-such-model", messages }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(missing).toMatchObject({
      code: "model_not_found",
      error: { message: "The model 'first/no-such-model' does not exist or you do not have access to it." },
    });
  });
});

describe("a gateway chained to itself", () => {
  let loop: TestGateway;
  beforeAll(async () => {
    const port = await freePort();
    // `loop-model` is listed by the `self` instance, whose upstream is this very gateway: each
    // hop resolves it to `self` again until the hop count stops it.
    const config = writeConfigFile({ plugins: { "openai-compatible": { upstreams: [{ name: "self", base_url: `http://127.0.0.1:${port}/v1`, models: ["loop-model"] }] } } });
    loop = await startTestGateway({ OLLAIX_CONFIG: config, PORT: String(port) }, [dummy, openaiCompatible]);
  });
  afterAll(() => loop.close());

  test.each([false, true])("fails fast with 508 loop_detected (stream: %p)", async (stream) => {
    const response = await fetch(`${loop.url}/v1/chat/completions`, jsonPost({ model: "loop-model", messages, stream }));
    expect(response.status).toBe(508);
    expect(await response.json()).toEqual({
      error: {
        message: "Request loop detected: this request has passed through 5 or more gateways (x-ollaix-hops).",
        type: "api_error",
        param: null,
        code: "loop_detected",
      },
    });
  });

  test("the SDK sees a 508 APIError", async () => {
    const loopClient = new OpenAI({ baseURL: `${loop.url}/v1`, apiKey: "x", maxRetries: 0 });
    const failure = await loopClient.chat.completions.create({ model: "loop-model", messages }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(failure).toMatchObject({ status: 508, code: "loop_detected" });
  });
});
