// OpenAI's Conversations API on a real port: `client.conversations.*` with the official openai SDK,
// Responses made in a conversation (`conversation`), the OpenAI Agents SDK's OpenAIConversationsSession
// and its server-managed `conversationId`; every answer validated against OpenAI's own document.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Agent, OpenAIConversationsSession, OpenAIProvider, Runner, setTracingDisabled } from "@openai/agents";
import OpenAI from "openai";
import dummy from "../plugins/dummy/index.ts";
import { type ChatRequest, definePlugin } from "../src/kit.ts";
import { json, jsonPost, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { expectOpenAI } from "./helpers/openai-schema.ts";
import { checkedEvents } from "../src/testing/responses-events.ts";
import { toolPlugin } from "./helpers/tool-plugin.ts";
import { slowPlugin } from "./helpers/slow-plugin.ts";
import { startRedis } from "./helpers/redis.ts";

const received: ChatRequest[] = [];
const slowSignals: AbortSignal[] = [];
let gw: TestGateway;
let client: OpenAI;
/** `gate-model` answers "Done." once `openGate` is called, and says when it was called (`entered`). */
let openGate = () => {};
let entered = Promise.withResolvers<void>();
const gatePlugin = definePlugin({
  name: "gate",
  models: [{ id: "gate-model" }],
  async chat() {
    const gate = Promise.withResolvers<void>();
    openGate = gate.resolve;
    entered.resolve();
    await gate.promise;
    return { choices: [{ index: 0, message: { role: "assistant" as const, content: "Done." }, finish_reason: "stop" as const }] };
  },
  async *chatStream() {
    const gate = Promise.withResolvers<void>();
    openGate = gate.resolve;
    entered.resolve();
    await gate.promise;
    yield { choices: [{ index: 0, delta: { content: "Done." }, finish_reason: "stop" as const }] };
  },
});

/** `quiet-model` answers with no text at all. */
const quietPlugin = definePlugin({
  name: "quiet",
  models: [{ id: "quiet-model" }],
  async chat() {
    return { choices: [{ index: 0, message: { role: "assistant" as const, content: "" }, finish_reason: "stop" as const }] };
  },
  async *chatStream() {
    yield { choices: [{ index: 0, delta: { content: "" }, finish_reason: "stop" as const }] };
  },
});

beforeAll(async () => {
  gw = await startTestGateway({}, [dummy, toolPlugin(received), slowPlugin(slowSignals), gatePlugin, quietPlugin]);
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
});

const sentContents = () => received.at(-1)!.messages.map((m) => m.content);
const allItems = async (id: string) => {
  const items: OpenAI.Conversations.ConversationItem[] = [];
  for await (const item of client.conversations.items.list(id, { order: "asc" })) items.push(item);
  return items;
};

describe("client.conversations", () => {
  test("create with items and metadata, retrieve, update, list, add, retrieve an item, delete an item, delete", async () => {
    const conversation = await client.conversations.create({ metadata: { topic: "trip" }, items: [{ role: "user", content: "I am planning a trip to Lyon." }] });
    expectOpenAI("ConversationResource", conversation);
    expect(conversation.id).toMatch(/^conv_/);
    expect(conversation.metadata).toEqual({ topic: "trip" });
    expect(await client.conversations.retrieve(conversation.id)).toEqual(conversation);

    const updated = await client.conversations.update(conversation.id, { metadata: { topic: "trip", city: "Lyon" } });
    expectOpenAI("ConversationResource", updated);
    expect(updated.metadata).toEqual({ topic: "trip", city: "Lyon" });

    const added = await client.conversations.items.create(conversation.id, {
      items: [
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "Day 1: the old town." }] } as OpenAI.Responses.ResponseInputItem,
        { role: "user", content: [{ type: "input_text", text: "And day 2?" }] },
      ],
    });
    expectOpenAI("ConversationItemList", added);
    expect(added.data.map((item) => item.type)).toEqual(["message", "message"]);

    const page = await json(fetch(`${gw.url}/v1/conversations/${conversation.id}/items?limit=2`));
    expectOpenAI("ConversationItemList", page);
    expect(page.data.map((item: { content: { text: string }[] }) => item.content[0]!.text)).toEqual(["And day 2?", "Day 1: the old town."]);
    expect(page.has_more).toBe(true);
    const listed = await allItems(conversation.id);
    expect(listed.map((item) => (item as { content: { text: string }[] }).content[0]!.text)).toEqual(["I am planning a trip to Lyon.", "Day 1: the old town.", "And day 2?"]);

    const one = await client.conversations.items.retrieve(added.data[0]!.id!, { conversation_id: conversation.id });
    expectOpenAI("ConversationItem", one);
    expect(one).toEqual(added.data[0]!);

    const afterDelete = await client.conversations.items.delete(added.data[0]!.id!, { conversation_id: conversation.id });
    expectOpenAI("ConversationResource", afterDelete);
    expect((await allItems(conversation.id)).map((item) => item.id)).toEqual([listed[0]!.id, listed[2]!.id]);
    expect(listed[1]!.id).toBe(added.data[0]!.id!);

    const deleted = await client.conversations.delete(conversation.id);
    expectOpenAI("DeletedConversationResource", deleted);
    expect(deleted).toEqual({ id: conversation.id, object: "conversation.deleted", deleted: true });
    expect(await client.conversations.retrieve(conversation.id).catch((e) => e)).toMatchObject({ status: 404, param: "conversation_id" });
  });

  test("a create with no body at all is an empty conversation, as OpenAI's document has the body optional; a body that is not JSON is still a 400", async () => {
    for (const init of [{ method: "POST" }, { method: "POST", headers: { "content-type": "application/json", "content-length": "0" } }] as RequestInit[]) {
      const answer = await fetch(`${gw.url}/v1/conversations`, init);
      expect(answer.status).toBe(200);
      const conversation = await json(answer);
      expectOpenAI("ConversationResource", conversation);
      expect((await client.conversations.items.list(conversation.id)).data).toEqual([]);
    }
    const garbage = await fetch(`${gw.url}/v1/conversations`, { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
    expect(garbage.status).toBe(400);
  });

  test("refusals: OpenAI's envelope, the right status and param", async () => {
    const conversation = await client.conversations.create({});
    const cases: [string, string, unknown, number, Record<string, unknown>][] = [
      ["POST", "/v1/conversations", { items: Array.from({ length: 21 }, () => ({ role: "user", content: "x" })) }, 400, { param: "items" }],
      ["POST", "/v1/conversations", { items: [{ role: "user", content: [{ type: "input_image" }] }] }, 400, { param: "items[0].content[0].image_url" }],
      ["POST", "/v1/conversations", { items: [{ type: "item_reference", id: "msg_1" }] }, 400, { param: "items[0].type" }],
      ["POST", "/v1/conversations", { metadata: { ["k".repeat(65)]: "v" } }, 400, { param: "metadata" }],
      ["POST", `/v1/conversations/${conversation.id}/items`, { items: [{ type: "compaction_trigger" }] }, 400, { param: "items[0].type" }],
      ["POST", `/v1/conversations/${conversation.id}/items`, {}, 400, { param: "items" }],
      ["POST", `/v1/conversations/${conversation.id}`, {}, 400, { param: "metadata" }],
      ["GET", "/v1/conversations/conv_nope", undefined, 404, { param: "conversation_id" }],
      ["GET", `/v1/conversations/${conversation.id}/items/msg_nope`, undefined, 404, { param: "item_id" }],
      ["DELETE", `/v1/conversations/${conversation.id}/items/msg_nope`, undefined, 404, { param: "item_id" }],
      ["GET", `/v1/conversations/${conversation.id}/items?limit=0`, undefined, 400, { param: "limit" }],
      // `include` takes OpenAI's IncludeEnum values, on every read that takes it.
      ["GET", `/v1/conversations/${conversation.id}/items?include[]=bogus`, undefined, 400, { param: "include" }],
      ["GET", `/v1/conversations/${conversation.id}/items/msg_nope?include=bogus`, undefined, 400, { param: "include" }],
      ["POST", `/v1/conversations/${conversation.id}/items?include[]=bogus`, { items: [{ role: "user", content: "x" }] }, 400, { param: "include" }],
    ];
    for (const [method, path, body, status, error] of cases) {
      const answer = await fetch(`${gw.url}${path}`, body === undefined ? { method } : { ...jsonPost(body), method });
      expect([method, path, answer.status]).toEqual([method, path, status]);
      const envelope = await json(answer);
      expectOpenAI("ErrorResponse", envelope);
      expect(envelope.error).toMatchObject(error);
    }
  });
});

