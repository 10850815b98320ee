import { describe, expect, test } from "bun:test";
import type { ChunkResult } from "../../plugin.ts";
import { chatStreamEncoder } from "./stream-encoder.ts";

const settings = { id: "chatcmpl-ours", created: 1700000000, model: "openai/gpt-x", choices: 1, includeUsage: false };
const events = (text: string) =>
  text
    .split("\n\n")
    .filter((event) => event.startsWith("data: {"))
    .map((event) => JSON.parse(event.slice(6)));

describe("chatStreamEncoder", () => {
  test("an upstream's id, object, created and model are replaced; logprobs are kept; role on the first delta", () => {
    const encoder = chatStreamEncoder(settings);
    const logprobs = { content: [{ token: "Hi", logprob: -0.1, bytes: [72, 105], top_logprobs: [] }] };
    const chunk = { id: "chatcmpl-theirs", object: "chat.completion.chunk", created: 1, model: "gpt-x", choices: [{ index: 0, delta: { content: "Hi" }, logprobs, finish_reason: null }] };
    expect(events(encoder.chunk(chunk as unknown as ChunkResult))).toEqual([
      { id: "chatcmpl-ours", object: "chat.completion.chunk", created: 1700000000, model: "openai/gpt-x", choices: [{ index: 0, delta: { role: "assistant", content: "Hi" }, logprobs, finish_reason: null }] },
    ]);
  });

  test("n: 2 from a provider that answered one choice (an upstream ignoring n): the end finishes the choice it began and makes up no other (a probe); one that ended with no choice at all gets choice 0's empty end", () => {
    const encoder = chatStreamEncoder({ ...settings, choices: 2 });
    encoder.chunk({ choices: [{ index: 0, delta: { content: "Hi" }, finish_reason: null }] });
    expect(events(encoder.end() as string).map((e) => e.choices)).toEqual([[{ index: 0, delta: {}, finish_reason: "stop" }]]);
    const empty = chatStreamEncoder({ ...settings, choices: 2 });
    expect(events(empty.end() as string).map((e) => e.choices)).toEqual([[{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: "stop" }]]);
  });

  test("a provider's own fields (chunk and choice) are kept, ours still win", () => {
    const encoder = chatStreamEncoder(settings);
    const chunk = { id: "chatcmpl-theirs", model: "m", system_fingerprint: "fp_1", choices: [{ index: 0, delta: { content: "a" }, finish_reason: "stop", extra: 1 }] };
    expect(events(encoder.chunk(chunk as unknown as ChunkResult))).toEqual([
      {
        id: "chatcmpl-ours",
        object: "chat.completion.chunk",
        created: 1700000000,
        model: "openai/gpt-x",
        system_fingerprint: "fp_1",
        choices: [{ index: 0, delta: { role: "assistant", content: "a" }, finish_reason: "stop", extra: 1 }],
      },
    ]);
  });

  test("a plain chunk (choices only) gets every field, `usage: null` when usage was asked for, and the provider's objects are not changed", () => {
    const encoder = chatStreamEncoder({ ...settings, includeUsage: true });
    const chunk: ChunkResult = { choices: [{ index: 0, delta: { content: "x" }, finish_reason: null }] };
    const before = structuredClone(chunk);
    const [event] = events(encoder.chunk(chunk));
    expect(event).toEqual({ id: "chatcmpl-ours", object: "chat.completion.chunk", created: 1700000000, model: "openai/gpt-x", choices: [{ index: 0, delta: { role: "assistant", content: "x" }, finish_reason: null }], usage: null });
    expect(chunk).toEqual(before);
  });
});
