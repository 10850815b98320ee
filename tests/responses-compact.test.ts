// Compaction, as Codex and OpenAI's SDK use it: `client.responses.compact` on a real port, through the
// openai-compatible plugin to a fake OpenAI upstream that records what it gets; the compacted output
// sent back as the next request's input; the 400s for what this gateway cannot read.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { jsonResponse, openAIHandler, sseResponse } from "../plugins/openai-compatible/__fixtures__/fake-openai.ts";
import dummy from "../plugins/dummy/index.ts";
import openaiCompatible from "../plugins/openai-compatible/index.ts";
import { COMPACTION_PROMPT, openSummary } from "../src/surfaces/openai-responses/compaction.ts";
import { startFakeServer, type FakeServer, type RecordedRequest } from "./helpers/fake-server.ts";
import { definePlugin, type ChatRequest } from "../src/kit.ts";
import { json, jsonPost, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { expectOpenAI } from "./helpers/openai-schema.ts";

/** Instructions the fake answers the compaction to with no text. */
const MUTE = "Say nothing.";
const SUMMARY = "The user is planning a trip to Lyon; day 1 is planned; the weather tool said 12 C. Next: plan day 2.";

/** A fake OpenAI that answers a summary when told to call no tool (as OpenAI does with tool_choice none), else as the shared fake. */
function upstream(request: RecordedRequest): Response {
  const body = request.body as { messages?: { content?: unknown }[] } | undefined;
  const last = body?.messages?.at(-1)?.content;
  if (request.path === "/v1/chat/completions" && last === COMPACTION_PROMPT) {
    const isMute = body?.messages?.[0]?.content === MUTE;
    if ((body as { stream?: boolean }).stream === true) return sseResponse(summaryChunks(isMute ? "" : SUMMARY));
    if (isMute) return jsonResponse(completion(null, 0));
    return jsonResponse(completion(SUMMARY, 24));
  }
  return openAIHandler(request);
}

const completion = (content: string | null, completionTokens: number) => ({
  id: "chatcmpl-sum",
  object: "chat.completion",
  created: 1700000000,
  model: "gpt-4o-mini",
  choices: [{ index: 0, finish_reason: "stop", logprobs: null, message: { role: "assistant", content, refusal: null } }],
  usage: { prompt_tokens: 310, completion_tokens: completionTokens, total_tokens: 310 + completionTokens, prompt_tokens_details: { cached_tokens: 128 } },
});

/** A model with a small context its provider reports, which answers a summary: for fitting a compaction to it. */
const smallReceived: ChatRequest[] = [];
const small = definePlugin({
  name: "small",
  models: [{ id: "small-window", context_length: 3000 }],
  async chat(request) {
    smallReceived.push(request);
    return { choices: [{ index: 0, finish_reason: "stop", message: { content: SUMMARY } }] };
  },
  async *chatStream(request) {
    smallReceived.push(request);
    yield { choices: [{ index: 0, delta: { content: SUMMARY }, finish_reason: "stop" }] };
  },
});

let fake: FakeServer;
let gw: TestGateway;
let client: OpenAI;
beforeAll(async () => {
  fake = startFakeServer(upstream);
  gw = await startTestGateway({ OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: "sk-upstream" }, [dummy, openaiCompatible, small]);
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x", maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const chatBodies = () => fake.requests.filter((r) => r.path === "/v1/chat/completions").map((r) => r.body as Record<string, unknown>);

const shellTool = { type: "function" as const, name: "shell", description: "Run a command", parameters: { type: "object", properties: { cmd: { type: "string" } } }, strict: false };

const conversation: OpenAI.Responses.ResponseInput = [
  { role: "developer", content: "Work in /srv/app." },
  { role: "user", content: "Plan a trip to Lyon." },
  { type: "message", role: "assistant", content: [{ type: "output_text", text: "Day 1: the old town.", annotations: [] }], id: "msg_a1", status: "completed" },
  { role: "user", content: [{ type: "input_text", text: "And the weather?" }] },
  { type: "function_call", call_id: "call_w", name: "shell", arguments: '{"cmd":"weather lyon"}' },
  { type: "function_call_output", call_id: "call_w", output: "12 C" },
];

describe("client.responses.compact", () => {
  test("the model is given the conversation, its tools with tool_choice none and the effort, then the compaction prompt; the answer is the user messages and one compaction item", async () => {
    const compacted = await client.responses.compact({
      model: "gpt-4o-mini",
      instructions: "You are a travel agent.",
      input: conversation,
      // What Codex sends besides OpenAI's documented fields.
      ...({ tools: [shellTool], parallel_tool_calls: true, reasoning: { effort: "low" }, text: { verbosity: "low" } } as object),
      prompt_cache_key: "trip-1",
    });
    expectOpenAI("CompactResource", compacted);
    expect(chatBodies().at(-1)).toEqual({
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "You are a travel agent." },
        { role: "developer", content: "Work in /srv/app." },
        { role: "user", content: "Plan a trip to Lyon." },
        { role: "assistant", content: "Day 1: the old town." },
        { role: "user", content: "And the weather?" },
        { role: "assistant", content: null, tool_calls: [{ id: "call_w", type: "function", function: { name: "shell", arguments: '{"cmd":"weather lyon"}' } }] },
        { role: "tool", tool_call_id: "call_w", content: "12 C" },
        { role: "user", content: COMPACTION_PROMPT },
      ],
      tools: [{ type: "function", function: { name: "shell", description: "Run a command", parameters: { type: "object", properties: { cmd: { type: "string" } } }, strict: false } }],
      parallel_tool_calls: true,
      tool_choice: "none",
      reasoning_effort: "low",
      prompt_cache_key: "trip-1",
    });

    expect(compacted.object).toBe("response.compaction");
    expect(compacted.id).toMatch(/^resp_/);
    expect(compacted.output.map((item) => item.type)).toEqual(["message", "message", "compaction"]);
    const [first, second, item] = compacted.output as [OpenAI.Responses.ResponseInputMessageItem, OpenAI.Responses.ResponseInputMessageItem, OpenAI.Responses.ResponseCompactionItem];
    expect([first.role, first.content]).toEqual(["user", [{ type: "input_text", text: "Plan a trip to Lyon." }]]);
    expect([second.role, second.content]).toEqual(["user", [{ type: "input_text", text: "And the weather?" }]]);
    expect(item.id).toMatch(/^cmp_/);
    expect(openSummary(item.encrypted_content)).toBe(SUMMARY);
    expect(compacted.usage).toEqual({
      input_tokens: 310,
      input_tokens_details: { cached_tokens: 128, cache_write_tokens: 0 },
      output_tokens: 24,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 334,
    });
  });

  test("the compacted output as the next request's input: the model reads the user messages, the summary as the user's, then the new turn", async () => {
    const compacted = await client.responses.compact({ model: "gpt-4o-mini", input: conversation });
    const next = await client.responses.create({ model: "gpt-4o-mini", input: [...(compacted.output as OpenAI.Responses.ResponseInputItem[]), { role: "user", content: "Now day 2." }] });
    expectOpenAI("Response", next);
    expect((chatBodies().at(-1) as { messages: unknown[] }).messages).toEqual([
      { role: "user", content: "Plan a trip to Lyon." },
      { role: "user", content: "And the weather?" },
      { role: "user", content: `Summary of the conversation so far (its earlier turns were compacted into it):\n\n${SUMMARY}` },
      { role: "user", content: "Now day 2." },
    ]);
    // Stored with its input: input_items lists the compaction item as OpenAI's ItemResource has it.
    const page = await json(fetch(`${gw.url}/v1/responses/${next.id}/input_items?order=asc`));
    expectOpenAI("ResponseItemList", page);
    expect(page.data[2]).toEqual({ id: (compacted.output[2] as { id: string }).id, type: "compaction", encrypted_content: (compacted.output[2] as { encrypted_content: string }).encrypted_content });

    // And compacted again: the earlier summary is read as part of the conversation, and only the new compaction item is kept.
    const again = await client.responses.compact({ model: "gpt-4o-mini", previous_response_id: next.id, input: "One more thing." });
    expectOpenAI("CompactResource", again);
    expect((chatBodies().at(-1) as { messages: { content: unknown }[] }).messages.map((m) => m.content)).toEqual([
      "Plan a trip to Lyon.",
      "And the weather?",
      `Summary of the conversation so far (its earlier turns were compacted into it):\n\n${SUMMARY}`,
      "Now day 2.",
      next.output_text,
      "One more thing.",
      COMPACTION_PROMPT,
    ]);
    expect(again.output.map((item) => (item.type === "message" ? (item.content[0] as { text: string }).text : item.type))).toEqual([
      "Plan a trip to Lyon.",
      "And the weather?",
      "Now day 2.",
      "One more thing.",
      "compaction",
    ]);
  });

  test("input_tokens counts a compaction item as what the model will read: the messages it kept, then its summary", async () => {
    const compacted = await client.responses.compact({ model: "gpt-4o-mini", input: "Plan a trip to Lyon." });
    const item = compacted.output.at(-1) as OpenAI.Responses.ResponseInputItem;
    const summary = { role: "user" as const, content: `Summary of the conversation so far (its earlier turns were compacted into it):\n\n${SUMMARY}` };
    const alone = await client.responses.inputTokens.count({ model: "gpt-4o-mini", input: [item] });
    const asText = await client.responses.inputTokens.count({ model: "gpt-4o-mini", input: [{ role: "user", content: "Plan a trip to Lyon." }, summary] });
    expect(alone.input_tokens).toBe(asText.input_tokens);
    // After the kept messages (the compact endpoint's whole output), they are not counted twice.
    const whole = await client.responses.inputTokens.count({ model: "gpt-4o-mini", input: compacted.output as OpenAI.Responses.ResponseInputItem[] });
    expect(whole.input_tokens).toBe(asText.input_tokens);
  });

  test("any model of any plugin: the dummy summarises a stored conversation named by previous_response_id", async () => {
    const first = await client.responses.create({ model: "dummy-model:1.0", input: "Hello there" });
    const compacted = await client.responses.compact({ model: "dummy-model:1.0", previous_response_id: first.id });
    expectOpenAI("CompactResource", compacted);
    expect(compacted.output.map((item) => item.type)).toEqual(["message", "compaction"]);
    expect(openSummary((compacted.output[1] as { encrypted_content: string }).encrypted_content)!.length).toBeGreaterThan(0);
    const next = await client.responses.create({ model: "dummy-model:1.0", input: [...(compacted.output as OpenAI.Responses.ResponseInputItem[]), { role: "user", content: "Go on." }] });
    expect(next.status).toBe("completed");
  });
});

describe("the Agents SDK's compaction session", () => {
  test("it keeps only what follows the latest compaction item: the item holds the user's messages, so the model still reads them", async () => {
    const { Agent, OpenAIProvider, OpenAIResponsesCompactionSession, Runner, setTracingDisabled } = await import("@openai/agents");
    setTracingDisabled(true);
    const runner = new Runner({ modelProvider: new OpenAIProvider({ openAIClient: client }) });
    const session = new OpenAIResponsesCompactionSession({ client, model: "gpt-4o-mini", shouldTriggerCompaction: () => true });
    const agent = new Agent({ name: "Assistant", instructions: "Be brief.", model: "gpt-4o-mini" });
    await runner.run(agent, "My name is Bob.", { session });
    const history = (await session.getItems()) as { type?: string }[];
    expect(history.some((item) => item.type === "compaction")).toBe(true);
    await runner.run(agent, "Who am I?", { session });
    const messages = (chatBodies().at(-1) as { messages: { role: string; content: unknown }[] }).messages;
    expect(messages.map((m) => m.content)).toEqual([
      "Be brief.",
      "My name is Bob.",
      `Summary of the conversation so far (its earlier turns were compacted into it):\n\n${SUMMARY}`,
      "Who am I?",
    ]);
  });
});

describe("what a compaction refuses", () => {
  test("a compaction item this gateway did not make (OpenAI's encrypted one) is a 400 naming its encrypted_content, on create, compact and input_tokens", async () => {
    const input = [{ role: "user", content: "hi" }, { type: "compaction", encrypted_content: "gAAAAABpM0Yj-abc=" }];
    for (const path of ["/v1/responses", "/v1/responses/compact", "/v1/responses/input_tokens"]) {
      const res = await fetch(`${gw.url}${path}`, jsonPost({ model: "gpt-4o-mini", input }));
      expect(res.status).toBe(400);
      const body = await json(res);
      expectOpenAI("ErrorResponse", body);
      expect(body.error).toMatchObject({ type: "invalid_request_error", param: "input[1].encrypted_content" });
      expect(body.error.message).toContain("not made by this gateway");
    }
    const missing = await fetch(`${gw.url}/v1/responses`, jsonPost({ model: "gpt-4o-mini", input: [{ type: "compaction" }] }));
    expect((await json(missing)).error).toMatchObject({ param: "input[0].encrypted_content", message: "Missing required parameter: 'input[0].encrypted_content'." });
  });

  test("a compaction item of this gateway's form whose kept messages are not a user message's content (forged) is the same 400, on every route that reads it, and in a conversation", async () => {
    const forged = (users: unknown) =>
      `ollaix.compaction.v1.${Buffer.from(JSON.stringify({ text: SUMMARY, users }), "utf8").toString("base64url")}`;
    const bad: unknown[] = [[null], [123], [{}], [[{ type: "input_text" }]], [[{ type: "input_file", file_data: { nested: true } }]], [[{ type: "input_image" }]]];
    const asked = chatBodies().length;
    for (const users of bad) {
      const input = [{ type: "compaction", encrypted_content: forged(users) }, { role: "user", content: "Go on." }];
      for (const path of ["/v1/responses", "/v1/responses/compact", "/v1/responses/input_tokens"]) {
        for (const stream of path === "/v1/responses" ? [false, true] : [false]) {
          const res = await fetch(`${gw.url}${path}`, jsonPost({ model: "gpt-4o-mini", input, stream }));
          expect([JSON.stringify(users), path, res.status]).toEqual([JSON.stringify(users), path, 400]);
          expect((await json(res)).error).toMatchObject({ param: "input[0].encrypted_content" });
        }
      }
      const conversation = await fetch(`${gw.url}/v1/conversations`, jsonPost({ items: [{ type: "compaction", encrypted_content: forged(users) }] }));
      expect(conversation.status).toBe(400);
    }
    expect(chatBodies()).toHaveLength(asked);
    // Its own form, with text and parts, still reads.
    const good = [{ type: "compaction", encrypted_content: forged(["Plan a trip.", [{ type: "input_text", text: "In May." }]]) }, { role: "user", content: "Go on." }];
    expect((await fetch(`${gw.url}/v1/responses`, jsonPost({ model: "gpt-4o-mini", input: good }))).status).toBe(200);
  });

  test("nothing to compact, no model, an unknown previous response, an unknown model: OpenAI's envelope, the right status and param", async () => {
    const asked = chatBodies().length;
    const cases: [unknown, number, Record<string, unknown>][] = [
      [{ model: "gpt-4o-mini" }, 400, { param: "input", message: "Missing required parameter: 'input'." }],
      [{ model: "gpt-4o-mini", input: [] }, 400, { param: "input" }],
      [{ model: "gpt-4o-mini", input: null, instructions: "Be brief." }, 400, { param: "input" }],
      [{ input: "hi" }, 400, { param: "model" }],
      [{ model: "gpt-4o-mini", previous_response_id: "resp_nope" }, 400, { param: "previous_response_id", code: "previous_response_not_found" }],
      [{ model: "no-such-model", input: "hi" }, 404, { code: "model_not_found" }],
      [{ model: "gpt-4o-mini", input: [{ role: "user", content: "hi" }], conversation: "conv_1" }, 400, { param: "conversation" }],
    ];
    for (const [body, status, error] of cases) {
      const res = await fetch(`${gw.url}/v1/responses/compact`, jsonPost(body));
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), status]);
      const answer = await json(res);
      expectOpenAI("ErrorResponse", answer);
      expect(answer.error).toMatchObject(error);
    }
    expect(chatBodies()).toHaveLength(asked);
  });

  test("a model that answers the compaction with no text is a 502, not a compaction that would lose the conversation", async () => {
    const refused = await client.responses.compact({ model: "gpt-4o-mini", instructions: MUTE, input: "Plan a trip." }).catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    expect(refused).toMatchObject({ status: 502, error: { code: "upstream_error", message: "The model wrote no summary for the compaction: its answer held no text." } });
  });
});