describe("responses in a conversation", () => {
  test("the model reads the conversation's items before the input; the input and output are added to it; the response names it", async () => {
    const conversation = await client.conversations.create({ items: [{ role: "user", content: "My name is Ann." }] });
    const first = await client.responses.create({ model: "tool-model", conversation: conversation.id, input: "What is my name?" });
    expectOpenAI("Response", first);
    expect(first.conversation).toEqual({ id: conversation.id });
    expect(sentContents()).toEqual(["My name is Ann.", "What is my name?"]);

    // Streamed, and the conversation given as {id}.
    const stream = await client.responses.create({ model: "tool-model", conversation: { id: conversation.id }, input: "And again?", stream: true, store: false });
    for await (const event of stream) expectOpenAI("ResponseStreamEvent", event);
    expect(sentContents()).toEqual(["My name is Ann.", "What is my name?", first.output_text, "And again?"]);

    const items = await allItems(conversation.id);
    expect(items.map((item) => [item.type, (item as { role?: string }).role])).toEqual([
      ["message", "user"],
      ["message", "user"],
      ["message", "assistant"],
      ["message", "user"],
      ["message", "assistant"],
    ]);
    // The response's items keep their ids: the output item is the response's own.
    expect(items[2]!.id).toBe(first.output[0]!.id);
  });

  test("a tool round trip in a conversation: the call and its output are kept, and read back in order", async () => {
    const conversation = await client.conversations.create({});
    const tools = [{ type: "function" as const, name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: false }];
    const call = await client.responses.create({ model: "tool-model", conversation: conversation.id, input: "Weather in Paris?", tools });
    const fc = call.output.find((item) => item.type === "function_call") as OpenAI.Responses.ResponseFunctionToolCall;
    const answer = await client.responses.create({ model: "tool-model", conversation: conversation.id, input: [{ type: "function_call_output", call_id: fc.call_id, output: "12 C" }], tools });
    expect(answer.output_text).toBe("The tool said: 12 C");
    expect((await allItems(conversation.id)).map((item) => item.type)).toEqual(["message", "reasoning", "function_call", "function_call_output", "message"]);
  });

  test("a failed response adds nothing; an unknown conversation is a 404 naming it; with previous_response_id a 400", async () => {
    const conversation = await client.conversations.create({ items: [{ role: "user", content: "Hello" }] });
    const failed = await client.responses.create({ model: "no-such-model", conversation: conversation.id, input: "x" }).catch((e) => e);
    expect(failed).toMatchObject({ status: 404 });
    expect(await allItems(conversation.id)).toHaveLength(1);

    const unknown = await client.responses.create({ model: "tool-model", conversation: "conv_nope", input: "x" }).catch((e) => e);
    expect(unknown).toMatchObject({ status: 404, param: "conversation" });
    const first = await client.responses.create({ model: "tool-model", input: "x" });
    const both = await client.responses.create({ model: "tool-model", conversation: conversation.id, previous_response_id: first.id, input: "x" }).catch((e) => e);
    expect(both).toMatchObject({ status: 400, param: "conversation" });
  });

  test("input_tokens counts the conversation's items too; background responses are added once they end", async () => {
    const conversation = await client.conversations.create({ items: [{ role: "user", content: "A long preamble about Lyon and its old town." }] });
    const alone = await client.responses.inputTokens.count({ model: "tool-model", input: "Hi" });
    const within = await client.responses.inputTokens.count({ model: "tool-model", input: "Hi", conversation: conversation.id });
    expect(within.input_tokens).toBeGreaterThan(alone.input_tokens + 5);

    const queued = await client.responses.create({ model: "tool-model", conversation: conversation.id, input: "Later.", background: true });
    expect(queued.conversation).toEqual({ id: conversation.id });
    for (let i = 0; i < 100 && (await client.responses.retrieve(queued.id)).status !== "completed"; i++) await Bun.sleep(20);
    for (let i = 0; i < 100 && (await allItems(conversation.id)).length < 3; i++) await Bun.sleep(20);
    expect((await allItems(conversation.id)).map((item) => (item as { role?: string }).role)).toEqual(["user", "user", "assistant"]);
  });
});

