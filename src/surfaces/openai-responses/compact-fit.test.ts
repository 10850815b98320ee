import { describe, expect, test } from "bun:test";
import { InvalidRequestError } from "../../errors.ts";
import type { ChatRequest } from "../../schemas/chat.ts";
import { countPromptTokens } from "../token-count.ts";
import { fitCompaction } from "./compact-fit.ts";
import { COMPACTION_PROMPT, summaryMessage } from "./compaction.ts";

const words = (word: string, n: number) => Array.from({ length: n }, () => word).join(" ");

const conversation = (output: string): ChatRequest => ({
  model: "m",
  messages: [
    { role: "system", content: "You are Codex." },
    { role: "user", content: "Fix the build." },
    { role: "user", content: summaryMessage("Earlier: the tests were red in src/app.ts.") },
    { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "shell", arguments: '{"cmd":"bun test"}' } }] },
    { role: "tool", tool_call_id: "c1", content: output },
    { role: "assistant", content: null, tool_calls: [{ id: "c2", type: "function", function: { name: "shell", arguments: '{"cmd":"ls"}' } }] },
    { role: "tool", tool_call_id: "c2", content: "app.ts test.ts" },
    { role: "user", content: COMPACTION_PROMPT },
  ],
});

describe("a compaction fitted to the model's context", () => {
  test("one that fits is sent as it is", async () => {
    const chat = conversation("3 tests failed");
    expect(await fitCompaction(chat, 100_000)).toBe(chat);
  });

  test("the longest tool output is cut to its head and tail; every turn stays, the earlier summary and the prompt included", async () => {
    const chat = conversation(`START ${words("error", 6000)} END`);
    const fitted = await fitCompaction(chat, 4000);
    expect(fitted.messages).toHaveLength(chat.messages.length);
    const output = fitted.messages[4]!.content as string;
    expect(output).toStartWith("START error");
    expect(output).toEndWith("error END");
    expect(output).toMatch(/…\d+ tokens truncated…/);
    for (const i of [0, 1, 2, 3, 5, 6, 7]) expect(fitted.messages[i]).toBe(chat.messages[i]!);
    // Room is left for the summary: an eighth of the context here.
    expect(await countPromptTokens(fitted.messages, undefined)).toBeLessThanOrEqual(4000 - 500);
    // The request given is not changed.
    expect((chat.messages[4]!.content as string).length).toBeGreaterThan(30_000);
  });

  test("several long outputs: the longest first, until it fits", async () => {
    const chat = conversation(words("alpha", 3000));
    chat.messages[6] = { role: "tool", tool_call_id: "c2", content: words("beta", 1500) };
    const fitted = await fitCompaction(chat, 4000);
    expect(await countPromptTokens(fitted.messages, undefined)).toBeLessThanOrEqual(3500);
    expect((fitted.messages[4]!.content as string).length).toBeLessThan(words("alpha", 3000).length);
  });

  test("one that does not fit even with its outputs at their shortest is a 400 context_length_exceeded, not a summary of what is left", async () => {
    const chat = conversation("short");
    chat.messages[1] = { role: "user", content: words("requirement", 8000) };
    const refused = await fitCompaction(chat, 4000).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InvalidRequestError);
    expect(refused).toMatchObject({ code: "context_length_exceeded", param: "input" });
  });
});
