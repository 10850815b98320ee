import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { expectOpenAI } from "./helpers/openai-schema.ts";
import { json, jsonPost, parseSseBody, SEED_MESSAGES, startTestGateway, type TestGateway } from "./helpers/gateway.ts";


let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.close());

const chat = (body: Record<string, unknown>) =>
  gw.handle("/v1/chat/completions", jsonPost({ model: "dummy-model:1.0", messages: SEED_MESSAGES, ...body }));

describe("POST /v1/chat/completions on dummy-model:1.0 with the seed payload", () => {
  test("stream: false answers one OpenAI chat.completion", async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await chat({ stream: false });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("application/json");
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    const body = await json(res);
    expectOpenAI("CreateChatCompletionResponse", body);
    expect(body.id).toMatch(/^chatcmpl-[A-Za-z0-9]{24}$/);
    expect(body.object).toBe("chat.completion");
    expect(Number.isInteger(body.created)).toBe(true);
    expect(body.created).toBeGreaterThanOrEqual(before);
    expect(body.model).toBe("dummy-model:1.0");
    expect(body.choices).toHaveLength(1);
    const [choice] = body.choices;
    expect(choice.index).toBe(0);
    expect(choice.message.role).toBe("assistant");
    expect(typeof choice.message.content).toBe("string");
    expect(choice.message.content.length).toBeGreaterThan(0);
    expect(choice.message.refusal).toBeNull();
    expect(choice.logprobs).toBeNull();
    expect(choice.finish_reason).toBe("stop");
    // The dummy counts a word or a punctuation mark as one token.
    // "Hello, what's your name?" = 6, the assistant line = 14, "Perfect! … code?" = 11.
    expect(body.usage.prompt_tokens).toBe(31);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    expect(body.usage.completion_tokens).toBeGreaterThan(0);
  });

  test("stream: true answers SSE framed byte by byte, role first, finish last, then [DONE]", async () => {
    const res = await chat({ stream: true, seed: 7 });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    const text = await res.text();
    expect(text.endsWith("\n\ndata: [DONE]\n\n")).toBe(true);
    const events = parseSseBody(text);
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) {
      expectOpenAI("CreateChatCompletionStreamResponse", chunk);
      expect(chunk.object).toBe("chat.completion.chunk");
      expect(chunk.id).toBe(chunks[0].id);
      expect(chunk.created).toBe(chunks[0].created);
      expect(chunk.model).toBe("dummy-model:1.0");
      expect(chunk).not.toHaveProperty("usage"); // not asked for
    }
    expect(chunks[0].id).toMatch(/^chatcmpl-/);
    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    for (const chunk of chunks.slice(1)) expect(chunk.choices[0].delta).not.toHaveProperty("role");
    for (const chunk of chunks.slice(0, -1)) expect(chunk.choices[0].finish_reason).toBeNull();
    expect(chunks.at(-1).choices[0].finish_reason).toBe("stop");
    // Word by word: the streamed text is the non-stream text for the same seed.
    const streamed = chunks.map((c) => c.choices[0].delta.content ?? "").join("");
    const whole = await json(chat({ seed: 7 }));
    expect(streamed).toBe(whole.choices[0].message.content);
  });

  test("the exact bytes of one event", async () => {
    const text = await (await chat({ stream: true, seed: 1, max_tokens: 1 })).text();
    const first = text.slice(0, text.indexOf("\n\n") + 2);
    const chunk = JSON.parse(first.slice(6));
    expect(first).toBe(
      `data: {"id":"${chunk.id}","object":"chat.completion.chunk","created":${chunk.created},"model":"dummy-model:1.0","choices":[{"index":0,"delta":{"role":"assistant","content":${JSON.stringify(chunk.choices[0].delta.content)}},"finish_reason":null}]}\n\n`,
    );
  });

  test("stream_options.include_usage adds a final usage chunk with empty choices, and usage: null before it", async () => {
    const text = await (await chat({ stream: true, stream_options: { include_usage: true }, seed: 3 })).text();
    const events = parseSseBody(text);
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    const last = chunks.at(-1);
    expectOpenAI("CreateChatCompletionStreamResponse", last);
    expect(last.choices).toEqual([]);
    expect(last.usage.prompt_tokens).toBe(31);
    const completion = chunks.slice(0, -1).reduce((n, c) => n + (c.choices[0]?.delta.content ? 1 : 0), 0);
    expect(last.usage.completion_tokens).toBeGreaterThanOrEqual(completion);
    expect(last.usage.total_tokens).toBe(last.usage.prompt_tokens + last.usage.completion_tokens);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.usage).toBeNull();
    expect(chunks.at(-2).choices[0].finish_reason).toBe("stop");
  });

  test("the same seed gives the same text; another seed another text", async () => {
    const a = await json(chat({ seed: 42 }));
    const b = await json(chat({ seed: 42 }));
    const c = await json(chat({ seed: 43 }));
    expect(a.choices[0].message.content).toBe(b.choices[0].message.content);
    expect(a.choices[0].message.content).not.toBe(c.choices[0].message.content);
  });

  test.each([["max_tokens"], ["max_completion_tokens"]])("%s cuts the answer with finish_reason length and honest usage", async (field) => {
    const body = await json(chat({ [field]: 3, seed: 5 }));
    expect(body.choices[0].finish_reason).toBe("length");
    expect(body.usage.completion_tokens).toBeLessThanOrEqual(3);
    expect(body.usage.completion_tokens).toBeGreaterThan(0);
    const text = await (await chat({ [field]: 3, seed: 5, stream: true })).text();
    const chunks = parseSseBody(text).slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks.at(-1).choices[0].finish_reason).toBe("length");
    expect(chunks.map((c) => c.choices[0].delta.content ?? "").join("")).toBe(body.choices[0].message.content);
  });

  test("n: 2 gives two choices, each streamed with its own role and finish", async () => {
    const body = await json(chat({ n: 2, seed: 11 }));
    expectOpenAI("CreateChatCompletionResponse", body);
    expect(body.choices.map((c: { index: number }) => c.index)).toEqual([0, 1]);
    const chunks = parseSseBody(await (await chat({ n: 2, seed: 11, stream: true })).text()).slice(0, -1).map((e) => JSON.parse(e));
    for (const index of [0, 1]) {
      const mine = chunks.filter((c) => c.choices[0].index === index);
      expect(mine[0].choices[0].delta.role).toBe("assistant");
      expect(mine.at(-1).choices[0].finish_reason).toBe("stop");
      expect(mine.map((c) => c.choices[0].delta.content ?? "").join("")).toBe(body.choices[index].message.content);
    }
  });

  test("stop cuts before the stop sequence", async () => {
    const whole = (await json(chat({ seed: 9 }))).choices[0].message.content as string;
    const word = whole.split(" ")[2]!;
    const cut = (await json(chat({ seed: 9, stop: [word] }))).choices[0].message.content as string;
    expect(cut).not.toContain(word);
    expect(whole.startsWith(cut.trimEnd())).toBe(true);
  });

  test("unknown extra fields are accepted at every level", async () => {
    const res = await gw.handle(
      "/v1/chat/completions",
      jsonPost({
        model: "dummy-model:1.0",
        messages: [{ role: "user", content: [{ type: "text", text: "hi", cache_control: { type: "ephemeral" } }], extra: 1 }],
        top_k: 5,
        logprobs: false,
        parallel_tool_calls: true,
        metadata: { a: "b" },
      }),
    );
    expect(res.status).toBe(200);
  });

  test("an assistant message with tool_calls and null content passes; tool and developer messages pass", async () => {
    const res = await gw.handle(
      "/v1/chat/completions",
      jsonPost({
        model: "dummy-model:1.0",
        messages: [
          { role: "developer", content: "Be brief." },
          { role: "user", content: "Weather?" },
          { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "weather", arguments: "{}" } }] },
          { role: "tool", tool_call_id: "call_1", content: "sunny" },
        ],
        tools: [{ type: "function", function: { name: "weather", parameters: { type: "object", properties: {} } } }],
        tool_choice: "auto",
      }),
    );
    expect(res.status).toBe(200);
    expectOpenAI("CreateChatCompletionResponse", await json(res));
  });

  test("n above what the provider honours is a 400 naming n", async () => {
    const res = await chat({ n: 9 });
    expect(res.status).toBe(400);
    const body = await json(res);
    expectOpenAI("ErrorResponse", body);
    expect(body.error.param).toBe("n");
  });

  test("the client's x-request-id is echoed when it is usable", async () => {
    const res = await gw.handle("/v1/chat/completions", jsonPost({ model: "dummy-model:1.0", messages: SEED_MESSAGES }, { "x-request-id": "my-trace-123" }));
    expect(res.headers.get("x-request-id")).toBe("my-trace-123");
    const bad = await gw.handle("/v1/models", { headers: { "x-request-id": "has space" } });
    expect(bad.headers.get("x-request-id")).toMatch(/^req_/);
    const long = await gw.handle("/v1/models", { headers: { "x-request-id": "x".repeat(129) } });
    expect(long.headers.get("x-request-id")).toMatch(/^req_/);
  });
});
