import { describe, expect, test } from "bun:test";
import { thinkingBudgetOf } from "../../thinking-budget.ts";
import type { MessagesRequest } from "./schema.ts";
import { encodeSignature } from "./thinking-signature.ts";
import { toChatRequest, toReasoningEffort } from "./to-chat-request.ts";
import { toToolUseId } from "./tool-use-id.ts";

const base = { model: "m", max_tokens: 100 } as const;
const req = (extra: Partial<MessagesRequest>): MessagesRequest => ({ ...base, messages: [{ role: "user", content: "Hi" }], ...extra });
const error = (run: () => unknown): { message: string; param: string | null; status: number } => {
  try {
    run();
  } catch (e) {
    return e as never;
  }
  throw new Error("did not throw");
};

describe("system", () => {
  test("a string is the first message", () => {
    expect(toChatRequest(req({ system: "Be brief." })).messages[0]).toEqual({ role: "system", content: "Be brief." });
  });
  test("text blocks with cache_control are joined, cache_control ignored", () => {
    const chat = toChatRequest(req({ system: [{ type: "text", text: "A", cache_control: { type: "ephemeral" } }, { type: "text", text: "B" }] }));
    expect(chat.messages[0]).toEqual({ role: "system", content: "A\n\nB" });
  });
});

describe("user content", () => {
  test("text blocks only become a string", () => {
    expect(toChatRequest(req({ messages: [{ role: "user", content: [{ type: "text", text: "a" }] }] })).messages).toEqual([{ role: "user", content: "a" }]);
  });
  test("base64 and url images become image_url parts (url images are loaded by the core's loader)", () => {
    const chat = toChatRequest(req({
      messages: [{ role: "user", content: [
        { type: "text", text: "what?" },
        { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw==" } },
        { type: "image", source: { type: "url", url: "https://example.com/cat.png" } },
      ] }],
    }));
    expect(chat.messages[0]!.content).toEqual([
      { type: "text", text: "what?" },
      { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw==" } },
      { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
    ]);
  });
  test("documents: base64 is a file part named by its title, plain text and content sources are text (and images)", () => {
    const chat = toChatRequest(req({
      messages: [{ role: "user", content: [
        { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" }, title: "Q3.pdf", citations: { enabled: true } },
        { type: "document", source: { type: "text", media_type: "text/plain", data: "Line one." }, title: "notes" },
        { type: "document", source: { type: "content", content: [{ type: "text", text: "Part A" }, { type: "image", source: { type: "base64", media_type: "image/png", data: "AA" } }] } },
        { type: "text", text: "Compare them." },
      ] }],
    } as never));
    expect(chat.messages[0]!.content).toEqual([
      { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=", filename: "Q3.pdf" } },
      { type: "text", text: "notes\n\nLine one." },
      { type: "text", text: "Part A" },
      { type: "image_url", image_url: { url: "data:image/png;base64,AA" } },
      { type: "text", text: "Compare them." },
    ]);
  });
  test("documents in a tool_result: text documents join the tool message's text, a PDF follows the results as the user's", () => {
    const chat = toChatRequest(req({
      messages: [
        { role: "user", content: "Fetch the report." },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_01A", name: "fetch", input: {} }] },
        { role: "user", content: [
          { type: "tool_result", tool_use_id: "toolu_01A", content: [
            { type: "text", text: "Found:" },
            { type: "document", source: { type: "text", media_type: "text/plain", data: "Revenue: 12." }, title: "summary" },
            { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" }, title: "q3.pdf" },
          ] },
        ] },
      ],
    } as never));
    expect(chat.messages.slice(2)).toEqual([
      { role: "tool", tool_call_id: "toolu_01A", content: "Found:\nsummary\n\nRevenue: 12." },
      { role: "user", content: [{ type: "text", text: "[files returned by tool call toolu_01A]" }, { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=", filename: "q3.pdf" } }] },
    ]);
  });
  test("search results (retrieval blocks) are text: title, source, then their text; in a tool_result too", () => {
    const result = { type: "search_result", source: "https://docs.example/refunds", title: "Refund policy", content: [{ type: "text", text: "Refunds within 30 days." }, { type: "text", text: "Keep the receipt." }], citations: { enabled: true } };
    const text = "Refund policy\nhttps://docs.example/refunds\n\nRefunds within 30 days.\nKeep the receipt.";
    const chat = toChatRequest(req({
      messages: [
        { role: "user", content: [result, { type: "text", text: "How long?" }] },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_01S", name: "search", input: { q: "refund" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_01S", content: [result] }] },
      ],
    } as never));
    expect(chat.messages[0]).toEqual({ role: "user", content: `${text}\nHow long?` });
    expect(chat.messages[2]).toEqual({ role: "tool", tool_call_id: "toolu_01S", content: text });
    const one = (block: object) => error(() => toChatRequest(req({ messages: [{ role: "user", content: [block] }] } as never)));
    expect(one({ type: "search_result", source: "s", content: [] })).toMatchObject({ status: 400, param: "messages[0].content[0].title" });
    expect(one({ type: "search_result", source: { type: "url", url: "https://x" }, title: "t", content: [] })).toMatchObject({ status: 400, param: "messages[0].content[0].source" });
    expect(one({ type: "image", source: "https://x.example/a.png" })).toMatchObject({ status: 400, param: "messages[0].content[0].source" });
  });
  test("Anthropic's request rules: a user turn with no content is a 400 naming it; an image URL is http(s)", () => {
    for (const content of ["", []]) {
      expect(error(() => toChatRequest(req({ messages: [{ role: "user", content }] } as never)))).toMatchObject({ status: 400, param: "messages[0].content" });
    }
    const image = (url: string) => error(() => toChatRequest(req({ messages: [{ role: "user", content: [{ type: "image", source: { type: "url", url } }] }] } as never)));
    expect(image("file:///etc/passwd")).toMatchObject({ status: 400, param: "messages[0].content[0].source.url" });
    expect(toChatRequest(req({ messages: [{ role: "user", content: [{ type: "image", source: { type: "url", url: "https://x.example/a.png" } }] }] } as never)).messages[0]).toEqual({
      role: "user",
      content: [{ type: "image_url", image_url: { url: "https://x.example/a.png" } }],
    });
  });
  test("a document without a title is named by its type, as OpenAI wants a name beside file data", () => {
    const chat = toChatRequest(req({ messages: [{ role: "user", content: [{ type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" } }] }] } as never));
    expect(chat.messages[0]!.content).toEqual([{ type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=", filename: "document.pdf" } }]);
  });
  test("a document by URL is a file part the pipeline fetches, named by its title", () => {
    const chat = toChatRequest(req({ messages: [{ role: "user", content: [{ type: "document", source: { type: "url", url: "https://x.example/a.pdf" }, title: "A" }, { type: "document", source: { type: "url", url: "https://x.example/b.pdf" } }] }] } as never));
    expect(chat.messages[0]!.content).toEqual([
      { type: "file", file: { file_url: "https://x.example/a.pdf", filename: "A" } },
      { type: "file", file: { file_url: "https://x.example/b.pdf" } },
    ]);
  });
  test("a document by a URL that is not http(s) or by Files API id, or in an assistant turn, is a 400 naming it", () => {
    const one = (block: object, role: "user" | "assistant" = "user") => error(() => toChatRequest(req({ messages: [{ role, content: [block] }] } as never)));
    expect(one({ type: "document", source: { type: "url", url: "file:///etc/passwd" } })).toMatchObject({ status: 400, param: "messages[0].content[0].source.url" });
    expect(one({ type: "document", source: { type: "file", file_id: "file_011" } })).toMatchObject({ status: 400, param: "messages[0].content[0].source.file_id" });
    expect(one({ type: "document", source: { type: "base64", data: "JVBERi0=" } })).toMatchObject({ status: 400, param: "messages[0].content[0].source" });
    expect(one({ type: "document", source: { type: "base64", media_type: "application/pdf", data: "!!not base64!!" } })).toMatchObject({ status: 400, param: "messages[0].content[0].source.data" });
    expect(one({ type: "document", source: { type: "text", media_type: "text/plain", data: "x" } }, "assistant")).toMatchObject({ status: 400, param: "messages[0].content[0].type" });
    expect(one({ type: "image", source: { type: "text", media_type: "image/png", data: "AA" } })).toMatchObject({ status: 400, param: "messages[0].content[0].source.type" });
  });
  test("tool_result blocks become tool messages first, with the provider's ids and is_error said in text", () => {
    const chat = toChatRequest(req({
      messages: [
        { role: "user", content: "weather?" },
        { role: "assistant", content: [{ type: "tool_use", id: toToolUseId("call_1"), name: "w", input: { city: "Paris" } }, { type: "tool_use", id: "toolu_01Real", name: "w", input: {} }] },
        { role: "user", content: [
          { type: "tool_result", tool_use_id: toToolUseId("call_1"), content: "20C" },
          { type: "tool_result", tool_use_id: "toolu_01Real", is_error: true, content: [{ type: "text", text: "down" }, { type: "image", source: { type: "base64", media_type: "image/png", data: "AA" } }] },
          { type: "text", text: "and then?" },
        ] },
      ],
    }));
    expect(chat.messages.slice(1)).toEqual([
      { role: "assistant", content: null, tool_calls: [
        { id: "call_1", type: "function", function: { name: "w", arguments: '{"city":"Paris"}' } },
        { id: "toolu_01Real", type: "function", function: { name: "w", arguments: "{}" } },
      ] },
      { role: "tool", tool_call_id: "call_1", content: "20C" },
      { role: "tool", tool_call_id: "toolu_01Real", content: "Error: down" },
      { role: "user", content: [{ type: "text", text: "[images returned by tool call toolu_01Real]" }, { type: "image_url", image_url: { url: "data:image/png;base64,AA" } }, { type: "text", text: "and then?" }] },
    ]);
  });
  test("an is_error result whose text already says it is an error is not said twice (the AI SDK sends 'Error: …')", () => {
    const result = (content: string) => toChatRequest(req({
      messages: [
        { role: "user", content: "go" },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_x", name: "w", input: {} }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_x", is_error: true, content }] },
      ],
    })).messages.at(-1)!.content;
    expect([result("Error: tool broke"), result("error - timeout"), result("ERROR 500"), result("Errors were found"), result("Error-free run"), result("tool broke"), result("")]).toEqual(["Error: tool broke", "error - timeout", "ERROR 500", "Error: Errors were found", "Error: Error-free run", "Error: tool broke", "Error"]);
  });
  test("images of several results are labelled with their call; a result of images alone says where they are (a probe)", () => {
    const image = { type: "image", source: { type: "base64", media_type: "image/png", data: "AA==" } };
    const chat = toChatRequest(req({
      messages: [
        { role: "user", content: "Two screenshots?" },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_a", name: "shot", input: {} }, { type: "tool_use", id: "toolu_b", name: "shot", input: {} }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_a", content: [image] }, { type: "tool_result", tool_use_id: "toolu_b", content: [image] }] },
      ],
    } as never));
    expect(chat.messages.slice(2)).toEqual([
      { role: "tool", tool_call_id: "toolu_a", content: '[the output is the images in the user message labelled "images returned by tool call toolu_a"]' },
      { role: "tool", tool_call_id: "toolu_b", content: '[the output is the images in the user message labelled "images returned by tool call toolu_b"]' },
      { role: "user", content: [
        { type: "text", text: "[images returned by tool call toolu_a]" },
        { type: "image_url", image_url: { url: "data:image/png;base64,AA==" } },
        { type: "text", text: "[images returned by tool call toolu_b]" },
        { type: "image_url", image_url: { url: "data:image/png;base64,AA==" } },
      ] },
    ]);
  });
  test.each([
    [{ type: "tool_use", id: "x", name: "n", input: {} }, "messages[0].content[0].type"],
    [{ type: "image", source: { type: "base64", media_type: "text/plain", data: "AA" } }, "messages[0].content[0].source.media_type"],
    [{ type: "image", source: { type: "base64", data: "AA" } }, "messages[0].content[0].source"],
    [{ type: "tool_result", content: "x" }, "messages[0].content[0].tool_use_id"],
  ])("refuses %j naming %s", (block, param) => {
    const e = error(() => toChatRequest(req({ messages: [{ role: "user", content: [block as never] }] })));
    expect(e.status).toBe(400);
    expect(e.param).toBe(param);
  });
});

describe("assistant content", () => {
  test("thinking goes back as reasoning_content; redacted_thinking is dropped; an Ollaix signature restores the provider's extras", () => {
    const extra = { extra_content: { google: { thought_signature: "sig-A" } } };
    const chat = toChatRequest(req({
      messages: [
        { role: "user", content: "q" },
        { role: "assistant", content: [
          { type: "thinking", thinking: "hmm", signature: encodeSignature({ calls: { call_9: extra } }) },
          { type: "redacted_thinking", data: "opaque" },
          { type: "text", text: "Let me look." },
          { type: "tool_use", id: toToolUseId("call_9"), name: "look", input: {} },
        ] },
      ],
    }));
    expect(chat.messages[1]).toEqual({
      role: "assistant",
      content: "Let me look.",
      reasoning_content: "hmm",
      tool_calls: [{ ...extra, id: "call_9", type: "function", function: { name: "look", arguments: "{}" } }],
    } as never);
  });
  test("a signature Ollaix did not make is ignored, not an error", () => {
    const chat = toChatRequest(req({
      messages: [{ role: "user", content: "q" }, { role: "assistant", content: [{ type: "thinking", thinking: "t", signature: "EqQBCkgIARABGAIiQ..." }, { type: "tool_use", id: "toolu_01A", name: "n", input: {} }] }],
    }));
    expect(chat.messages[1]!.tool_calls).toEqual([{ id: "toolu_01A", type: "function", function: { name: "n", arguments: "{}" } }]);
  });
});

describe("tools and sampling", () => {
  test("tools, tool_choice and disable_parallel_tool_use", () => {
    const chat = toChatRequest(req({
      tools: [{ name: "get_weather", description: "Weather", input_schema: { type: "object", properties: { city: { type: "string" } } } }, { type: "custom", name: "c", input_schema: { type: "object" } }],
      tool_choice: { type: "tool", name: "get_weather", disable_parallel_tool_use: true },
    }));
    expect(chat.tools).toEqual([
      { type: "function", function: { name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } } } },
      { type: "function", function: { name: "c", parameters: { type: "object" } } },
    ]);
    expect(chat.tool_choice).toEqual({ type: "function", function: { name: "get_weather" } });
    expect((chat as Record<string, unknown>).parallel_tool_calls).toBe(false);
  });
  test.each([["auto", "auto"], ["any", "required"], ["none", "none"]] as const)("tool_choice %s → %s", (type, expected) => {
    const tools = [{ name: "t", input_schema: { type: "object" } }];
    expect(toChatRequest(req({ tools, tool_choice: { type } })).tool_choice).toBe(expected);
  });
  test("a forced tool (any, tool) with no tools is Anthropic's 400; auto and none say nothing then and are left out (OpenAI refuses tool_choice and parallel_tool_calls without tools)", () => {
    expect(error(() => toChatRequest(req({ tool_choice: { type: "any" } })))).toMatchObject({ status: 400, param: "tool_choice", message: "tool_choice: tool_choice.any may only be specified while providing tools." });
    expect(error(() => toChatRequest(req({ tools: [], tool_choice: { type: "tool", name: "t" } })))).toMatchObject({ status: 400, param: "tool_choice" });
    for (const type of ["auto", "none"] as const) {
      const chat = toChatRequest(req({ tools: type === "none" ? [] : undefined, tool_choice: { type, disable_parallel_tool_use: true } }));
      expect(chat).not.toHaveProperty("tool_choice");
      expect(chat).not.toHaveProperty("parallel_tool_calls");
    }
  });
  test("a tool_use the next user turn does not answer is Anthropic's 400 naming it (results over two user messages are one turn)", () => {
    const use = (id: string) => ({ type: "tool_use" as const, id, name: "t", input: {} });
    const result = (id: string) => ({ type: "tool_result" as const, tool_use_id: id, content: "ok" });
    const tools = [{ name: "t", input_schema: { type: "object" } }];
    const unanswered = error(() => toChatRequest(req({ tools, messages: [{ role: "user", content: "Hi" }, { role: "assistant", content: [use("toolu_a"), use("toolu_b")] }, { role: "user", content: [result("toolu_a"), { type: "text", text: "and?" }] }] })));
    expect(unanswered).toMatchObject({ status: 400, param: "messages[2].content" });
    expect(unanswered.message).toContain("`tool_use` ids were found without `tool_result` blocks immediately after: toolu_b.");
    expect(error(() => toChatRequest(req({ tools, messages: [{ role: "user", content: "Hi" }, { role: "assistant", content: [use("toolu_a")] }, { role: "user", content: "never mind" }, { role: "assistant", content: "ok" }] })))).toMatchObject({ param: "messages[2].content" });
    // Answered across two user messages; a last assistant turn with calls (a prefill) has nothing after it to answer them.
    const chat = toChatRequest(req({ tools, messages: [{ role: "user", content: "Hi" }, { role: "assistant", content: [use("toolu_a"), use("toolu_b")] }, { role: "user", content: [result("toolu_a")] }, { role: "user", content: [result("toolu_b")] }, { role: "assistant", content: [use("toolu_c")] }] }));
    expect(chat.messages.filter((m) => m.role === "tool")).toHaveLength(2);
  });
  test.each(["web_search_20250305", "code_execution_20250522", "computer_20250124", "bash_20250124", "text_editor_20250728"])("server tool %s is a 400 naming it", (type) => {
    const e = error(() => toChatRequest(req({ tools: [{ type, name: "t1" }] })));
    expect(e.status).toBe(400);
    expect(e.param).toBe("tools[0].type");
    expect(e.message).toContain("t1");
    expect(e.message).toContain(type);
  });
  test("MCP: an mcp_toolset tool (no name) is a server tool's 400; mcp_servers is a 400; a client tool without a name is one too", () => {
    expect(error(() => toChatRequest(req({ tools: [{ type: "mcp_toolset", mcp_server_name: "docs" }] } as never)))).toMatchObject({ status: 400, param: "tools[0].type" });
    expect(error(() => toChatRequest(req({ mcp_servers: [{ type: "url", url: "https://mcp.example/sse", name: "docs" }] } as never)))).toMatchObject({ status: 400, param: "mcp_servers" });
    expect(toChatRequest(req({ mcp_servers: [] } as never))).not.toHaveProperty("mcp_servers");
    expect(error(() => toChatRequest(req({ tools: [{ input_schema: { type: "object" } }] } as never)))).toMatchObject({ status: 400, param: "tools[0].name" });
  });
  test("a client tool without input_schema, or whose schema is not an object's, is a 400 naming it (as Anthropic answers)", () => {
    expect(error(() => toChatRequest(req({ tools: [{ name: "t" }] })))).toMatchObject({ status: 400, param: "tools[0].input_schema" });
    const typeless = error(() => toChatRequest(req({ tools: [{ name: "a", input_schema: { type: "object" } }, { name: "t", input_schema: { properties: {} } }] })));
    expect(typeless).toMatchObject({ status: 400, param: "tools[1].input_schema.type" });
    expect(typeless.message).toContain("Field required");
    expect(error(() => toChatRequest(req({ tools: [{ name: "t", input_schema: { type: "string" } }] })))).toMatchObject({ status: 400, param: "tools[0].input_schema.type" });
  });
  test("stop_sequences, temperature, top_p, top_k, metadata.user_id, max_tokens, stream", () => {
    const chat = toChatRequest(req({ stop_sequences: ["</x>"], temperature: 0.2, top_p: 0.9, top_k: 40, metadata: { user_id: "u-1" }, stream: true }));
    expect(chat).toMatchObject({ stop: ["</x>"], temperature: 0.2, top_p: 0.9, top_k: 40, user: "u-1", max_tokens: 100, stream: true });
  });
});

describe("metadata.user_id", () => {
  test("is the user as sent up to 64 characters; a longer one (Claude Code's JSON) is its SHA-256 in hex", () => {
    expect(toChatRequest(req({ metadata: { user_id: "u-7" } })).user).toBe("u-7");
    const long = JSON.stringify({ device_id: "d".repeat(64), account_uuid: "a".repeat(36), session_id: "s".repeat(36) });
    const user = toChatRequest(req({ metadata: { user_id: long } })).user!;
    expect(user).toMatch(/^[0-9a-f]{64}$/);
    expect(toChatRequest(req({ metadata: { user_id: long } })).user).toBe(user);
  });
});

describe("system messages in the conversation", () => {
  test("a system message among the turns is a system message in its place; its effort is the later word; an empty one adds nothing", () => {
    const chat = toChatRequest(req({
      system: "Be brief.",
      output_config: { effort: "low" },
      messages: [
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello." },
        { role: "system", content: [{ type: "text", text: "Now answer in French." }] },
        { role: "system", content: "", output_config: { effort: "high" } },
        { role: "user", content: "How are you?" },
      ],
    } as never));
    expect(chat.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello." },
      { role: "system", content: "Now answer in French." },
      { role: "user", content: "How are you?" },
    ]);
    expect(chat.reasoning_effort).toBe("high");
  });
  test("a system message between a turn's tool calls and their results comes after the results", () => {
    const chat = toChatRequest(req({
      messages: [
        { role: "user", content: "Weather?" },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_01W", name: "weather", input: {} }] },
        { role: "system", content: "Answer in French." },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_01W", content: "18C" }, { type: "text", text: "So?" }] },
      ],
    } as never));
    expect(chat.messages.map((m) => m.role)).toEqual(["user", "assistant", "tool", "system", "user"]);
    expect(chat.messages[3]).toEqual({ role: "system", content: "Answer in French." });
  });
  test("what a system message cannot carry here is a 400 naming it", () => {
    const one = (message: object) => error(() => toChatRequest(req({ messages: [{ role: "user", content: "Hi" }, message] } as never)));
    expect(one({ role: "system", content: "x", clear_at: { type: "before", index: 1 } })).toMatchObject({ status: 400, param: "messages[1].clear_at" });
    expect(one({ role: "system", content: [{ type: "image", source: { type: "url", url: "https://x" } }] })).toMatchObject({ status: 400, param: "messages[1].content[0].type" });
    expect(one({ role: "system", content: "", output_config: { effort: "extreme" } })).toMatchObject({ status: 400, param: "messages[1].output_config.effort" });
  });
});

describe("structured outputs", () => {
  const schema = { type: "object", properties: { answer: { type: "number" } }, required: ["answer"], additionalProperties: false };
  test("output_config.format (and the beta's output_format) is the chat request's json_schema response_format", () => {
    expect(toChatRequest(req({ output_config: { format: { type: "json_schema", schema } } } as never)).response_format).toEqual({ type: "json_schema", json_schema: { name: "output", schema } });
    expect(toChatRequest(req({ output_format: { type: "json_schema", schema } } as never)).response_format).toEqual({ type: "json_schema", json_schema: { name: "output", schema } });
    expect(toChatRequest(req({ output_config: { format: null } } as never))).not.toHaveProperty("response_format");
  });
});

describe("thinking", () => {
  test.each([
    [{ type: "enabled", budget_tokens: 1024 }, "low"],
    [{ type: "enabled", budget_tokens: 8000 }, "medium"],
    [{ type: "enabled", budget_tokens: 31999 }, "high"],
    [{ type: "disabled" }, "none"],
    [{ type: "adaptive" }, "medium"],
    [{ type: "between_tools" }, "medium"],
    [undefined, undefined],
  ] as const)("%j → reasoning_effort %s", (thinking, effort) => {
    expect(toReasoningEffort(thinking as never)).toBe(effort as never);
  });
  test("output_config.effort is the level where thinking gives none of its own (absent, adaptive); a budget or disabled wins", () => {
    const effortOf = (extra: object) => toChatRequest(req({ output_config: { effort: "xhigh" }, ...extra } as never)).reasoning_effort;
    expect(effortOf({})).toBe("xhigh");
    expect(effortOf({ thinking: { type: "adaptive" } })).toBe("xhigh");
    expect(effortOf({ max_tokens: 4000, thinking: { type: "enabled", budget_tokens: 2000 } })).toBe("low");
    expect(effortOf({ thinking: { type: "disabled" } })).toBe("none");
    expect(toChatRequest(req({ output_config: { effort: null } } as never))).not.toHaveProperty("reasoning_effort");
  });
  test("the exact budget rides along, invisible to JSON", () => {
    const chat = toChatRequest(req({ max_tokens: 8000, thinking: { type: "enabled", budget_tokens: 5000 } }));
    expect(thinkingBudgetOf(chat)).toBe(5000);
    expect(JSON.stringify(chat)).not.toContain("5000");
  });
  test("enabled without a budget is a 400", () => {
    expect(error(() => toChatRequest(req({ thinking: { type: "enabled" } }))).param).toBe("thinking.budget_tokens");
  });
  test("what Anthropic refuses about thinking is a 400 here too: a budget under 1,024, a budget not below max_tokens (unless interleaved), a forced tool", () => {
    const think = (budget: number) => ({ type: "enabled" as const, budget_tokens: budget });
    expect(error(() => toChatRequest(req({ max_tokens: 4000, thinking: think(1023) })))).toMatchObject({ status: 400, param: "thinking.budget_tokens", message: "thinking.budget_tokens: Input should be greater than or equal to 1024." });
    expect(error(() => toChatRequest(req({ max_tokens: 2048, thinking: think(2048) })))).toMatchObject({ status: 400, param: "max_tokens", message: "`max_tokens` must be greater than `thinking.budget_tokens`." });
    expect(toChatRequest(req({ max_tokens: 2049, thinking: think(2048) })).reasoning_effort).toBe("low");
    // Interleaved thinking: the budget spans the whole turn, so it may pass one answer's max_tokens.
    expect(thinkingBudgetOf(toChatRequest(req({ max_tokens: 2048, thinking: think(20000) }), { interleavedThinking: true }))).toBe(20000);
    const tools = [{ name: "t", input_schema: { type: "object" } }];
    for (const thinking of [think(1024), { type: "adaptive" as const }]) {
      for (const tool_choice of [{ type: "any" as const }, { type: "tool" as const, name: "t" }]) {
        expect(error(() => toChatRequest(req({ max_tokens: 4000, thinking, tools, tool_choice })))).toMatchObject({ status: 400, param: "tool_choice" });
      }
      expect(toChatRequest(req({ max_tokens: 4000, thinking, tools, tool_choice: { type: "auto" } })).tool_choice).toBe("auto");
    }
    // Thinking off: a forced tool is fine, and no budget is checked.
    expect(toChatRequest(req({ thinking: { type: "disabled" }, tools, tool_choice: { type: "any" } })).tool_choice).toBe("required");
  });
  test("with thinking on, Anthropic's sampling rules: temperature 1 only, no top_k, top_p from 0.95 (a probe)", () => {
    for (const thinking of [{ type: "enabled" as const, budget_tokens: 1024 }, { type: "adaptive" as const }]) {
      const on = (extra: Partial<MessagesRequest>) => req({ max_tokens: 4000, thinking, ...extra });
      expect(error(() => toChatRequest(on({ temperature: 0.7 })))).toMatchObject({ status: 400, param: "temperature", message: "`temperature` may only be set to 1 when thinking is enabled." });
      expect(error(() => toChatRequest(on({ top_k: 40 })))).toMatchObject({ status: 400, param: "top_k" });
      expect(error(() => toChatRequest(on({ top_p: 0.9 })))).toMatchObject({ status: 400, param: "top_p" });
      const fine = toChatRequest(on({ temperature: 1, top_p: 0.95 }));
      expect([fine.temperature, fine.top_p]).toEqual([1, 0.95]);
    }
    // Without thinking, every value is the client's.
    for (const thinking of [undefined, { type: "disabled" as const }]) {
      const chat = toChatRequest(req({ thinking, temperature: 0.2, top_p: 0.5, top_k: 5 }));
      expect([chat.temperature, chat.top_p, (chat as Record<string, unknown>).top_k]).toEqual([0.2, 0.5, 5]);
    }
  });
});

describe("a client tool's name is Anthropic's pattern (a probe)", () => {
  test("a dot, a slash, a space or 129 characters is a 400 naming the tool; 128 word characters and hyphens are fine", () => {
    const tool = (name: string) => ({ name, input_schema: { type: "object" } });
    for (const name of ["fs.read", "server/tool", "get weather", "", "x".repeat(129)]) {
      expect(error(() => toChatRequest(req({ tools: [tool("ok"), tool(name)] })))).toMatchObject({ status: 400, param: "tools[1].name", message: "tools[1].name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'." });
    }
    const fine = "mcp__my-server__Read_2" + "x".repeat(106);
    expect(toChatRequest(req({ tools: [tool(fine)] })).tools![0]!.function.name).toBe(fine);
  });
});

describe("empty text blocks are refused, as Anthropic refuses them (a probe)", () => {
  test("in a user turn, an assistant turn and the system blocks, each named; a missing text is still 'Field required'", () => {
    const blocks = (text: string | undefined) => [{ type: "text" as const, text } as { type: "text"; text: string }];
    expect(error(() => toChatRequest(req({ messages: [{ role: "user", content: blocks("") }] })))).toMatchObject({ status: 400, param: "messages[0].content[0].text", message: "messages[0].content[0].text: text content blocks must be non-empty." });
    const turns = [{ role: "user" as const, content: "Hi" }, { role: "assistant" as const, content: [...blocks("Sure."), ...blocks("")] }, { role: "user" as const, content: "Go on" }];
    expect(error(() => toChatRequest(req({ messages: turns })))).toMatchObject({ status: 400, param: "messages[1].content[1].text" });
    expect(error(() => toChatRequest(req({ system: [{ type: "text", text: "Be brief." }, { type: "text", text: "" }] })))).toMatchObject({ status: 400, param: "system[1].text" });
    expect(error(() => toChatRequest(req({ messages: [{ role: "user", content: "Hi" }, { role: "assistant", content: blocks(undefined) }] })))).toMatchObject({ param: "messages[1].content[0].text", message: "messages[1].content[0].text: Field required." });
    // A string content, and non-empty blocks, are as before.
    expect(toChatRequest(req({ system: [{ type: "text", text: "Be brief." }], messages: [{ role: "user", content: blocks(" ") }] })).messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: " " },
    ]);
  });
});

describe("an assistant turn of several blocks (a probe)", () => {
  test("text and thinking on both sides of a tool call (interleaved thinking) stay apart; adjacent text blocks (citations) are one text", () => {
    const chat = toChatRequest(
      req({
        messages: [
          { role: "user", content: "Weather?" },
          {
            role: "assistant",
            content: [
              { type: "thinking", thinking: "First I check.", signature: "sig" },
              { type: "text", text: "Let me look." },
              { type: "tool_use", id: "call_1", name: "get_weather", input: {} },
              { type: "thinking", thinking: "Then I decide.", signature: "sig" },
              { type: "text", text: "According to it, " },
              { type: "text", text: "it is sunny" },
              { type: "text", text: "." },
            ],
          },
        ],
      } as never),
    );
    expect(chat.messages[1]).toMatchObject({ role: "assistant", content: "Let me look.\nAccording to it, it is sunny.", reasoning_content: "First I check.\nThen I decide." });
  });
});

describe("what Anthropic refuses with a 400 is refused here too, naming the field (a probe: these went upstream)", () => {
  const base = { model: "m", max_tokens: 10 };
  const refusal = (req: unknown) => {
    try {
      toChatRequest(req as MessagesRequest);
    } catch (error) {
      return error as { status: number; param: string; message: string };
    }
    throw new Error("expected a refusal");
  };
  test("a tool_result answering no tool_use of the assistant turn before it", () => {
    const orphan = refusal({ ...base, messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_x", content: "ok" }] }] });
    expect(orphan).toMatchObject({ status: 400, param: "messages[0].content[0].tool_use_id" });
    expect(orphan.message).toContain("Each `tool_result` block must have a corresponding `tool_use` block in the previous message.");
    // One turn later: the call is not in the turn right before.
    const late = refusal({
      ...base,
      messages: [
        { role: "user", content: "go" },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "f", input: {} }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "ok" }] },
        { role: "assistant", content: "done" },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "again" }] },
      ],
    });
    expect(late.param).toBe("messages[4].content[0].tool_use_id");
  });
  test("consecutive messages of one role are one turn, as Anthropic merges them: results over two user messages, calls and text over two assistant messages (a review: these were refused)", () => {
    const use = (id: string) => ({ type: "tool_use", id, name: "f", input: {} });
    const result = (id: string) => ({ type: "tool_result", tool_use_id: id, content: "ok" });
    const splitResults = toChatRequest({ ...base, messages: [{ role: "user", content: "go" }, { role: "assistant", content: [use("toolu_1"), use("toolu_2")] }, { role: "user", content: [result("toolu_1")] }, { role: "user", content: [result("toolu_2")] }] } as MessagesRequest);
    expect(splitResults.messages.filter((m) => m.role === "tool")).toHaveLength(2);
    const splitCalls = toChatRequest({ ...base, messages: [{ role: "user", content: "go" }, { role: "assistant", content: [use("toolu_1")] }, { role: "assistant", content: [{ type: "text", text: "and" }, use("toolu_2")] }, { role: "user", content: [result("toolu_1"), result("toolu_2")] }] } as MessagesRequest);
    expect(splitCalls.messages.filter((m) => m.role === "tool")).toHaveLength(2);
  });
  test("a text block without text, and two tools of one name", () => {
    expect(refusal({ ...base, messages: [{ role: "user", content: [{ type: "text" }] }] })).toMatchObject({ status: 400, param: "messages[0].content[0].text" });
    const tool = { name: "f", input_schema: { type: "object" } };
    expect(refusal({ ...base, tools: [tool, tool], messages: [{ role: "user", content: "hi" }] })).toMatchObject({ status: 400, param: "tools[1].name" });
  });
});
