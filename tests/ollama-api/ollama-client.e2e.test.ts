import { beforeAll, describe, expect, test } from "bun:test";
import { Ollama } from "ollama";
import dummy from "../../plugins/dummy/index.ts";
import openaiCompatible from "../../plugins/openai-compatible/index.ts";
import { jsonResponse, openAIHandler, sseResponse, resetBetweenTests } from "../../plugins/openai-compatible/__fixtures__/fake-openai.ts";
import { TEXT_CHUNKS, TEXT_CHUNKS_WITH_USAGE, TOOL_CALL_CHUNKS } from "../../plugins/openai-compatible/__fixtures__/openai-wire.ts";
import { abortOf, writeConfigFile } from "../../plugins/openai-compatible/__fixtures__/test-env.ts";
import { startFakeServer, type FakeServer } from "../helpers/fake-server.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";

/**
 * The official `ollama` npm client against Ollaix on a real port: the dummy model, and an
 * OpenAI-compatible upstream (a recording fake OpenAI) reached through Ollama's API. What the fake
 * received shows the translation; what the client got shows Ollama's wire.
 */
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const DUMMY = "dummy-model:1.0";
let fake: FakeServer;
let gw: TestGateway;
let ollama: Ollama;

beforeAll(async () => {
  fake = startFakeServer(openAIHandler);
  const config = writeConfigFile({ plugins: { "openai-compatible": { upstreams: [{ name: "up", base_url: `${fake.url}/v1`, api_key_env: "UP_KEY" }] } } });
  gw = await startTestGateway({ OLLAIX_CONFIG: config, UP_KEY: "k" }, [dummy, openaiCompatible]);
  ollama = new Ollama({ host: gw.url });
});
resetBetweenTests(() => fake, () => gw);

const chatBodies = () => fake.requests.filter((r) => r.path === "/v1/chat/completions").map((r) => r.body as Record<string, unknown>);
const user = (content: string) => [{ role: "user", content }];

