import { describe, expect, test } from "bun:test";
import { fixture, fixtureLines } from "../../tests/ollama/fake-ollama.ts";
import { createChunkMapper, fromOllamaChatResponse, fromOllamaEmbedResponse, toUsage } from "./convert-response.ts";
import { parseChatResponse, parseEmbedResponse, type OllamaChatResponse } from "./wire.ts";

/** Pinned ids: `call_1`, `call_2`, … */
const ids = () => {
  let n = 0;
  return () => `call_${++n}`;
};
const answer = (name: string) => parseChatResponse(fixture(name));
const lines = (name: string) => fixtureLines(name).map(parseChatResponse);

describe("fromOllamaChatResponse", () => {
  test("content, finish_reason and usage (chat.json)", () => {
    expect(fromOllamaChatResponse(answer("chat.json"), ids())).toEqual({
      choices: [{ index: 0, message: { role: "assistant", content: "Hello! How are you today?" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 26, completion_tokens: 298, total_tokens: 324 },
    });
  });

  test("tool calls: object arguments become a JSON string, with a generated call_ id; content null (chat-tools.json)", () => {
    expect(fromOllamaChatResponse(answer("chat-tools.json"), ids())).toEqual({
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: null,
            tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Tokyo"}' } }],
          },
          finish_reason: "tool_calls",
        },
      ],
      usage: { prompt_tokens: 169, completion_tokens: 18, total_tokens: 187 },
    });
  });

  test("logprobs (Ollama's list, one entry per token) become the choice's OpenAI logprobs, bytes the token's UTF-8 where Ollama sent none", () => {
    const response = parseChatResponse({
      ...fixture("chat.json"),
      logprobs: [
        { token: "Hé", logprob: -0.25, top_logprobs: [{ token: "Hé", logprob: -0.25 }, { token: "Hi", logprob: -1.5, bytes: [72, 105] }] },
        { token: "!", logprob: -0.01, bytes: [33] },
      ],
    });
    expect(fromOllamaChatResponse(response, ids()).choices[0]!.logprobs).toEqual({
      content: [
        { token: "Hé", logprob: -0.25, bytes: [72, 195, 169], top_logprobs: [{ token: "Hé", logprob: -0.25, bytes: [72, 195, 169] }, { token: "Hi", logprob: -1.5, bytes: [72, 105] }] },
        { token: "!", logprob: -0.01, bytes: [33], top_logprobs: [] },
      ],
      refusal: null,
    });
    // None sent (or an empty list): no logprobs on the choice.
    expect(fromOllamaChatResponse(parseChatResponse({ ...fixture("chat.json"), logprobs: [] }), ids()).choices[0]).not.toHaveProperty("logprobs");
    // An entry of another shape is left out, not a failed answer.
    const odd = parseChatResponse({ ...fixture("chat.json"), logprobs: [{ token: 1 }, { token: "ok", logprob: -1 }] });
    expect(fromOllamaChatResponse(odd, ids()).choices[0]!.logprobs).toEqual({ content: [{ token: "ok", logprob: -1, bytes: [111, 107], top_logprobs: [] }], refusal: null });
  });

  test("a complete answer with thinking: Ollama lists the thinking's tokens first; the text's are the choice's", () => {
    const answer = (content: string, thinking: string, tokens: string[]) =>
      fromOllamaChatResponse(parseChatResponse({ ...fixture("chat.json"), message: { role: "assistant", content, thinking }, logprobs: tokens.map((token) => ({ token, logprob: -1 })) }), ids());
    const tokensOf = (result: ReturnType<typeof answer>) => (result.choices[0]!.logprobs as { content: { token: string }[] }).content.map((t) => t.token);
    expect(tokensOf(answer("Hello", "Hmm, ok", ["Hmm", ",", " ok", "Hel", "lo"]))).toEqual(["Hel", "lo"]);
    // Tokens around the text that are neither (a closing tag): the thinking's are dropped from the front.
    expect(tokensOf(answer("Hello", "Hmm", ["Hmm", "Hel", "lo", "</s>"]))).toEqual(["Hel", "lo", "</s>"]);
    // Neither adds up: all are kept.
    expect(tokensOf(answer("Hello", "Hmm", ["<think>", "Hmm", "Hel", "lo", "</s>"]))).toEqual(["<think>", "Hmm", "Hel", "lo", "</s>"]);
  });

  test("the default ids look like OpenAI's; an id Ollama sends is kept", () => {
    const generated = fromOllamaChatResponse(answer("chat-tools.json")).choices[0]!.message.tool_calls![0]!.id;
    expect(generated).toMatch(/^call_[0-9A-Za-z]{24}$/);
    const withId = answer("chat-tools.json");
    withId.message!.tool_calls![0]!.id = "call_from_ollama";
    expect(fromOllamaChatResponse(withId, ids()).choices[0]!.message.tool_calls![0]!.id).toBe("call_from_ollama");
  });

  test("thinking goes to reasoning_content, not content (chat-thinking.json)", () => {
    const message = fromOllamaChatResponse(answer("chat-thinking.json"), ids()).choices[0]!.message;
    expect(message).toEqual({
      role: "assistant",
      content: "There are three letter r in strawberry.",
      reasoning_content: "Count the r's in s-t-r-a-w-b-e-r-r-y: one after t, two after e.",
    });
  });

  test("text beside a tool call stays", () => {
    const response = answer("chat-tools.json");
    response.message!.content = "Let me check.";
    expect(fromOllamaChatResponse(response, ids()).choices[0]!.message.content).toBe("Let me check.");
  });
});

