import { describe, expect, test } from "bun:test";
import { UpstreamError } from "../../errors.ts";
import type { ChatResult } from "../../plugin.ts";
import { compactedResponse, compactionFields, headAndTail, retainedUserMessages, summaryOf } from "./compact.ts";
import { openSummary, sealCompaction, sealSummary } from "./compaction.ts";
import type { InputItemResource } from "./response-schema.ts";

const user = (id: string, text: string): InputItemResource => ({ id, type: "message", role: "user", status: "completed", content: [{ type: "input_text", text }] });
const assistant = (id: string, text: string): InputItemResource => ({
  id,
  type: "message",
  role: "assistant",
  status: "completed",
  content: [{ type: "output_text", text, annotations: [], logprobs: [] }],
});

describe("the compaction item's content", () => {
  test("a summary sealed is opened again, whatever its characters", () => {
    const summary = 'Goal: fix "the build" in src/app.ts — café ✓\nNext: run `bun test`.';
    const sealed = sealSummary(summary);
    expect(sealed).toStartWith("ollaix.compaction.v1.");
    expect(sealed).not.toContain("Goal");
    expect(openSummary(sealed)).toBe(summary);
    expect(openSummary(sealSummary(""))).toBe("");
  });

  test("content this gateway did not make is not opened: OpenAI's encrypted summaries, damaged or foreign JSON", () => {
    expect(openSummary("gAAAAABpM0Yj-abc=")).toBeUndefined();
    expect(openSummary("ollaix.compaction.v1.")).toBeUndefined();
    expect(openSummary("ollaix.compaction.v1.!!not base64!!")).toBeUndefined();
    expect(openSummary("ollaix.compaction.v1." + Buffer.from('{"other":"x"}').toString("base64url"))).toBeUndefined();
    // Items of the first builds held the summary under `summary`: still read (replicas of two versions, sessions compacted before).
    expect(openSummary("ollaix.compaction.v1." + Buffer.from('{"summary":"earlier"}').toString("base64url"))).toBe("earlier");
    expect(openSummary("ollaix.compaction.v1." + Buffer.from("null").toString("base64url"))).toBeUndefined();
    expect(openSummary("ollaix.compaction.v2." + sealSummary("x").slice("ollaix.compaction.v1.".length))).toBeUndefined();
  });
});

describe("what a compaction keeps", () => {
  test("the user messages in their order; assistant turns, calls, earlier compactions and developer messages go", () => {
    const items: InputItemResource[] = [
      { id: "msg_d", type: "message", role: "developer", status: "completed", content: [{ type: "input_text", text: "rules" }] },
      user("msg_1", "first"),
      assistant("msg_2", "answer"),
      { id: "fc_1", type: "function_call", status: "completed", call_id: "c1", name: "f", arguments: "{}" },
      { id: "fco_1", type: "function_call_output", status: "completed", call_id: "c1", output: "ok" },
      { id: "cmp_0", type: "compaction", encrypted_content: sealSummary("old") },
      user("msg_3", "second"),
    ];
    expect(retainedUserMessages(items).map((item) => item.id)).toEqual(["msg_1", "msg_3"]);
  });

  test("newest first within the budget: the message crossing it keeps its head and tail, older ones go", () => {
    const items = [user("a", "x".repeat(400)), user("b", "0123456789abcdefghij"), user("c", "newest!!")];
    // c: 2 tokens, b: 5 tokens; a budget of 5 leaves b 3 tokens (12 characters).
    const kept = retainedUserMessages(items, 5);
    expect(kept.map((item) => item.id)).toEqual(["b", "c"]);
    expect(kept[0]!.content).toEqual([{ type: "input_text", text: "012345…2 tokens truncated…efghij" }]);
    expect(kept[1]).toBe(items[2]!);
    // The items given are not changed.
    expect(items[1]!.content).toEqual([{ type: "input_text", text: "0123456789abcdefghij" }]);
  });

  test("images stay with a cut message; a message of images alone takes one token, and goes once the budget is spent", () => {
    const image = { type: "input_image", image_url: "data:image/png;base64,AAAA", detail: "auto" };
    const mixed: InputItemResource = {
      id: "m",
      type: "message",
      role: "user",
      status: "completed",
      content: [{ type: "input_text", text: "abcdefgh" }, image, { type: "input_text", text: "ijklmnop" }],
    };
    expect(retainedUserMessages([mixed], 3)[0]!.content).toEqual([{ type: "input_text", text: "abcdefgh" }, image, { type: "input_text", text: "ij…1 tokens truncated…op" }]);

    const imagesOnly: InputItemResource = { id: "i", type: "message", role: "user", status: "completed", content: [image] };
    expect(retainedUserMessages([user("old", "old"), imagesOnly, user("new", "new")], 2).map((item) => item.id)).toEqual(["i", "new"]);
    expect(retainedUserMessages([imagesOnly, user("new", "new")], 1).map((item) => item.id)).toEqual(["new"]);
  });

  test("the answer: the kept messages, then the compaction item, with the call's usage", () => {
    // The item holds the summary and the kept messages' content (a client that keeps only what follows it loses nothing).
    const item = { id: "cmp_10001", type: "compaction" as const, encrypted_content: sealCompaction("s", [user("a", "hi").content]) };
    const answer = compactedResponse("resp_1", [user("a", "hi"), assistant("b", "yo")], "s", { input: 30, output: 8, reasoning: 2 }, { prompt_tokens: 30, completion_tokens: 8, total_tokens: 38, prompt_tokens_details: { cached_tokens: 10 } }, 1700000000);
    expect(answer as unknown).toEqual({
      id: "resp_1",
      object: "response.compaction",
      created_at: 1700000000,
      output: [user("a", "hi"), item],
      usage: { input_tokens: 30, input_tokens_details: { cached_tokens: 10, cache_write_tokens: 0 }, output_tokens: 8, output_tokens_details: { reasoning_tokens: 2 }, total_tokens: 38 },
    });
  });
});