describe("models", () => {
  test("list: every gateway model under its gateway id, tagged as Ollama lists names (`:latest` where it has none), with a digest, a size and details", async () => {
    const { models } = await ollama.list();
    expect(models.map((m) => m.name)).toEqual([DUMMY, "gpt-4o-mini:latest", "text-embedding-3-small:latest"]);
    // Each name listed is a model the gateway serves, as Open WebUI sends it back.
    expect((await ollama.show({ model: "gpt-4o-mini:latest" })).capabilities).toEqual(["completion"]);
    const first = models[0]!;
    expect(first).toMatchObject({ name: DUMMY, model: DUMMY, size: 0, modified_at: "2025-01-01T00:00:00.000Z" });
    expect(first.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(first.details).toMatchObject({ family: "", parameter_size: "" });
  });

  test("show: capabilities the plugin declared, as Ollama lists them; a model without hints is a chat model", async () => {
    // The dummy also embeds, but a model listing `embedding` is run by Ollama's CLI as an embedding model (`ollama run` would print a vector).
    expect((await ollama.show({ model: DUMMY })).capabilities).toEqual(["completion"]);
    expect((await ollama.embed({ model: DUMMY, input: "still embeds" })).embeddings).toHaveLength(1);
    const upstream = await ollama.show({ model: "gpt-4o-mini" });
    expect(upstream.capabilities).toEqual(["completion"]);
  });

  test("version and ps", async () => {
    // The release whose API this surface serves: logprobs came in 0.12.11, so no lower.
    expect(await ollama.version()).toEqual({ version: "0.12.11" });
    expect(await ollama.ps()).toEqual({ models: [] });
  });
});

describe("chat and generate (dummy)", () => {
  test("chat without streaming: one answer with counts and durations", async () => {
    const answer = await ollama.chat({ model: DUMMY, messages: user("Hello"), options: { seed: 3, num_predict: 8 } });
    expect(answer).toMatchObject({ model: DUMMY, done: true, done_reason: "length", message: { role: "assistant" }, eval_count: 8 });
    expect(answer.message.content.length).toBeGreaterThan(0);
    expect(answer.total_duration).toBeGreaterThan(0);
  });

  test("chat streamed: lines then done, the same text as without streaming for the same seed", async () => {
    const whole = await ollama.chat({ model: DUMMY, messages: user("Hello"), options: { seed: 11 } });
    const parts: string[] = [];
    let last: Awaited<ReturnType<typeof ollama.chat>> | undefined;
    for await (const part of await ollama.chat({ model: DUMMY, messages: user("Hello"), options: { seed: 11 }, stream: true })) {
      parts.push(part.message.content);
      last = part;
    }
    expect(parts.length).toBeGreaterThan(2);
    expect(parts.join("")).toBe(whole.message.content);
    expect(last).toMatchObject({ done: true, done_reason: whole.done_reason, eval_count: whole.eval_count, prompt_eval_count: whole.prompt_eval_count });
  });

  test("generate, streamed and not", async () => {
    const whole = await ollama.generate({ model: DUMMY, prompt: "Hi", system: "Be kind.", options: { seed: 5 } });
    // `context` as Ollama's last answer has it (the AI SDK's Ollama provider requires it): empty, the gateway keeps none.
    expect(whole).toMatchObject({ model: DUMMY, done: true, context: [] });
    let text = "";
    let last: Record<string, unknown> = {};
    for await (const part of await ollama.generate({ model: DUMMY, prompt: "Hi", system: "Be kind.", options: { seed: 5 }, stream: true })) {
      text += part.response;
      last = part as unknown as Record<string, unknown>;
    }
    expect(text).toBe(whole.response ?? "");
    expect(last).toMatchObject({ done: true, context: [] });
  });

  test("an empty chat or prompt loads the model, as Ollama answers", async () => {
    expect(await ollama.chat({ model: DUMMY, messages: [] })).toMatchObject({ done: true, done_reason: "load", message: { content: "" } });
    expect(await ollama.generate({ model: DUMMY, prompt: "", keep_alive: 0 })).toMatchObject({ done: true, done_reason: "unload", response: "" });
    // Images without a prompt too: Ollama looks at the prompt alone.
    expect(await ollama.generate({ model: DUMMY, prompt: "", images: ["iVBORw0KGgo="] })).toMatchObject({ done: true, done_reason: "load", response: "" });
  });

  test("embed and the legacy embeddings", async () => {
    const embedded = await ollama.embed({ model: DUMMY, input: ["a", "b"], dimensions: 4 });
    expect(embedded).toMatchObject({ model: DUMMY, load_duration: 0 });
    expect(embedded.embeddings.map((v) => v.length)).toEqual([4, 4]);
    expect(embedded.prompt_eval_count).toBeGreaterThan(0);
    // More inputs than any surface embeds at once (OpenAI's 2,048): Ollama's 400, not an answer of gigabytes (a probe).
    const many = Array.from({ length: 2049 }, () => "a");
    await expect(ollama.embed({ model: DUMMY, input: many })).rejects.toMatchObject({ status_code: 400, error: expect.stringContaining("at most 2048") });
    expect((await ollama.embed({ model: DUMMY, input: many.slice(1), dimensions: 2 })).embeddings).toHaveLength(2048);
    const legacy = await ollama.embeddings({ model: DUMMY, prompt: "a" });
    expect(legacy.embedding).toHaveLength(384);
  });

  test("the legacy embeddings without a prompt (or an empty one) answer an empty embedding, as Ollama reads no prompt as \"\"; an unknown model is still a 404", async () => {
    for (const body of [{ model: DUMMY }, { model: DUMMY, prompt: "" }]) {
      const answer = await fetch(`${gw.url}/api/embeddings`, { method: "POST", body: JSON.stringify(body) });
      expect([answer.status, await answer.json()]).toEqual([200, { embedding: [] }]);
    }
    expect((await fetch(`${gw.url}/api/embeddings`, { method: "POST", body: JSON.stringify({ model: "no-such-model" }) })).status).toBe(404);
  });

  test("an embed with nothing to embed loads the model, as Ollama answers: no input, null, \"\" or []; \"\" in a list is embedded", async () => {
    for (const input of [undefined, null, "", []]) {
      const answer = await fetch(`${gw.url}/api/embed`, { method: "POST", body: JSON.stringify({ model: DUMMY, input }) });
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ model: DUMMY, embeddings: [] });
    }
    expect(await ollama.embed({ model: DUMMY, input: "" })).toEqual({ model: DUMMY, embeddings: [] } as never);
    expect((await ollama.embed({ model: DUMMY, input: ["", "a"] })).embeddings).toHaveLength(2);
    // The model is still checked.
    expect(await ollama.embed({ model: "nope:1b", input: "" }).catch((e: unknown) => e)).toMatchObject({ status_code: 404 });
  });
});