describe("toUsage", () => {
  test.each([
    [{ prompt_eval_count: 26, eval_count: 282 }, { prompt_tokens: 26, completion_tokens: 282, total_tokens: 308 }],
    // The prompt came from an older Ollama's cache: no prompt_eval_count. Left out, not 0: the core estimates it.
    [{ eval_count: 282 }, { completion_tokens: 282 }],
    [{ prompt_eval_count: 26 }, { prompt_tokens: 26 }],
    [{}, {}],
  ])("%j → %j", (counts, usage) => {
    expect(toUsage({ done: true, ...counts })).toEqual(usage as never);
  });
});

describe("createChunkMapper", () => {
  const run = (input: OllamaChatResponse[]) => {
    const map = createChunkMapper(ids());
    return input.flatMap((line) => map(line));
  };

  test("content lines, then the finish chunk and the usage chunk (chat-stream.ndjson)", () => {
    expect(run(lines("chat-stream.ndjson"))).toEqual([
      { choices: [{ index: 0, delta: { content: "The" } }] },
      { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
      { choices: [], usage: { prompt_tokens: 26, completion_tokens: 282, total_tokens: 308 } },
    ]);
  });

  test("tool-call deltas carry a running index, an id and JSON-string arguments (chat-stream-tools.ndjson)", () => {
    const [first, last] = lines("chat-stream-tools.ndjson");
    const again = structuredClone(first!);
    again.message!.tool_calls![0]!.function = { name: "get_time", arguments: {} };
    expect(run([first!, again, last!]).slice(0, 3)).toEqual([
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Tokyo"}' } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 1, id: "call_2", type: "function", function: { name: "get_time", arguments: "{}" } }] } }] },
      { choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] },
    ]);
  });

  test("thinking becomes reasoning_content deltas; empty lines are skipped", () => {
    const chunk = (message: OllamaChatResponse["message"]): OllamaChatResponse => ({ message, done: false });
    expect(
      run([
        chunk({ content: "" }),
        chunk({ content: "", thinking: "Count" }),
        chunk({ thinking: " them.", content: "Three" }),
        chunk({ content: "." }),
        { done: true, done_reason: "length", eval_count: 4 },
      ]),
    ).toEqual([
      { choices: [{ index: 0, delta: { reasoning_content: "Count" } }] },
      { choices: [{ index: 0, delta: { reasoning_content: " them.", content: "Three" } }] },
      { choices: [{ index: 0, delta: { content: "." } }] },
      { choices: [{ index: 0, delta: {}, finish_reason: "length" }] },
      { choices: [], usage: { completion_tokens: 4 } as never },
    ]);
  });

  test("each line's logprobs go with its chunk, the final line's with the finish chunk", () => {
    const lp = (token: string, logprob: number) => ({ token, logprob, top_logprobs: [] });
    const chat = (token: string, logprob: number) => ({ token, logprob, bytes: Array.from(new TextEncoder().encode(token)), top_logprobs: [] });
    expect(
      run([
        { message: { content: "Hel" }, done: false, logprobs: [lp("Hel", -0.5)] },
        { message: { content: "lo" }, done: false, logprobs: null },
        { message: { content: "!" }, done: true, done_reason: "stop", eval_count: 3, logprobs: [lp("!", -0.1)] },
      ]),
    ).toEqual([
      { choices: [{ index: 0, delta: { content: "Hel" }, logprobs: { content: [chat("Hel", -0.5)], refusal: null } }] },
      { choices: [{ index: 0, delta: { content: "lo" } }] },
      { choices: [{ index: 0, delta: { content: "!" }, finish_reason: "stop", logprobs: { content: [chat("!", -0.1)], refusal: null } }] },
      { choices: [], usage: { completion_tokens: 3 } as never },
    ]);
  });

  test("content on the final line is kept in the finish chunk", () => {
    expect(run([{ message: { content: "Bye." }, done: true, done_reason: "stop", prompt_eval_count: 1, eval_count: 2 }])).toEqual([
      { choices: [{ index: 0, delta: { content: "Bye." }, finish_reason: "stop" }] },
      { choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } },
    ]);
  });
});

describe("fromOllamaEmbedResponse", () => {
  test("vectors in order, usage from prompt_eval_count (embed.json)", () => {
    const response = parseEmbedResponse(fixture("embed.json"));
    expect(fromOllamaEmbedResponse(response, 1)).toEqual({ embeddings: response.embeddings, usage: { prompt_tokens: 8, total_tokens: 8 } });
  });

  test("a vector count that does not match the inputs is an UpstreamError", () => {
    expect(() => fromOllamaEmbedResponse(parseEmbedResponse(fixture("embed-multiple.json")), 3)).toThrow(
      expect.objectContaining({ status: 502, message: "Ollama returned 2 embeddings for 3 inputs." }),
    );
  });
});