describe("one response at a time, and each item once", () => {
  test("a second response while the first runs is a 400 conversation_locked; once it ends (or its client leaves) the next may start", async () => {
    const conversation = await client.conversations.create({ items: [{ role: "user", content: "Start." }] });
    const controller = new AbortController();
    const first = await fetch(`${gw.url}/v1/responses`, { ...jsonPost({ model: "slow-model", conversation: conversation.id, input: "Go on.", stream: true }), signal: controller.signal });
    expect(first.status).toBe(200);
    const second = await client.responses.create({ model: "tool-model", conversation: conversation.id, input: "Meanwhile?" }).catch((e) => e);
    expect(second).toMatchObject({ status: 400, param: "conversation", code: "conversation_locked" });
    // The first's client leaves: the provider is aborted and the lock goes with the call.
    controller.abort();
    await first.body?.cancel().catch(() => undefined);
    for (let i = 0; i < 100 && !slowSignals.at(-1)!.aborted; i++) await Bun.sleep(10);
    let third: OpenAI.Responses.Response | undefined;
    for (let i = 0; i < 50 && !third; i++) {
      third = await client.responses.create({ model: "tool-model", conversation: conversation.id, input: "Now?" }).catch(() => undefined);
      if (!third) await Bun.sleep(20);
    }
    expect(third?.status).toBe("completed");
    // A failed call lets it go too.
    await client.responses.create({ model: "no-such-model", conversation: conversation.id, input: "x" }).catch((e) => e);
    expect((await client.responses.create({ model: "tool-model", conversation: conversation.id, input: "Again." })).status).toBe("completed");
  });

  test("a turn that cannot be added once answered (its conversation deleted meanwhile) fails, never answered as if kept: a 404 naming it, or response.failed ending the stream", async () => {
    const answer = async (stream: boolean) => {
      const conversation = await client.conversations.create({ items: [{ role: "user", content: "Start." }] });
      entered = Promise.withResolvers<void>();
      const pending = gw.handle("/v1/responses", jsonPost({ model: "gate-model", conversation: conversation.id, input: "Go on.", stream }));
      await entered.promise;
      await client.conversations.delete(conversation.id);
      openGate();
      return { conversation, response: await pending };
    };
    const plain = await answer(false);
    expect(plain.response.status).toBe(404);
    const error = (await plain.response.json()) as { error: unknown };
    expectOpenAI("ErrorResponse", error);
    expect(error.error).toMatchObject({ param: "conversation", message: `Conversation with id '${plain.conversation.id}' not found.` });

    const streamed = await answer(true);
    const events = checkedEvents(await streamed.response.text());
    expect(events.map((event) => event.type)).toContain("response.output_item.done");
    const last = events.at(-1);
    expect(last.type).toBe("response.failed");
    expect(last.response.error.message).toBe(`Conversation with id '${streamed.conversation.id}' not found.`);
    // Stored as it ended, and counted as the failure it was (the status its error has).
    expect((await client.responses.retrieve(last.response.id)).status).toBe("failed");
    const metrics = await (await gw.handle("/metrics")).text();
    expect(metrics).toContain('ollaix_requests_total{surface="responses",model="gate-model",provider="gate",key="",status="404"} 2');
    expect(metrics).not.toContain('model="gate-model",provider="gate",key="",status="200"');
  });

  test("a conversation too full for a turn is a 400 conversation_full before the model is called", async () => {
    const conversation = await client.conversations.create({});
    for (let i = 0; i < 500; i++) {
      const added = await gw.handle(`/v1/conversations/${conversation.id}/items`, jsonPost({ items: Array.from({ length: 20 }, (_, j) => ({ role: "user", content: `item ${i * 20 + j}` })) }));
      expect(added.status).toBe(200);
    }
    const calls = received.length;
    const refused = await client.responses.create({ model: "tool-model", conversation: conversation.id, input: "One more?" }).catch((e) => e);
    expect(refused).toMatchObject({ status: 400, param: "conversation", code: "conversation_full" });
    expect(received.length).toBe(calls);
    // Counting adds nothing: the full conversation is still counted (before compacting it, say).
    const counted = await gw.handle("/v1/responses/input_tokens", jsonPost({ model: "tool-model", conversation: conversation.id, input: "One more?" }));
    expect(counted.status).toBe(200);
  });

  test("a streamed compaction whose model writes no summary fails, is counted so, and lets the conversation go", async () => {
    const conversation = await client.conversations.create({ items: [{ role: "user", content: "Start." }] });
    const compaction = await gw.handle("/v1/responses", jsonPost({ model: "quiet-model", conversation: conversation.id, input: [{ role: "user", content: "x" }, { type: "compaction_trigger" }], stream: true }));
    expect(checkedEvents(await compaction.text()).at(-1).type).toBe("response.failed");
    expect(await (await gw.handle("/metrics")).text()).toContain('ollaix_requests_total{surface="responses",model="quiet-model",provider="quiet",key="",status="502"} 1');
    expect((await client.responses.create({ model: "tool-model", conversation: conversation.id, input: "Next." })).status).toBe("completed");
  });

  test("an item the conversation already holds, sent again, is a 400 (the model would read it twice); so is one added twice", async () => {
    const conversation = await client.conversations.create({});
    const first = await client.responses.create({ model: "tool-model", conversation: conversation.id, input: "Hi" });
    const again = await client.responses.create({ model: "tool-model", conversation: conversation.id, input: [...(first.output as OpenAI.Responses.ResponseInputItem[]), { role: "user", content: "And?" }] }).catch((e) => e);
    expect(again).toMatchObject({ status: 400, param: "input" });
    expect(String(again.message)).toContain(`Duplicate item found with id '${first.output[0]!.id}'`);
    const item = { type: "message", id: "msg_mine", role: "user", content: [{ type: "input_text", text: "x" }] } as OpenAI.Responses.ResponseInputItem;
    await client.conversations.items.create(conversation.id, { items: [item] });
    expect(await client.conversations.items.create(conversation.id, { items: [item] }).catch((e) => e)).toMatchObject({ status: 400, param: "items" });
    expect(await client.conversations.create({ items: [item, item] }).catch((e) => e)).toMatchObject({ status: 400, param: "items" });
  });

  test("a response in a conversation stores its own input only (the conversation holds the rest); a compaction in it is where the model starts reading", async () => {
    const conversation = await client.conversations.create({ items: [{ role: "user", content: "One." }, { role: "user", content: "Two." }] });
    const response = await client.responses.create({ model: "tool-model", conversation: conversation.id, input: "Three." });
    const texts = async (id: string, order: "asc" | "desc" = "desc") =>
      (await client.responses.inputItems.list(id, { order })).data.map((item) => (item as { content: { text: string }[] }).content[0]!.text);
    // OpenAI: "Items from this conversation are prepended to input_items for this response": up to its turn, not the later ones.
    expect(await texts(response.id)).toEqual(["Three.", "Two.", "One."]);

    const compacted = await client.responses.create({ model: "dummy-model:1.0", conversation: conversation.id, input: [{ type: "compaction_trigger" } as unknown as OpenAI.Responses.ResponseInputItem] });
    expect(compacted.output.map((item) => item.type)).toEqual(["compaction"]);
    await client.responses.create({ model: "tool-model", conversation: conversation.id, input: "Four." });
    const read = sentContents();
    expect(read[read.length - 1]).toBe("Four.");
    expect(String(read[read.length - 2])).toStartWith("Summary of the conversation so far");
    // The user messages before the compaction, then it: the assistant's turn before it is not read again.
    expect(read.slice(0, 3)).toEqual(["One.", "Two.", "Three."]);
    expect(read).toHaveLength(5);
    // The first response still lists the conversation as its model read it, the later turns not included.
    expect(await texts(response.id, "asc")).toEqual(["One.", "Two.", "Three."]);
  });

  test("a response in a conversation continued with previous_response_id: the conversation's items up to it come first, as input_items lists them", async () => {
    const conversation = await client.conversations.create({ items: [{ role: "user", content: "My name is Ann." }] });
    const first = await client.responses.create({ model: "tool-model", conversation: conversation.id, input: "What is my name?" });
    await client.responses.create({ model: "tool-model", conversation: conversation.id, input: "A later turn of the conversation." });
    const second = await client.responses.create({ model: "tool-model", previous_response_id: first.id, input: "And again?" });
    expect(sentContents()).toEqual(["My name is Ann.", "What is my name?", first.output_text, "And again?"]);
    const listed: string[] = [];
    for await (const item of client.responses.inputItems.list(second.id, { order: "asc" })) listed.push(item.id);
    expect(listed).toHaveLength(4);
    expect(listed[2]).toBe(first.output[0]!.id);
  });
});