/** A streamed answer of `text` (none: a role, a stop and the usage only). */
const summaryChunks = (text: string) => {
  const model = "gpt-4o-mini";
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
    id: "chatcmpl-sum",
    object: "chat.completion.chunk",
    created: 1700000000,
    model,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  });
  const half = text.length >> 1;
  return [
    chunk({ role: "assistant", content: text.slice(0, half) }),
    chunk({ content: text.slice(half) }),
    chunk({}, "stop"),
    { id: "chatcmpl-sum", object: "chat.completion.chunk", created: 1700000000, model, choices: [], usage: { prompt_tokens: 310, completion_tokens: 24, total_tokens: 334 } },
  ];
};

describe("compaction_trigger (Codex's streamed remote compaction)", () => {
  const trigger = { type: "compaction_trigger" } as unknown as OpenAI.Responses.ResponseInputItem;

  test("not streamed: the model is asked for the summary with no tool to call and no answer format; the output is one compaction item, stored", async () => {
    const response = await client.responses.create({
      model: "gpt-4o-mini",
      instructions: "You are a travel agent.",
      input: [...conversation, trigger],
      tools: [shellTool],
      text: { format: { type: "json_object" } },
      include: ["message.output_text.logprobs"],
    });
    expectOpenAI("Response", response);
    const sent = chatBodies().at(-1) as { messages: { role?: string; content: unknown }[]; tool_choice?: unknown; response_format?: unknown; logprobs?: unknown };
    expect(sent.messages.at(-1)).toEqual({ role: "user", content: COMPACTION_PROMPT });
    expect(sent.messages).toHaveLength(8);
    expect([sent.tool_choice, sent.response_format, sent.logprobs]).toEqual(["none", undefined, undefined]);
    expect(response.status).toBe("completed");
    expect(response.output).toHaveLength(1);
    const item = response.output[0] as OpenAI.Responses.ResponseCompactionItem;
    expect(item.type).toBe("compaction");
    expect(openSummary(item.encrypted_content)).toBe(SUMMARY);
    expect(response.usage).toMatchObject({ input_tokens: 310, output_tokens: 24 });

    // input_items lists the conversation; the trigger, which OpenAI's ItemResource has no type for, is not an item.
    const page = await json(fetch(`${gw.url}/v1/responses/${response.id}/input_items?order=asc&limit=100`));
    expectOpenAI("ResponseItemList", page);
    expect(page.data.map((item: { type: string }) => item.type)).toEqual(["message", "message", "message", "message", "function_call", "function_call_output"]);

    // Continued, it is the compacted conversation the model reads: the user messages, the summary, the new turn.
    await client.responses.create({ model: "gpt-4o-mini", previous_response_id: response.id, input: "Now day 2." });
    expect((chatBodies().at(-1) as { messages: { content: unknown }[] }).messages.map((m) => m.content)).toEqual([
      "Plan a trip to Lyon.",
      "And the weather?",
      `Summary of the conversation so far (its earlier turns were compacted into it):\n\n${SUMMARY}`,
      "Now day 2.",
    ]);
  });

  test("streamed: created, in_progress, the compaction item added and done, completed; every event OpenAI's", async () => {
    const stream = await client.responses.create({ model: "gpt-4o-mini", input: [...conversation, trigger], stream: true, store: false });
    const events: { type: string; sequence_number: number }[] = [];
    for await (const event of stream) {
      expectOpenAI("ResponseStreamEvent", event);
      events.push(event);
    }
    expect(chatBodies().at(-1)).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(events.map((e) => e.type)).toEqual(["response.created", "response.in_progress", "response.output_item.added", "response.output_item.done", "response.completed"]);
    expect(events.map((e) => e.sequence_number)).toEqual([0, 1, 2, 3, 4]);
    const done = events.at(-1) as unknown as { response: OpenAI.Responses.Response };
    const item = done.response.output[0] as OpenAI.Responses.ResponseCompactionItem;
    expect(openSummary(item.encrypted_content)).toBe(SUMMARY);
    expect((events[2] as unknown as { item: unknown }).item).toEqual(item);
    expect(done.response.usage).toMatchObject({ input_tokens: 310, output_tokens: 24, total_tokens: 334 });
  });

  test("streamed, a model that writes no summary ends the stream with response.failed", async () => {
    const stream = await client.responses.create({ model: "gpt-4o-mini", instructions: MUTE, input: ["Plan a trip.", trigger].map((x) => (typeof x === "string" ? { role: "user" as const, content: x } : x)), stream: true });
    const events: { type: string }[] = [];
    for await (const event of stream) {
      expectOpenAI("ResponseStreamEvent", event);
      events.push(event);
    }
    expect(events.map((e) => e.type)).toEqual(["response.created", "response.in_progress", "response.failed"]);
    expect((events[2] as unknown as { response: OpenAI.Responses.Response }).response.error).toEqual({ code: "server_error", message: "The model wrote no summary for the compaction: its answer held no text." });
  });

  test("a trigger that is not the last item, or in the background, is a 400; sent to the compact endpoint it asks once", async () => {
    const early = await fetch(`${gw.url}/v1/responses`, jsonPost({ model: "gpt-4o-mini", input: [trigger, { role: "user", content: "hi" }] }));
    expect(early.status).toBe(400);
    expect((await json(early)).error).toMatchObject({ param: "input[0].type", message: "Invalid 'input[0].type': a compaction_trigger must be the final input item." });
    const background = await fetch(`${gw.url}/v1/responses`, jsonPost({ model: "gpt-4o-mini", input: [{ role: "user", content: "hi" }, trigger], background: true }));
    expect(background.status).toBe(400);
    expect((await json(background)).error).toMatchObject({ param: "background" });

    await client.responses.compact({ model: "gpt-4o-mini", input: [{ role: "user", content: "hi" }, trigger] });
    expect((chatBodies().at(-1) as { messages: unknown[] }).messages).toEqual([
      { role: "user", content: "hi" },
      { role: "user", content: COMPACTION_PROMPT },
    ]);
  });
});

