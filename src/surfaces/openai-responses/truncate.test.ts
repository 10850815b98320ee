import { describe, expect, test } from "bun:test";
import type { ChatRequest, Message } from "../../schemas/chat.ts";
import { countPromptParts } from "../token-count.ts";
import { dropOldestItems } from "./truncate.ts";

const words = (n: number, word = "apple") => Array.from({ length: n }, () => word).join(" ");
const call = (id: string): Message => ({ role: "assistant", content: null, tool_calls: [{ id, type: "function", function: { name: "lookup", arguments: '{"q":"x"}' } }] });

/** The tokens of messages[from…] plus the leading `keep` messages, as the estimate counts them. */
async function tokensOf(chat: ChatRequest, keep: number, from: number): Promise<number> {
  const parts = await countPromptParts(chat.messages, chat.tools, chat.response_format);
  let n = parts.rest;
  parts.messages.forEach((count, i) => {
    if (i < keep || i >= from) n += count;
  });
  return n;
}

describe("dropOldestItems (truncation auto)", () => {
  const history: Message[] = [
    { role: "system", content: "Be brief." },
    { role: "user", content: words(300) },
    { role: "assistant", content: words(300, "pear") },
    { role: "user", content: words(50) },
    { role: "assistant", content: words(50, "pear") },
    { role: "user", content: "And now?" },
  ];
  const chat: ChatRequest = { model: "m", messages: history };
  const pick = (...at: number[]) => at.map((i) => history[i]!);

  test("an input that fits is sent as it is", async () => {
    expect(await dropOldestItems(chat, 10_000)).toBe(chat);
  });

  test("the oldest items go, the instructions stay, and the conversation resumes at the first user message that fits", async () => {
    const limit = await tokensOf(chat, 1, 3); // room for the system message and the last three
    const fitted = await dropOldestItems(chat, limit);
    expect(fitted.messages).toEqual(pick(0, 3, 4, 5));
    expect(chat.messages).toHaveLength(6); // the request itself is not changed
    // One token less and only the last user message fits.
    expect((await dropOldestItems(chat, limit - 1)).messages).toEqual(pick(0, 5));
  });

  test("max_output_tokens is kept free of the input", async () => {
    const limit = await tokensOf(chat, 1, 3);
    expect((await dropOldestItems({ ...chat, max_completion_tokens: 100 }, limit + 100)).messages).toEqual(pick(0, 3, 4, 5));
    expect((await dropOldestItems({ ...chat, max_completion_tokens: 100 }, limit + 99)).messages).toEqual(pick(0, 5));
  });

  test("never resumes at a tool result (its call would be gone); an assistant turn when no user message fits", async () => {
    const agent: ChatRequest = {
      model: "m",
      messages: [
        { role: "user", content: words(400) },
        call("c1"),
        { role: "tool", tool_call_id: "c1", content: words(200, "data") },
        { role: "assistant", content: "Found it." },
        call("c2"),
        { role: "tool", tool_call_id: "c2", content: "ok" },
      ],
    };
    // Room for everything after the first tool result: the assistant text is where it resumes.
    const limit = await tokensOf(agent, 0, 3);
    expect((await dropOldestItems(agent, limit)).messages).toEqual(agent.messages.slice(3));
    // Room for the last call and its result only: it resumes at that call, not at the result.
    const tight = await tokensOf(agent, 0, 4);
    expect((await dropOldestItems(agent, tight)).messages).toEqual(agent.messages.slice(4));
    expect((await dropOldestItems(agent, tight)).messages[0]).toMatchObject({ role: "assistant" });
    // Room for the last tool result alone: that is no conversation to send.
    const resultOnly = await tokensOf(agent, 0, 5);
    expect(await dropOldestItems(agent, resultOnly).catch((e) => e)).toMatchObject({ status: 400, code: "context_length_exceeded" });
  });

  test("never resumes between a call and its result, even at a user message that came between them", async () => {
    const interrupted: ChatRequest = {
      model: "m",
      messages: [
        { role: "user", content: words(400) },
        call("c1"),
        { role: "user", content: "hurry" },
        { role: "tool", tool_call_id: "c1", content: "res" },
      ],
    };
    // Room for the user message "hurry" and the result, but the result's call comes before it.
    const small = await tokensOf(interrupted, 0, 2);
    expect(await dropOldestItems(interrupted, small).catch((e) => e)).toMatchObject({ status: 400, code: "context_length_exceeded" });
    const enough = await tokensOf(interrupted, 0, 1);
    expect((await dropOldestItems(interrupted, enough)).messages).toEqual(interrupted.messages.slice(1));
  });

  test("an input that cannot fit even so is a 400 context_length_exceeded naming input", async () => {
    const error = await dropOldestItems(chat, 5).catch((e) => e);
    expect(error).toMatchObject({ status: 400, param: "input", code: "context_length_exceeded" });
    expect(error.message).toContain("5 tokens");
  });
});