describe("translation to an OpenAI-compatible upstream", () => {
  test("options, format (json and a schema), think and keep_alive", async () => {
    await ollama.chat({ model: "gpt-4o-mini", messages: user("x"), format: "json", think: true, keep_alive: "5m", options: { temperature: 0.1, top_p: 0.5, top_k: 9, num_predict: 20, stop: ["END"], seed: 4, presence_penalty: 0.3, frequency_penalty: 0.2, num_ctx: 2048 } });
    const schema = { type: "object", properties: { age: { type: "integer" } }, required: ["age"] };
    await ollama.chat({ model: "gpt-4o-mini", messages: user("y"), format: schema, think: "low" });
    await ollama.chat({ model: "gpt-4o-mini", messages: user("z"), think: false });
    // Ollama's newest level (`ollama run --think max`), which ollama-js 0.6's types do not name yet.
    await ollama.chat({ model: "gpt-4o-mini", messages: user("w"), think: "max" as never });
    const [first, second, third, fourth] = chatBodies();
    expect(first).toEqual({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "x" }],
      stream: false,
      response_format: { type: "json_object" },
      reasoning_effort: "medium",
      temperature: 0.1,
      top_p: 0.5,
      max_tokens: 20,
      stop: ["END"],
      seed: 4,
      presence_penalty: 0.3,
      frequency_penalty: 0.2,
      // No OpenAI field, sent as the Messages surface sends Anthropic's (vLLM and llama.cpp honour it; a probe: it was dropped).
      top_k: 9,
    });
    expect(second).toMatchObject({ response_format: { type: "json_schema", json_schema: { name: "response", schema } }, reasoning_effort: "low" });
    expect(third).toMatchObject({ reasoning_effort: "none" });
    expect(fourth).toMatchObject({ reasoning_effort: "max" });
  });

  test("images become data-URL image parts", async () => {
    await ollama.chat({ model: "gpt-4o-mini", messages: [{ role: "user", content: "What is it?", images: [PNG] }] });
    await ollama.generate({ model: "gpt-4o-mini", prompt: "And this?", images: [Buffer.from(PNG, "base64")] });
    const [chat, generate] = chatBodies();
    const parts = [{ type: "text", text: "What is it?" }, { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } }];
    expect(chat!.messages).toEqual([{ role: "user", content: parts }]);
    expect(generate!.messages).toEqual([{ role: "user", content: [{ type: "text", text: "And this?" }, parts[1]] }]);
  });

  test("tools round trip: the call comes back with object arguments; its result reaches the upstream with the call's id", async () => {
    const tools = [{ type: "function", function: { name: "get_current_weather", description: "Weather", parameters: { type: "object", properties: { location: { type: "string" } } } } }];
    const first = await ollama.chat({ model: "gpt-4o-mini", messages: user("Weather in Boston?"), tools });
    // The provider's id rides along as `id` (newer Ollama servers send one too).
    expect(first.message.tool_calls).toEqual([{ id: "call_abc123", function: { index: 0, name: "get_current_weather", arguments: { location: "Boston, MA" } } }] as never);
    expect(first.done_reason).toBe("stop");
    const result = { role: "tool", content: "22°C", tool_name: "get_current_weather" };
    // As ollama-js users do: the answer's message back as it came; and as a client that rebuilds it (no id).
    await ollama.chat({ model: "gpt-4o-mini", messages: [...user("Weather in Boston?"), first.message, result], tools });
    const rebuilt = { role: "assistant", content: "", tool_calls: [{ function: { name: "get_current_weather", arguments: { location: "Boston, MA" } } }] };
    await ollama.chat({ model: "gpt-4o-mini", messages: [...user("Weather in Boston?"), rebuilt, result], tools });
    for (const [n, sent] of chatBodies().slice(1).entries()) {
      const messages = sent.messages as { role: string; content?: unknown; tool_calls?: { id: string; function: unknown }[]; tool_call_id?: string }[];
      const callId = messages[1]!.tool_calls![0]!.id;
      if (n === 0) expect(callId).toBe("call_abc123");
      else expect(callId).toMatch(/^[a-z0-9]{9}$/);
      expect(messages[1]).toEqual({ role: "assistant", content: null, tool_calls: [{ id: callId, type: "function", function: { name: "get_current_weather", arguments: '{"location":"Boston, MA"}' } }] } as never);
      expect(messages[2]).toEqual({ role: "tool", content: "22°C", tool_call_id: callId });
      expect(sent.tools).toEqual(tools);
    }
  });

  test("a streamed tool call arrives whole, with object arguments", async () => {
    const parts = [];
    for await (const part of await ollama.chat({ model: "gpt-4o-mini", messages: user("Paris?"), tools: [{ type: "function", function: { name: "get_weather" } }], stream: true })) parts.push(part);
    expect(parts.flatMap((p) => p.message.tool_calls ?? [])).toEqual([{ id: "call_DdmO9pD3xa9XTPNJ32zg2hcA", function: { index: 0, name: "get_weather", arguments: { location: "Paris, France" } } }] as never);
    expect(parts.at(-1)).toMatchObject({ done: true, done_reason: "stop" });
  });

  test("an upstream refusal (OpenAI's refusal field) is the answer's text, streamed and not", async () => {
    const chunk = (delta: Record<string, unknown>, finish_reason: string | null = null) => ({ id: "c", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini", choices: [{ index: 0, delta, finish_reason }] });
    fake.handle((request) =>
      (request.body as { stream?: boolean }).stream
        ? sseResponse([chunk({ role: "assistant", content: null, refusal: "" }), chunk({ refusal: "I can't " }), chunk({ refusal: "help." }), chunk({}, "stop")])
        : jsonResponse({ id: "c", object: "chat.completion", created: 1, model: "gpt-4o-mini", choices: [{ index: 0, message: { role: "assistant", content: null, refusal: "I can't help." }, logprobs: null, finish_reason: "stop" }] }),
    );
    const parts = [];
    for await (const part of await ollama.chat({ model: "gpt-4o-mini", messages: user("Something forbidden"), stream: true })) parts.push(part);
    expect(parts.map((p) => p.message.content).join("")).toBe("I can't help.");
    expect((await ollama.chat({ model: "gpt-4o-mini", messages: user("Something forbidden"), stream: false })).message.content).toBe("I can't help.");
  });

  test("logprobs and top_logprobs reach the upstream; its tokens' log probabilities come back as Ollama lists them, streamed and not", async () => {
    const token = (t: string, logprob: number, top: { token: string; logprob: number; bytes: number[] | null }[] = []) => ({ token: t, logprob, bytes: null, top_logprobs: top });
    const chunk = (delta: Record<string, unknown>, logprobs: unknown, finish_reason: string | null = null) => ({
      id: "c", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini", choices: [{ index: 0, delta, logprobs, finish_reason }],
    });
    fake.handle((request) =>
      (request.body as { stream?: boolean }).stream
        ? sseResponse([
            chunk({ role: "assistant", content: "" }, null),
            chunk({ content: "Ja" }, { content: [token("Ja", -0.3, [{ token: "Nein", logprob: -2, bytes: [78, 101, 105, 110] }])], refusal: null }),
            chunk({ content: "!" }, { content: [token("!", -0.1)], refusal: null }),
            chunk({}, null, "stop"),
          ])
        : openAIHandler(request),
    );
    const parts = [];
    for await (const part of await ollama.chat({ model: "gpt-4o-mini", messages: user("Yes?"), logprobs: true, top_logprobs: 1, stream: true })) parts.push(part);
    expect(chatBodies().at(-1)).toMatchObject({ logprobs: true, top_logprobs: 1 });
    expect(parts.map((p) => p.logprobs ?? null)).toEqual([
      [{ token: "Ja", logprob: -0.3, bytes: [74, 97], top_logprobs: [{ token: "Nein", logprob: -2, bytes: [78, 101, 105, 110] }] }],
      [{ token: "!", logprob: -0.1, bytes: [33], top_logprobs: [] }],
      null,
    ] as never);
    // Not streamed: the fixture's (OpenAI's example) tokens, for chat and generate.
    const expected = [{ token: "Hello", logprob: -0.31725305, bytes: [72, 101, 108, 108, 111], top_logprobs: [] }];
    expect((await ollama.chat({ model: "gpt-4o-mini", messages: user("hi"), logprobs: true, stream: false })).logprobs).toEqual(expected as never);
    expect((await ollama.generate({ model: "gpt-4o-mini", prompt: "hi", logprobs: true, stream: false })).logprobs).toEqual(expected as never);
    expect(chatBodies().at(-1)).toMatchObject({ logprobs: true });
    // Not asked: nothing reaches the upstream, and the upstream's logprobs (the fixture always has them) are not answered.
    const plain = await ollama.chat({ model: "gpt-4o-mini", messages: user("hi"), stream: false });
    expect(plain).not.toHaveProperty("logprobs");
    expect(chatBodies().at(-1)).not.toHaveProperty("logprobs");
    const bad = await ollama.chat({ model: "gpt-4o-mini", messages: user("hi"), logprobs: true, top_logprobs: 50, stream: false }).catch((e) => e);
    expect(bad).toMatchObject({ status_code: 400 });
  });

  test("the upstream's usage becomes the counts", async () => {
    fake.handle(() => sseResponse(TEXT_CHUNKS_WITH_USAGE));
    const parts = [];
    for await (const part of await ollama.chat({ model: "gpt-4o-mini", messages: user("hi"), stream: true })) parts.push(part);
    expect(parts.map((p) => p.message.content).join("")).toBe("Hello!");
    expect(parts.at(-1)).toMatchObject({ prompt_eval_count: 9, eval_count: 3 });
  });

  test("abort mid-stream: the client's abort reaches the upstream", async () => {
    let upstreamSignal: AbortSignal | undefined;
    fake.handle((request) => {
      upstreamSignal = request.signal;
      const encoder = new TextEncoder();
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const c of TEXT_CHUNKS.slice(0, 2)) controller.enqueue(encoder.encode(`data: ${JSON.stringify(c)}\n\n`));
        },
        pull: () => new Promise(() => {}), // then silence, until the gateway hangs up
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    });
    const stream = await ollama.chat({ model: "gpt-4o-mini", messages: user("hi"), stream: true });
    const seen: string[] = [];
    const reading = (async () => {
      try {
        for await (const part of stream) {
          seen.push(part.message.content);
          stream.abort();
        }
      } catch (error) {
        return error as Error;
      }
    })();
    const error = await reading;
    expect(error?.name).toBe("AbortError");
    expect(seen).toEqual(["Hello"]);
    await abortOf(upstreamSignal!);
  });

  test("a failure after the stream started is an {error} line: the client throws it", async () => {
    fake.handle(() => sseResponse([TEXT_CHUNKS[1], { error: { message: "The server had an error", type: "server_error" } }], { done: false }));
    const seen: string[] = [];
    const failure = await (async () => {
      try {
        for await (const part of await ollama.chat({ model: "gpt-4o-mini", messages: user("hi"), stream: true })) seen.push(part.message.content);
      } catch (error) {
        return error as Error;
      }
    })();
    expect(seen).toEqual(["Hello"]);
    expect(failure?.message).toContain("server had an error");
  });
});

