// Anthropic's context editing (context_management, beta context-management-2025-06-27) for every
// model: @anthropic-ai/sdk's beta client on a real port, a scripted provider recording what it is
// sent, streamed and not, and count_tokens.
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { CLEARED_RESULT } from "../../src/surfaces/anthropic-messages/context-editing.ts";
import { json, jsonPost, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { createScripted, SCRIPTED_MODEL, text, finish, type ScriptedProvider } from "./scripted-plugin.ts";

let gw: TestGateway;
let scripted: ScriptedProvider;
let client: Anthropic;
beforeAll(async () => {
  scripted = createScripted();
  gw = await startTestGateway({}, [scripted]);
  client = new Anthropic({ baseURL: gw.url, apiKey: "x", maxRetries: 0 });
});
afterEach(() => {
  scripted.queue.length = 0;
  scripted.received.length = 0;
});
afterAll(() => gw.close());

const betas = ["context-management-2025-06-27"];
const tools = ["read_file", "keep_me"].map((name) => ({ name, description: name, input_schema: { type: "object" as const, properties: { path: { type: "string" } } } }));

/** A conversation of five tool uses (the fourth of keep_me), each answered with a long result. */
function conversation(): Anthropic.Beta.BetaMessageParam[] {
  const messages: Anthropic.Beta.BetaMessageParam[] = [{ role: "user", content: "Read the files." }];
  for (let i = 1; i <= 5; i++) {
    const name = i === 4 ? "keep_me" : "read_file";
    messages.push({ role: "assistant", content: [{ type: "tool_use", id: `toolu_${i}`, name, input: { path: `file${i}.txt` } }] });
    messages.push({ role: "user", content: [{ type: "tool_result", tool_use_id: `toolu_${i}`, content: `contents of file ${i}: ${"lorem ipsum ".repeat(200)}` }] });
  }
  return messages;
}

const toolMessages = () => scripted.received.at(-1)!.messages.filter((m) => m.role === "tool").map((m) => m.content);

describe("clear_tool_uses_20250919", () => {
  const edit = {
    type: "clear_tool_uses_20250919" as const,
    trigger: { type: "tool_uses" as const, value: 3 },
    keep: { type: "tool_uses" as const, value: 2 },
    exclude_tools: ["keep_me"],
    clear_tool_inputs: true,
  };

  test("past its trigger, older tool results (and inputs) are cleared, the last `keep` and excluded tools kept; applied_edits says how much", async () => {
    const message = await client.beta.messages.create({ model: SCRIPTED_MODEL, max_tokens: 256, betas, tools, messages: conversation(), context_management: { edits: [edit] } });
    const results = toolMessages();
    expect(results.slice(0, 3)).toEqual([CLEARED_RESULT, CLEARED_RESULT, CLEARED_RESULT]);
    expect(String(results[3])).toStartWith("contents of file 4");
    expect(String(results[4])).toStartWith("contents of file 5");
    const calls = scripted.received.at(-1)!.messages.flatMap((m) => m.tool_calls ?? []).map((c) => c.function.arguments);
    expect(calls).toEqual(["{}", "{}", "{}", '{"path":"file4.txt"}', '{"path":"file5.txt"}']);
    expect(message.context_management!.applied_edits).toEqual([{ type: "clear_tool_uses_20250919", cleared_tool_uses: 3, cleared_input_tokens: expect.any(Number) }]);
    expect((message.context_management!.applied_edits[0] as { cleared_input_tokens: number }).cleared_input_tokens).toBeGreaterThan(1000);
  });

  test("streamed: message_delta carries context_management", async () => {
    scripted.queue.push({ chunks: [text("Done."), finish("stop")] });
    const stream = client.beta.messages.stream({ model: SCRIPTED_MODEL, max_tokens: 256, betas, tools, messages: conversation(), context_management: { edits: [edit] } });
    const deltas: unknown[] = [];
    stream.on("streamEvent", (event) => {
      if (event.type === "message_delta") deltas.push(event.context_management);
    });
    await stream.finalMessage();
    expect(deltas).toEqual([{ applied_edits: [expect.objectContaining({ type: "clear_tool_uses_20250919", cleared_tool_uses: 3 })] }]);
  });

  test("below the default trigger (100,000 input tokens), or short of clear_at_least, nothing is cleared", async () => {
    const quiet = await client.beta.messages.create({ model: SCRIPTED_MODEL, max_tokens: 256, betas, tools, messages: conversation(), context_management: { edits: [{ type: "clear_tool_uses_20250919" }] } });
    expect(quiet.context_management).toEqual({ applied_edits: [] });
    expect(toolMessages().every((content) => content !== CLEARED_RESULT)).toBe(true);
    await client.beta.messages.create({
      model: SCRIPTED_MODEL,
      max_tokens: 256,
      betas,
      tools,
      messages: conversation(),
      context_management: { edits: [{ ...edit, clear_at_least: { type: "input_tokens", value: 1_000_000 } }] },
    });
    expect(toolMessages().every((content) => content !== CLEARED_RESULT)).toBe(true);
  });

  test("count_tokens counts the edited prompt, and the original count beside it", async () => {
    const counted = await client.beta.messages.countTokens({ model: SCRIPTED_MODEL, betas, tools, messages: conversation(), context_management: { edits: [edit] } });
    expect(counted.context_management!.original_input_tokens).toBeGreaterThan(counted.input_tokens + 1000);
    const plain = await client.beta.messages.countTokens({ model: SCRIPTED_MODEL, betas, tools, messages: conversation() });
    expect(plain.input_tokens).toBe(counted.context_management!.original_input_tokens);
    expect(plain).not.toHaveProperty("context_management");
  });
});

describe("clear_thinking_20251015", () => {
  test("thinking of all but the last turn with thinking is dropped (keep 1 by default); keep all drops none", async () => {
    const messages: Anthropic.Beta.BetaMessageParam[] = [
      { role: "user", content: "One?" },
      { role: "assistant", content: [{ type: "thinking", thinking: "first thoughts", signature: "x" }, { type: "text", text: "1" }] },
      { role: "user", content: "Two?" },
      { role: "assistant", content: [{ type: "thinking", thinking: "second thoughts", signature: "x" }, { type: "text", text: "2" }] },
      { role: "user", content: "Three?" },
    ];
    const message = await client.beta.messages.create({ model: SCRIPTED_MODEL, max_tokens: 2048, betas, thinking: { type: "enabled", budget_tokens: 1024 }, messages, context_management: { edits: [{ type: "clear_thinking_20251015" }] } });
    const assistants = scripted.received.at(-1)!.messages.filter((m) => m.role === "assistant") as { reasoning_content?: string }[];
    expect(assistants.map((m) => m.reasoning_content)).toEqual([undefined, "second thoughts"]);
    expect(message.context_management!.applied_edits).toEqual([{ type: "clear_thinking_20251015", cleared_thinking_turns: 1, cleared_input_tokens: expect.any(Number) }]);

    await client.beta.messages.create({ model: SCRIPTED_MODEL, max_tokens: 2048, betas, thinking: { type: "enabled", budget_tokens: 1024 }, messages, context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] } });
    expect((scripted.received.at(-1)!.messages.filter((m) => m.role === "assistant") as { reasoning_content?: string }[]).map((m) => m.reasoning_content)).toEqual(["first thoughts", "second thoughts"]);
  });
});

describe("refusals", () => {
  test("server-side compaction, an unknown edit, a malformed setting: Anthropic's envelope naming the field", async () => {
    const cases: [unknown, string][] = [
      [[{ type: "compact_20260112" }], "context_management.edits[0].type"],
      [[{ type: "clear_everything" }], "context_management.edits[0].type"],
      [[{ type: "clear_tool_uses_20250919", keep: { type: "tokens", value: 3 } }], "context_management.edits[0].keep.type"],
      [[{ type: "clear_tool_uses_20250919", trigger: { type: "input_tokens", value: -1 } }], "context_management.edits[0].trigger.value"],
    ];
    for (const [edits, field] of cases) {
      const answer = await fetch(`${gw.url}/v1/messages`, jsonPost({ model: SCRIPTED_MODEL, max_tokens: 16, messages: [{ role: "user", content: "x" }], context_management: { edits } }));
      expect([field, answer.status]).toEqual([field, 400]);
      const body = await json(answer);
      expect(body).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
      expect(body.error.message).toContain(field);
    }
    expect(scripted.received).toHaveLength(0);
  });
});