describe("OpenAI Agents SDK", () => {
  const runner = () => {
    setTracingDisabled(true);
    return new Runner({ modelProvider: new OpenAIProvider({ openAIClient: client }) });
  };

  test("OpenAIConversationsSession keeps the history in a conversation: the second run reads the first", async () => {
    const session = new OpenAIConversationsSession({ client });
    const agent = new Agent({ name: "Assistant", instructions: "Be brief.", model: "tool-model" });
    await runner().run(agent, "My name is Ann.", { session });
    const id = await session.getSessionId();
    expect(id).toMatch(/^conv_/);
    await runner().run(agent, "What is my name?", { session });
    expect(sentContents()).toEqual(["Be brief.", "My name is Ann.", "No tool needed.", "What is my name?"]);
    expect((await session.getItems()).length).toBe(4);
    await session.clearSession();
    expect(await client.conversations.retrieve(id).catch((e) => e)).toMatchObject({ status: 404 });
  });

  test("a run with conversationId: the server keeps the history", async () => {
    const conversation = await client.conversations.create({});
    const agent = new Agent({ name: "Assistant", instructions: "Be brief.", model: "tool-model" });
    await runner().run(agent, "My name is Ann.", { conversationId: conversation.id });
    await runner().run(agent, "What is my name?", { conversationId: conversation.id });
    expect(sentContents()).toEqual(["Be brief.", "My name is Ann.", "No tool needed.", "What is my name?"]);
    expect((await allItems(conversation.id)).length).toBe(4);
  });
});