describe("a cut text", () => {
  const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

  test("never splits a surrogate pair (a lone half is no text for Codex's JSON parser)", () => {
    for (const prefix of ["", "a", "ab", "abc"]) {
      for (const tokens of [1, 2, 3, 7, 100]) {
        const cut = headAndTail(prefix + "😀".repeat(1000), tokens);
        expect(loneSurrogate.test(cut)).toBe(false);
        expect(JSON.parse(JSON.stringify(cut))).toBe(cut);
      }
    }
  });

  test("the budget is in UTF-8 bytes, four a token, as Codex counts it: CJK text takes three bytes a character", () => {
    const cjk = "日本語".repeat(100); // 900 bytes: 225 tokens
    expect(retainedUserMessages([user("a", cjk)], 225)).toHaveLength(1);
    const cut = retainedUserMessages([user("a", cjk)], 75)[0]!.content as { text: string }[];
    expect(cut[0]!.text).toContain("…150 tokens truncated…");
    expect(Buffer.byteLength(cut[0]!.text.split("…")[0]! + cut[0]!.text.split("…").at(-1)!, "utf8")).toBeLessThanOrEqual(300);
  });
});

describe("the compaction's model call", () => {
  test("tools are named with tool_choice none; the effort and the hints are kept; text and nulls are not", () => {
    const tools = [{ type: "function", name: "shell", parameters: { type: "object" } }];
    expect(
      compactionFields({
        model: "m",
        instructions: "You are Codex.",
        tools,
        parallel_tool_calls: true,
        reasoning: { effort: "high" },
        prompt_cache_key: "k",
        service_tier: null,
        input: null,
        text: { verbosity: "low" },
      } as Parameters<typeof compactionFields>[0]),
    ).toEqual({ model: "m", instructions: "You are Codex.", tools, tool_choice: "none", parallel_tool_calls: true, reasoning: { effort: "high" }, prompt_cache_key: "k" });
    expect(compactionFields({ model: "m", tools: [], parallel_tool_calls: false })).toEqual({ model: "m" });
  });

  test("an answer with no text is the upstream's failure, not an empty summary", () => {
    const answer = (content: string | null): ChatResult => ({ choices: [{ index: 0, finish_reason: "stop", message: { content } }] });
    expect(summaryOf(answer("The user wants X."))).toBe("The user wants X.");
    for (const content of [null, "", "  \n"]) expect(() => summaryOf(answer(content))).toThrow(UpstreamError);
  });
});
