import { sha256Text } from "../../src/sha256.ts";
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import dummy from "../../plugins/dummy/index.ts";
import { thinkingBudgetOf } from "../../src/thinking-budget.ts";
import { decodeSignature } from "../../src/surfaces/anthropic-messages/thinking-signature.ts";
import { fromToolUseId } from "../../src/surfaces/anthropic-messages/tool-use-id.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import fixture from "./__fixtures__/claude-code-request.json";
import { argumentsDelta, createScripted, finish, text, thinking, toolCall, type ScriptedProvider } from "./scripted-plugin.ts";

/**
 * A Claude-Code-shaped request (system blocks with cache_control, nine client tools,
 * metadata.user_id, anthropic-beta, stream, thinking enabled) against a provider that thinks, says
 * something, then calls a tool: the exact event sequence Claude Code reads, and what the plugin got.
 */
const KEY = "sk-claude-code-fixture";
let gw: TestGateway;
let scripted: ScriptedProvider;

beforeAll(async () => {
  scripted = createScripted();
  gw = await startTestGateway({ OLLAIX_API_KEYS: KEY }, [dummy, scripted]);
});
afterEach(() => void (scripted.received.length = 0));
afterAll(() => gw.close());

function parseEvents(body: string): { event: string; data: any }[] {
  expect(body.endsWith("\n\n")).toBe(true);
  return body.slice(0, -2).split("\n\n").map((frame) => {
    const match = /^event: ([a-z_]+)\ndata: (.+)$/.exec(frame);
    if (!match) throw new Error(`bad frame ${JSON.stringify(frame)}`);
    const data = JSON.parse(match[2]!);
    expect(data.type).toBe(match[1]);
    return { event: match[1]!, data };
  });
}

test("the Claude Code request streams thinking → text → tool_use with the exact event sequence", async () => {
  scripted.queue.push({
    chunks: [
      { choices: [{ index: 0, delta: { role: "assistant", content: "" } }] },
      thinking("The user wants the tests run. "),
      thinking("I'll use Bash."),
      text("I'll run the tests."),
      toolCall(0, "call_bash_1", "Bash", '{"command":"bun test",'),
      argumentsDelta(0, '"description":"Run the unit tests"}'),
      finish("tool_calls"),
      { choices: [], usage: { prompt_tokens: 2310, completion_tokens: 57, total_tokens: 2367 } },
    ],
  });
  const response = await fetch(`${gw.url}/v1/messages?beta=true`, {
    method: "POST",
    headers: { ...fixture.headers, "x-api-key": KEY },
    body: JSON.stringify(fixture.body),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toStartWith("text/event-stream");
  const events = parseEvents(await response.text());

  expect(events.map((e) => [e.event, e.data.index ?? null, e.data.delta?.type ?? e.data.content_block?.type ?? null])).toEqual([
    ["message_start", null, null],
    ["ping", null, null],
    ["content_block_start", 0, "thinking"],
    ["content_block_delta", 0, "thinking_delta"],
    ["content_block_delta", 0, "thinking_delta"],
    ["content_block_delta", 0, "signature_delta"],
    ["content_block_stop", 0, null],
    ["content_block_start", 1, "text"],
    ["content_block_delta", 1, "text_delta"],
    ["content_block_stop", 1, null],
    ["content_block_start", 2, "tool_use"],
    ["content_block_delta", 2, "input_json_delta"],
    ["content_block_delta", 2, "input_json_delta"],
    ["content_block_stop", 2, null],
    ["message_delta", null, null],
    ["message_stop", null, null],
  ]);
  const start = events[0]!.data.message;
  expect(start).toMatchObject({ type: "message", role: "assistant", model: "scripted-model", content: [], stop_reason: null, stop_sequence: null });
  // Regression (peers: zeroed message_start usage): the gateway's own count of this prompt, not 0.
  expect(start.usage.input_tokens).toBeGreaterThan(500);
  expect(decodeSignature(events[5]!.data.delta.signature)).toBeDefined();
  const tool = events[10]!.data.content_block;
  expect([tool.name, tool.input, fromToolUseId(tool.id)]).toEqual(["Bash", {}, "call_bash_1"]);
  expect(JSON.parse(events[11]!.data.delta.partial_json + events[12]!.data.delta.partial_json)).toEqual({ command: "bun test", description: "Run the unit tests" });
  expect(events[14]!.data).toEqual({
    type: "message_delta",
    delta: { stop_reason: "tool_use", stop_sequence: null, stop_details: null, container: null },
    usage: { input_tokens: 2310, output_tokens: 57, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens_details: null, server_tool_use: null },
  });

  const sent = scripted.received[0]!;
  expect(sent.messages[0]).toEqual({ role: "system", content: `${fixture.body.system[0]!.text}\n\n${fixture.body.system[1]!.text}` });
  expect(sent.messages[1]).toEqual({ role: "user", content: fixture.body.messages[0]!.content.map((b) => b.text).join("\n") });
  expect(sent.tools?.map((t) => t.function.name)).toEqual(fixture.body.tools.map((t) => t.name));
  expect(sent.tools?.[1]?.function.parameters).toEqual(fixture.body.tools[1]!.input_schema);
  // Claude Code's user_id is a JSON text longer than upstreams take: its SHA-256 goes on.
  expect(fixture.body.metadata.user_id.length).toBeGreaterThan(64);
  expect(sent).toMatchObject({ user: sha256Text(fixture.body.metadata.user_id, "hex"), max_tokens: 32000, temperature: 1, stream: true, reasoning_effort: "high" });
  expect(thinkingBudgetOf(sent)).toBe(31999);
});