describe("with keys, a conversation is its creator's", () => {
  test("another key gets a 404 for it, its items and a response in it", async () => {
    const keyed = await startTestGateway({ OLLAIX_API_KEYS: "conv-key-aaaa1,conv-key-bbbb2" }, [dummy]);
    try {
      const a = new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey: "conv-key-aaaa1", maxRetries: 0 });
      const b = new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey: "conv-key-bbbb2", maxRetries: 0 });
      const conversation = await a.conversations.create({ items: [{ role: "user", content: "secret" }] });
      expect((await a.conversations.retrieve(conversation.id)).id).toBe(conversation.id);
      for (const attempt of [
        () => b.conversations.retrieve(conversation.id),
        () => b.conversations.items.list(conversation.id),
        () => b.conversations.delete(conversation.id),
        () => b.conversations.items.create(conversation.id, { items: [{ role: "user", content: "x" }] }),
        () => b.responses.create({ model: "dummy-model:1.0", conversation: conversation.id, input: "x" }),
      ]) {
        expect(await (attempt as () => Promise<unknown>)().catch((e) => e)).toMatchObject({ status: 404 });
      }
      expect(await allItemsOf(a, conversation.id)).toHaveLength(1);
    } finally {
      await keyed.close();
    }
  });
});

async function allItemsOf(c: OpenAI, id: string) {
  const items: unknown[] = [];
  for await (const item of c.conversations.items.list(id)) items.push(item);
  return items;
}