describe("compaction and stored items", () => {
  const trigger = { type: "compaction_trigger" } as unknown as OpenAI.Responses.ResponseInputItem;
  const lastSent = () => (chatBodies().at(-1) as { messages: { role: string; content: unknown }[] }).messages;

  test("a conversation that refers to a stored item by id still ends with the compaction prompt, on create and on the compact endpoint", async () => {
    const first = await client.responses.create({ model: "gpt-4o-mini", input: "Plan a trip to Lyon." });
    const reference = { type: "item_reference", id: first.output[0]!.id } as OpenAI.Responses.ResponseInputItem;
    const input = [{ role: "user" as const, content: "Plan a trip to Lyon." }, reference, { role: "user" as const, content: "Now day 2." }, trigger];
    const response = await client.responses.create({ model: "gpt-4o-mini", input, store: false });
    expect(lastSent().map((m) => m.content)).toEqual(["Plan a trip to Lyon.", first.output_text, "Now day 2.", COMPACTION_PROMPT]);
    expect(openSummary((response.output[0] as { encrypted_content: string }).encrypted_content)).toBe(SUMMARY);

    const compacted = await client.responses.compact({ model: "gpt-4o-mini", input });
    expect(lastSent().map((m) => m.content)).toEqual(["Plan a trip to Lyon.", first.output_text, "Now day 2.", COMPACTION_PROMPT]);
    expect(compacted.output.map((item) => item.type)).toEqual(["message", "message", "compaction"]);
  });

  test("a trigger with nothing before it is a 400, as the compact endpoint's empty input is", async () => {
    const asked = chatBodies().length;
    const alone = await fetch(`${gw.url}/v1/responses`, jsonPost({ model: "gpt-4o-mini", instructions: "Be brief.", input: [trigger] }));
    expect(alone.status).toBe(400);
    // Said as what it is: the input is there, with nothing to compact (a probe: "Missing required parameter: 'input'").
    expect((await json(alone)).error).toMatchObject({ param: "input", message: expect.stringContaining("a compaction_trigger needs a conversation to compact before it") });
    expect(chatBodies()).toHaveLength(asked);
  });

  test("a stored compaction item is found by its id, and sent again after previous_response_id it is read once", async () => {
    const compaction = await client.responses.create({ model: "gpt-4o-mini", input: [...conversation, trigger] });
    const item = compaction.output[0] as OpenAI.Responses.ResponseCompactionItem;
    expect(item.id).toBe(`cmp_${compaction.id.slice(5)}0000`);

    // Named alone, it stands for the whole compacted conversation: the user messages it kept, then its summary.
    await client.responses.create({ model: "gpt-4o-mini", input: [{ type: "item_reference", id: item.id } as OpenAI.Responses.ResponseInputItem, { role: "user", content: "Go on." }], store: false });
    expect(lastSent().map((m) => m.content)).toEqual(["Plan a trip to Lyon.", "And the weather?", `Summary of the conversation so far (its earlier turns were compacted into it):\n\n${SUMMARY}`, "Go on."]);

    // openai-node's loop: the previous output sent again with the next turn.
    await client.responses.create({
      model: "gpt-4o-mini",
      previous_response_id: compaction.id,
      input: [...(compaction.output as OpenAI.Responses.ResponseInputItem[]), { role: "user", content: "Go on." }],
      store: false,
    });
    expect(lastSent().filter((m) => String(m.content).startsWith("Summary of the conversation so far"))).toHaveLength(1);
  });

  test("streamed and stored, a compaction is continued at once", async () => {
    const stream = await client.responses.create({ model: "gpt-4o-mini", input: [...conversation, trigger], stream: true });
    let id = "";
    for await (const event of stream) if (event.type === "response.completed") id = event.response.id;
    const stored = await client.responses.retrieve(id);
    expect(stored.output.map((item) => item.type)).toEqual(["compaction"]);
    await client.responses.create({ model: "gpt-4o-mini", previous_response_id: id, input: "Day 2?" });
    expect(lastSent().map((m) => m.content)).toEqual(["Plan a trip to Lyon.", "And the weather?", `Summary of the conversation so far (its earlier turns were compacted into it):\n\n${SUMMARY}`, "Day 2?"]);
  });

  test("a conversation over a model's known context has its tool outputs shortened to fit; every turn stays", async () => {
    const long = Array.from({ length: 4000 }, () => "line").join(" ");
    const input: OpenAI.Responses.ResponseInputItem[] = [
      { role: "user", content: "Read the log." },
      { type: "function_call", call_id: "call_l", name: "shell", arguments: '{"cmd":"cat log"}' },
      { type: "function_call_output", call_id: "call_l", output: `BEGIN ${long} FINISH` },
    ];
    const compacted = await client.responses.compact({ model: "small-window", input, ...({ tools: [shellTool] } as object) });
    expectOpenAI("CompactResource", compacted);
    const sent = smallReceived.at(-1)!.messages;
    expect(sent.map((m) => m.role)).toEqual(["user", "assistant", "tool", "user"]);
    expect(sent[2]!.content as string).toMatch(/^BEGIN line .*…\d+ tokens truncated….* line FINISH$/s);
    expect(sent[3]!.content).toBe(COMPACTION_PROMPT);

    const tooBig = await fetch(`${gw.url}/v1/responses/compact`, jsonPost({ model: "small-window", input: [{ role: "user", content: `${long} ${long}` }] }));
    expect(tooBig.status).toBe(400);
    expect((await json(tooBig)).error).toMatchObject({ code: "context_length_exceeded", param: "input" });
  });
});