describe("errors in Ollama's shape", () => {
  const failure = async (call: () => Promise<unknown>) => {
    try {
      await call();
    } catch (error) {
      return error as { name: string; status_code?: number; error?: string; message: string };
    }
    throw new Error("the call succeeded");
  };

  test("an unknown model is 404 `model '<id>' not found`, on every model endpoint", async () => {
    for (const call of [
      () => ollama.chat({ model: "nope:1b", messages: user("x") }),
      () => ollama.chat({ model: "nope:1b", messages: user("x"), stream: true }),
      () => ollama.generate({ model: "nope:1b", prompt: "x" }),
      () => ollama.show({ model: "nope:1b" }),
      () => ollama.embed({ model: "nope:1b", input: "x" }),
      () => ollama.chat({ model: "nope:1b", messages: [] }),
    ]) {
      const error = await failure(call);
      expect(error.name).toBe("ResponseError");
      expect(error.status_code).toBe(404);
      expect(error.error).toBe("model 'nope:1b' not found");
    }
  });

  test("a bad request is 400 naming the field; an upstream 400 keeps its status", async () => {
    const bad = await failure(() => ollama.chat({ model: DUMMY, messages: [{ role: "bot", content: "x" }] }));
    expect(bad).toMatchObject({ status_code: 400, error: expect.stringContaining("messages[0].role") });
    const suffix = await failure(() => ollama.generate({ model: DUMMY, prompt: "def f(", suffix: "return x" }));
    expect(suffix).toMatchObject({ status_code: 400, error: `model '${DUMMY}' does not support insert (suffix)` });
    fake.handle(() => jsonResponse({ error: { message: "Bad things", type: "invalid_request_error", param: null, code: null } }, 400));
    expect(await failure(() => ollama.chat({ model: "gpt-4o-mini", messages: user("x") }))).toMatchObject({ status_code: 400, error: expect.stringContaining("Bad things") });
  });

  test("model management is 501: the gateway does not manage model files", async () => {
    for (const call of [() => ollama.pull({ model: "llama3" }), () => ollama.delete({ model: "llama3" }), () => ollama.copy({ source: "a", destination: "b" }), () => ollama.create({ model: "m", from: "llama3" })]) {
      const error = await failure(call);
      expect(error.status_code).toBe(501);
      expect(error.error).toContain("does not manage model files");
    }
  });
});