describe("with REDIS_URL, every replica sees every conversation (a real redis-server)", () => {
  test("created on one replica, answered in on another, listed and deleted on the first", async () => {
    const redis = await startRedis();
    const one = await startTestGateway({ REDIS_URL: redis.url }, [dummy]);
    const two = await startTestGateway({ REDIS_URL: redis.url }, [dummy]);
    try {
      const a = new OpenAI({ baseURL: `${one.url}/v1`, apiKey: "unused", maxRetries: 0 });
      const b = new OpenAI({ baseURL: `${two.url}/v1`, apiKey: "unused", maxRetries: 0 });
      const conversation = await a.conversations.create({ items: [{ role: "user", content: "Hello from one." }], metadata: { where: "one" } });
      expect((await b.conversations.retrieve(conversation.id)).metadata).toEqual({ where: "one" });
      const response = await b.responses.create({ model: "dummy-model:1.0", conversation: conversation.id, input: "Hello from two." });
      expect(response.conversation).toEqual({ id: conversation.id });
      const items = await allItemsOf(a, conversation.id);
      expect(items).toHaveLength(3);
      // A response whose items are many (here 9,000 input items) is added whole.
      const many = Array.from({ length: 9_000 }, (_, i) => ({ role: "user" as const, content: `line ${i}` }));
      await b.responses.create({ model: "dummy-model:1.0", conversation: conversation.id, input: many });
      const newest = await json(fetch(`${one.url}/v1/conversations/${conversation.id}/items?limit=2`));
      expect(newest.data.map((item: { role: string; content: { text: string }[] }) => [item.role, item.role === "user" ? item.content[0]!.text : ""])).toEqual([
        ["assistant", ""],
        ["user", "line 8999"],
      ]);
      // A lock taken on one replica holds on the other.
      const slow = await startTestGateway({ REDIS_URL: redis.url }, [slowPlugin([])]);
      try {
        const controller = new AbortController();
        await fetch(`${slow.url}/v1/responses`, { ...jsonPost({ model: "slow-model", conversation: conversation.id, input: "Go.", stream: true }), signal: controller.signal });
        expect(await a.responses.create({ model: "dummy-model:1.0", conversation: conversation.id, input: "x" }).catch((e) => e)).toMatchObject({ status: 400, code: "conversation_locked" });
        controller.abort();
      } finally {
        await slow.close();
      }
      const first = items.at(-1) as { id: string };
      await a.conversations.items.delete(first.id, { conversation_id: conversation.id });
      const oldest = await json(fetch(`${two.url}/v1/conversations/${conversation.id}/items?order=asc&limit=1`));
      expect(oldest.data[0].content[0].text).toBe("Hello from two.");
      await b.conversations.delete(conversation.id);
      expect(await a.conversations.retrieve(conversation.id).catch((e) => e)).toMatchObject({ status: 404 });
    } finally {
      await one.close();
      await two.close();
      await redis.stop();
    }
  }, 30_000);

  test("Redis frozen once the model answered: the streamed turn ends response.failed (503) within 5 s, counted so, never held open", async () => {
    const redis = await startRedis();
    entered = Promise.withResolvers<void>();
    const gateway = await startTestGateway({ REDIS_URL: redis.url }, [gatePlugin]);
    try {
      const conversation = await json(fetch(`${gateway.url}/v1/conversations`, jsonPost({ items: [{ role: "user", content: "Start." }] })));
      const pending = fetch(`${gateway.url}/v1/responses`, jsonPost({ model: "gate-model", conversation: conversation.id, input: "Go.", stream: true }));
      await entered.promise;
      redis.pause();
      openGate();
      const events = checkedEvents(await (await pending).text());
      const last = events.at(-1);
      expect(last.type).toBe("response.failed");
      expect(last.response.error.message).toContain("did not answer");
      expect(last.response.error.message).not.toContain(redis.url);
      expect(await (await fetch(`${gateway.url}/metrics`)).text()).toContain('model="gate-model",provider="gate",key="",status="503"} 1');
    } finally {
      redis.resume();
      await gateway.close();
      await redis.stop();
    }
  }, 20_000);

  test("Redis away: the conversation routes answer 503 state_unavailable, not a 500", async () => {
    const redis = await startRedis();
    const gateway = await startTestGateway({ REDIS_URL: redis.url }, [dummy]);
    try {
      await redis.stop();
      const answer = await fetch(`${gateway.url}/v1/conversations`, jsonPost({}));
      expect(answer.status).toBe(503);
      const envelope = await json(answer);
      expectOpenAI("ErrorResponse", envelope);
      expect(envelope.error.code).toBe("state_unavailable");
      expect(envelope.error.message).not.toContain(redis.url);
    } finally {
      await gateway.close();
    }
  });
});
