// /v1/responses over HTTP: bad input gets OpenAI's envelope with the right param, stored responses
// (GET, DELETE, input_items paging), two gateways sharing one real Redis, the docs.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { json, jsonPost, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { checkedEvents } from "../src/testing/responses-events.ts";
import { expectOpenAI } from "./helpers/openai-schema.ts";
import { startRedis, type TestRedis } from "./helpers/redis.ts";

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.close();
});

const create = (body: unknown) => gw.handle("/v1/responses", jsonPost(body));
const model = "dummy-model:1.0";

describe("bad input: 400 in OpenAI's envelope, naming the field", () => {
  test.each([
    [{ input: "x" }, "model"],
    [{ model, input: 5 }, "input"],
    [{ model }, "input"],
    [{ model, input: [{ role: "robot", content: "x" }] }, "input[0].role"],
    [{ model, input: [{ role: "user", content: "x" }, { type: "function_call", name: "f", arguments: "{}" }] }, "input[1].call_id"],
    [{ model, input: "x", tools: [{ type: "web_search" }] }, "tools[0].type"],
    [{ model, input: "x", tools: [{ type: "function", name: "f" }, { type: "file_search", vector_store_ids: ["vs"] }] }, "tools[1].type"],
    [{ model, input: "x", tools: [{ type: "function", name: "f" }], tool_choice: { type: "allowed_tools", mode: "required", tools: [{ type: "function", name: "zz" }] } }, "tool_choice.tools[0].name"],
    [{ model, input: "x", tools: [{ type: "function", name: "f" }], tool_choice: { type: "allowed_tools", tools: [{ type: "function", name: "f" }] } }, "tool_choice.mode"],
    [{ model, input: "x", tools: [{ type: "function", name: "f" }], tool_choice: { type: "allowed_tools", mode: "auto" } }, "tool_choice.tools"],
    [{ model, input: "x", max_output_tokens: 15 }, "max_output_tokens"],
    [{ model, input: "x", max_output_tokens: 99999999999999999999999 }, "max_output_tokens"],
    [{ model, input: "x", max_tool_calls: 2 ** 53 }, "max_tool_calls"],
    [{ model, input: "x", temperature: 3 }, "temperature"],
    [{ model, input: "x", top_p: -1 }, "top_p"],
    [{ model, input: "x", top_logprobs: -1 }, "top_logprobs"],
    [{ model, input: "x", include: "message.output_text.logprobs" }, "include"],
    [{ model, input: "x", include: ["reasoning.encrypted_content", "file_search_call.result"] }, "include[1]"],
    [{ model, input: "x", safety_identifier: "u".repeat(65) }, "safety_identifier"],
    [{ model, input: "x", service_tier: "bogus" }, "service_tier"],
    [{ model, input: "x", max_tool_calls: 1.5 }, "max_tool_calls"],
    [{ model, input: "x", text: { format: { type: "xml" } } }, "text.format.type"],
    [{ model, input: "x", text: { format: { type: "json_schema", schema: {} } } }, "text.format.name"],
    [{ model, input: "x", text: { format: { type: "json_schema", name: "my schema", schema: {} } } }, "text.format.name"],
    [{ model, input: "x", tools: [{ type: "function", name: "ok" }, { type: "function", name: "files.read" }] }, "tools[1].name"],
    [{ model, input: "x", tools: [{ type: "custom", name: "x".repeat(65) }] }, "tools[0].name"],
    [{ model, input: "x", tools: [{ type: "namespace", name: "ns", tools: [{ type: "function", name: "f" }] }, { type: "function", name: "a b" }] }, "tools[1].name"],
    [{ model, input: "x", metadata: { k: 1 } }, "metadata.k"],
    [{ model, input: "x", metadata: { ["k".repeat(65)]: "v" } }, "metadata"],
    [{ model, input: "x", metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) }, "metadata"],
    [{ model, input: "x", previous_response_id: "resp_unknown" }, "previous_response_id"],
    [{ model, input: "x", conversation: "conv_123", previous_response_id: "resp_123" }, "conversation"],
    [{ model, input: "x", conversation: { id: "" } }, "conversation.id"],
    [{ model, input: "x", prompt: { id: "pmpt_123", version: "2" } }, "prompt"],
    [{ model, input: "x", moderation: { model: "omni-moderation-latest", policy: { input: { mode: "block" } } } }, "moderation"],
    [{ model, input: "x", context_management: [{ type: "compaction", compact_threshold: 2000 }] }, "context_management"],
    [{ model, input: "x", tools: [{ type: "function", name: "f", defer_loading: true }] }, "tools[0].defer_loading"],
    [{ model, input: [{ type: "message", role: "user", status: "weird", content: "x" }] }, "input[0].status"],
    [{ model, input: "x", tools: [{ type: "function", name: "f" }], tool_choice: { type: "allowed_tools", mode: "auto", tools: [{ type: "function", name: "f" }, { type: "web_search" }] } }, "tool_choice.tools[1].type"],
    [{ model, input: "x", tools: [{ type: "function", name: "f" }], tool_choice: { type: "allowed_tools", mode: "required", tools: [] } }, "tool_choice.tools"],
    [{ model, input: "x", tools: [{ type: "custom", name: "c", allowed_callers: ["programmatic"] }] }, "tools[0].allowed_callers"],
    [{ model, input: "x", tools: [{ type: "namespace", name: "ns", tools: [{ type: "function", name: "f", allowed_callers: ["programmatic"] }] }] }, "tools[0].tools[0].allowed_callers"],
  ])("%j → %s", async (body, param) => {
    const response = await create(body);
    expect(response.status).toBe(400);
    const error = (await response.json()) as { error: unknown };
    expectOpenAI("ErrorResponse", error);
    expect(error.error).toMatchObject({ type: "invalid_request_error", param });
  });

  test("allowed_tools naming no tool in mode auto offers none (and asks no choice): an answer, not a 400 about tools", async () => {
    const answer = await create({ model, input: "x", tools: [{ type: "function", name: "f" }], tool_choice: { type: "allowed_tools", mode: "auto", tools: [] } });
    expect(answer.status).toBe(200);
    expect((await json(answer)).tool_choice).toEqual({ type: "allowed_tools", mode: "auto", tools: [] });
  });

  test("a tool the model may call directly keeps its output_schema, defer_loading: false and allowed_callers in the echo", async () => {
    const tools = [
      { type: "function", name: "f", output_schema: { type: "object" }, defer_loading: false, allowed_callers: ["direct", "programmatic"] },
      { type: "custom", name: "c", allowed_callers: ["direct"] },
    ];
    const answer = await create({ model, input: "x", tools });
    expect(answer.status).toBe(200);
    const response = await json(answer);
    expectOpenAI("Response", response);
    expect(response.tools).toEqual([
      { type: "function", name: "f", description: null, parameters: null, strict: null, output_schema: { type: "object" }, defer_loading: false, allowed_callers: ["direct", "programmatic"] },
      { type: "custom", name: "c", format: { type: "text" }, allowed_callers: ["direct"] },
    ]);
  });

  test("a name a model sees follows OpenAI's rule, in OpenAI's words and codes (MCP-style dotted names are refused there too)", async () => {
    expect((await json(create({ model, input: "x", tools: [{ type: "function", name: "server.tool" }] }))).error).toEqual({
      message: "Invalid 'tools[0].name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
      type: "invalid_request_error",
      param: "tools[0].name",
      code: "invalid_value",
    });
    expect((await json(create({ model, input: "x", text: { format: { type: "json_schema", name: "n".repeat(70), schema: {} } } }))).error).toEqual({
      message: "Invalid 'text.format.name': string too long. Expected a string with maximum length 64, but got a string with length 70 instead.",
      type: "invalid_request_error",
      param: "text.format.name",
      code: "string_above_max_length",
    });
    // The longest and the plainest good names pass.
    const ok = await create({ model, input: "x", tools: [{ type: "function", name: "a-Z_0".padEnd(64, "9") }], text: { format: { type: "json_schema", name: "-", schema: {} } } });
    expect(ok.status).toBe(200);
  });

  test("a limit the pipeline checks in chat terms is named in the client's terms, in param and message", async () => {
    const error = await json(create({ model, input: "x", max_output_tokens: 9_000_000 }));
    expectOpenAI("ErrorResponse", error);
    expect(error.error.param).toBe("max_output_tokens");
    expect(error.error.message).toStartWith("max_output_tokens is too large: 9000000.");
    expect(error.error.message).not.toContain("max_completion_tokens");
  });

  test("an unknown previous_response_id is previous_response_not_found", async () => {
    const error = await json(create({ model, input: "x", previous_response_id: "resp_unknown" }));
    expect(error.error).toEqual({
      message: "Previous response with id 'resp_unknown' not found.",
      type: "invalid_request_error",
      param: "previous_response_id",
      code: "previous_response_not_found",
    });
  });

  test("an unknown model is 404 model_not_found; malformed JSON is 400; unknown fields are ignored", async () => {
    expect((await json(create({ model: "nope", input: "x" }))).error.code).toBe("model_not_found");
    const bad = await gw.handle("/v1/responses", jsonPost("{not json"));
    expect(bad.status).toBe(400);
    expectOpenAI("ErrorResponse", await bad.json());
    const ok = await create({ model, input: "x", truncation: "auto", include: ["reasoning.encrypted_content"], service_tier: "auto", text: { format: { type: "text" }, verbosity: "low" } });
    expect(ok.status).toBe(200);
    // conversation and prompt are refused (above) only when set: null is leaving them out.
    expect((await create({ model, input: "x", conversation: null, prompt: null, moderation: null, context_management: null })).status).toBe(200);
  });

  test("unknown ids in the path are 404, on every route", async () => {
    for (const [path, method] of [["/v1/responses/resp_none", "GET"], ["/v1/responses/resp_none", "DELETE"], ["/v1/responses/resp_none/input_items", "GET"]] as const) {
      const response = await gw.handle(path, { method });
      expect(response.status).toBe(404);
      expectOpenAI("ErrorResponse", await response.json());
    }
  });
});

describe("settings the Response echoes", () => {
  test("prompt_cache_key, prompt_cache_retention, safety_identifier, max_tool_calls as sent; service_tier the tier used (default here), streamed and not", async () => {
    const settings = { prompt_cache_key: "user-42", prompt_cache_retention: "24h", safety_identifier: "hash-42", max_tool_calls: 3 };
    const response = await json(create({ model, input: "x", service_tier: "flex", ...settings }));
    expectOpenAI("Response", response);
    expect(response).toMatchObject({ ...settings, service_tier: "default" });
    expect(await json(gw.handle(`/v1/responses/${response.id}`))).toMatchObject({ ...settings, service_tier: "default" });

    const events = checkedEvents(await (await create({ model, input: "x", stream: true, service_tier: "auto", ...settings })).text());
    const created = events.find((event) => event.type === "response.created")!.response;
    const completed = events.find((event) => event.type === "response.completed")!.response;
    expect(created).toMatchObject({ ...settings, service_tier: "auto" });
    expect(completed).toMatchObject({ ...settings, service_tier: "default" });
    // Not set, not echoed.
    const plain = await json(create({ model, input: "x" }));
    for (const key of [...Object.keys(settings), "service_tier"]) expect(plain).not.toHaveProperty(key);
  });
});

describe("what clients send back", () => {
  test("Codex's reasoning items with content and encrypted_content null are read, not refused", async () => {
    const reasoning = { type: "reasoning", id: "rs_1", summary: [{ type: "summary_text", text: "Add them." }], content: null, encrypted_content: null };
    const input = [{ role: "user", content: "2+2?" }, reasoning, { type: "message", role: "assistant", content: [{ type: "output_text", text: "4" }] }, { role: "user", content: "3+3?" }];
    const response = await create({ model: "dummy-model:1.0", store: false, input });
    expect(response.status).toBe(200);
    expectOpenAI("Response", await response.json());
  });
});

describe("stored responses", () => {
  test("store: false is not kept; the default is", async () => {
    const kept = await json(create({ model, input: "x" }));
    const notKept = await json(create({ model, input: "x", store: false }));
    expect(kept.store).toBe(true);
    expect((await gw.handle(`/v1/responses/${kept.id}`)).status).toBe(200);
    expect((await gw.handle(`/v1/responses/${notKept.id}`)).status).toBe(404);
  });

  test("an image's detail may be original or null (OpenAI's DetailEnum, nullable); input_items lists it as sent, null as auto", async () => {
    const png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    const content = [{ type: "input_text", text: "What is it?" }, { type: "input_image", image_url: png, detail: "original" }, { type: "input_image", image_url: png, detail: null }];
    const response = await create({ model, input: [{ role: "user", content }] });
    expect(response.status).toBe(200);
    const { id } = (await response.json()) as { id: string };
    const items = await json(gw.handle(`/v1/responses/${id}/input_items`));
    expectOpenAI("ResponseItemList", items);
    expect(items.data[0].content.slice(1).map((part: { detail: string }) => part.detail)).toEqual(["original", "auto"]);
    expect((await json(create({ model, input: [{ role: "user", content: [{ type: "input_image", image_url: png, detail: "max" }] }] }))).error.param).toBe("input[0].content[0].detail");
  });

  test("a reasoning item with reasoning_text content is kept and listed as OpenAI's ReasoningItem", async () => {
    const reasoning = { type: "reasoning", summary: [], content: [{ type: "reasoning_text", text: "They greeted me." }] };
    const { id } = await json(create({ model, input: [{ role: "user", content: "Hi" }, reasoning, { role: "assistant", content: "Hello" }, { role: "user", content: "Again" }] }));
    const items = await json(gw.handle(`/v1/responses/${id}/input_items?order=asc`));
    expectOpenAI("ResponseItemList", items);
    expect(items.data[1]).toMatchObject({ type: "reasoning", summary: [], content: [{ type: "reasoning_text", text: "They greeted me." }] });
  });

  test("input_items: newest first by default, order=asc, limit/after paging, bad limit or order is 400", async () => {
    const input = ["a", "b", "c", "d", "e"].map((text) => ({ role: "user", content: text }));
    const response = await json(create({ model, input }));
    const page = async (query: string) => json(gw.handle(`/v1/responses/${response.id}/input_items${query}`));
    const texts = (list: { data: { content: { text: string }[] }[] }) => list.data.map((item) => item.content[0]!.text);

    const all = await page("");
    expectOpenAI("ResponseItemList", all);
    expect(texts(all)).toEqual(["e", "d", "c", "b", "a"]);
    expect(texts(await page("?order=asc"))).toEqual(["a", "b", "c", "d", "e"]);
    const first = await page("?order=asc&limit=2");
    expect(first).toMatchObject({ has_more: true, first_id: first.data[0].id, last_id: first.data[1].id });
    const second = await page(`?order=asc&limit=2&after=${first.last_id}`);
    expect(texts(second)).toEqual(["c", "d"]);
    const last = await page(`?order=asc&limit=2&after=${second.last_id}`);
    expect(texts(last)).toEqual(["e"]);
    expect(last.has_more).toBe(false);
    for (const bad of ["?limit=0", "?limit=101", "?limit=x", "?limit=0x10", "?limit=1e1", "?limit=%201", "?order=sideways"]) {
      const error = await gw.handle(`/v1/responses/${response.id}/input_items${bad}`);
      expect(error.status).toBe(400);
      expect(((await error.json()) as { error: { param: string } }).error.param).toBe(bad.startsWith("?limit") ? "limit" : "order");
    }
  });

  test("input_items lists an assistant turn as it was sent: its status (a cut turn is incomplete) and its text's annotations", async () => {
    const citation = { type: "url_citation", url: "https://x.example/a", title: "A", start_index: 0, end_index: 3 };
    const input = [
      { role: "user", content: "q" },
      { type: "message", role: "assistant", status: "incomplete", content: [{ type: "output_text", text: "ans", annotations: [citation] }] },
      { role: "user", content: "go on" },
    ];
    const response = await json(create({ model, input }));
    const items = await json(gw.handle(`/v1/responses/${response.id}/input_items?order=asc`));
    expectOpenAI("ResponseItemList", items);
    expect(items.data[1]).toMatchObject({ role: "assistant", status: "incomplete", content: [{ type: "output_text", text: "ans", annotations: [citation] }] });
  });

  test("previous_response_id: the stored input and output come before the new input; instructions are not carried", async () => {
    const first = await json(create({ model, input: "one", instructions: "First instructions" }));
    const second = await json(create({ model, input: "two", previous_response_id: first.id }));
    expect(second.instructions).toBeNull();
    expect(second.previous_response_id).toBe(first.id);
    const items = await json(gw.handle(`/v1/responses/${second.id}/input_items?order=asc`));
    expect(items.data.map((i: { type: string; role: string }) => `${i.type}:${i.role}`)).toEqual(["message:user", "message:assistant", "message:user"]);
    expect(items.data[1].id).toBe(first.output[0].id);
  });

  test("input item ids are the same on every read, and through a continuation; ids the client sent are kept", async () => {
    const input = [
      { role: "user", content: "one" },
      { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
      { type: "function_call_output", call_id: "c1", output: "ok" },
      { id: "msg_mine", role: "user", content: "two" },
    ];
    const first = await json(create({ model, input }));
    const listed = async (id: string) => (await json(gw.handle(`/v1/responses/${id}/input_items?order=asc`))).data as { id: string; type: string }[];
    const ids = (await listed(first.id)).map((item) => item.id);
    expect(ids).toEqual([`msg_${first.id.slice(5)}i0000`, `fc_${first.id.slice(5)}i0001`, `fco_${first.id.slice(5)}i0002`, "msg_mine"]);
    expect((await listed(first.id)).map((item) => item.id)).toEqual(ids);
    const second = await json(create({ model, input: "three", previous_response_id: first.id }));
    const continued = await listed(second.id);
    expect(continued.map((item) => item.id)).toEqual([...ids, first.output[0].id, `msg_${second.id.slice(5)}i0000`]);
  });

  test("input_items lists an id once, so paging by `after` ends: items sent with one id (the Agents SDK's chat-completion ids), an item sent again", async () => {
    const input = [
      { id: "chatcmpl-1", role: "user", content: "one" },
      { id: "chatcmpl-1", role: "assistant", content: "two" },
      { id: "chatcmpl-1", role: "user", content: "three" },
    ];
    const first = await json(create({ model, input }));
    const second = await json(create({ model, previous_response_id: first.id, input: [{ type: "item_reference", id: first.output[0].id }, { role: "user", content: "four" }] }));
    for (const [id, expected] of [
      [first.id, ["chatcmpl-1"]],
      [second.id, ["chatcmpl-1", first.output[0].id, `msg_${second.id.slice(5)}i0001`]],
    ] as const) {
      for (const order of ["asc", "desc"]) {
        const seen: string[] = [];
        let after: string | undefined;
        for (let page = 0; page < 10; page++) {
          const list = await json(gw.handle(`/v1/responses/${id}/input_items?order=${order}&limit=1${after ? `&after=${after}` : ""}`));
          expectOpenAI("ResponseItemList", list);
          seen.push(...list.data.map((item: { id: string }) => item.id));
          if (!list.has_more) break;
          after = list.last_id;
        }
        expect(order === "asc" ? seen : seen.reverse()).toEqual([...expected]);
      }
    }
  });

  test("item_reference to an input item (its id as input_items lists it) is that item, as OpenAI allows", async () => {
    const first = await json(
      create({ model, input: [{ role: "user", content: "Remember: blue" }, { type: "function_call", call_id: "c1", name: "f", arguments: "{}" }, { type: "function_call_output", call_id: "c1", output: "ok" }] }),
    );
    const listed = (await json(gw.handle(`/v1/responses/${first.id}/input_items?order=asc`))).data as { id: string }[];
    const second = await json(create({ model, input: [{ type: "item_reference", id: listed[0]!.id }, { role: "user", content: "What color?" }] }));
    expectOpenAI("Response", second);
    const items = (await json(gw.handle(`/v1/responses/${second.id}/input_items?order=asc`))).data;
    expect(items[0]).toEqual(listed[0]);
    expect(items[1]).toMatchObject({ role: "user", content: [{ type: "input_text", text: "What color?" }] });
    // Another response's input item id that does not exist is still a 400 naming it.
    const missing = `msg_${first.id.slice(5)}i0009`;
    const refused = await create({ model, input: [{ type: "item_reference", id: missing }] });
    expect(refused.status).toBe(400);
    expect((await json(refused)).error.message).toContain(missing);
  });

  test("item_reference, with its type, without it or with type null (as OpenAI's ItemReferenceParam allows): the stored item; an unknown id is a 400 naming it", async () => {
    const first = await json(create({ model, input: "one" }));
    const itemId = first.output[0].id as string;
    for (const reference of [{ type: "item_reference", id: itemId }, { id: itemId }, { type: null, id: itemId }]) {
      const second = await json(create({ model, input: [{ role: "user", content: "before" }, reference, { role: "user", content: "after" }] }));
      expectOpenAI("Response", second);
      const items = await json(gw.handle(`/v1/responses/${second.id}/input_items?order=asc`));
      expect(items.data.map((i: { id: string; role: string }) => i.role)).toEqual(["user", "assistant", "user"]);
      expect(items.data[1]).toEqual(first.output[0]);
    }
    const unknown = await create({ model, input: [{ id: "msg_unknown" }, { role: "user", content: "x" }] });
    expect(unknown.status).toBe(400);
    const error = (await unknown.json()) as { error: unknown };
    expectOpenAI("ErrorResponse", error);
    expect(error.error).toMatchObject({ param: "input[0].id", message: "Item with id 'msg_unknown' not found." });
  });

  test("metadata at its limits is echoed and stored: 16 keys of 64 characters, values of 512", async () => {
    const metadata = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`${i}`.padStart(64, "k"), "v".repeat(512)]));
    const response = await json(create({ model, input: "x", metadata }));
    expectOpenAI("Response", response);
    expect(response.metadata).toEqual(metadata);
    expect((await json(gw.handle(`/v1/responses/${response.id}`))).metadata).toEqual(metadata);
  });

  test("DELETE answers OpenAI's deleted object, and the response is gone", async () => {
    const response = await json(create({ model, input: "x" }));
    const deleted = await gw.handle(`/v1/responses/${response.id}`, { method: "DELETE" });
    expect(await deleted.json()).toEqual({ id: response.id, object: "response", deleted: true });
    expect((await gw.handle(`/v1/responses/${response.id}`)).status).toBe(404);
  });
});

describe("two gateways sharing one Redis (REDIS_URL)", () => {
  let redis: TestRedis;
  let a: TestGateway;
  let b: TestGateway;
  beforeAll(async () => {
    redis = await startRedis();
    a = await startTestGateway({ REDIS_URL: redis.url, RESPONSES_TTL_S: "600" });
    b = await startTestGateway({ REDIS_URL: redis.url, RESPONSES_TTL_S: "600" });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  test("a response stored by one is read, continued and deleted by the other; values expire with the TTL", async () => {
    const first = await json(a.handle("/v1/responses", jsonPost({ model, input: "Hello" })));
    const seen = await json(b.handle(`/v1/responses/${first.id}`));
    expect(seen).toEqual(first);
    expectOpenAI("Response", seen);
    const ttl = Number(await redis.command(["TTL", `ollaix:responses:${first.id}`]));
    expect(ttl).toBeGreaterThan(500);
    expect(ttl).toBeLessThanOrEqual(600);

    const second = await json(b.handle("/v1/responses", jsonPost({ model, input: "Again", previous_response_id: first.id })));
    const items = await json(a.handle(`/v1/responses/${second.id}/input_items?order=asc`));
    expect(items.data.map((i: { role: string }) => i.role)).toEqual(["user", "assistant", "user"]);

    expect((await b.handle(`/v1/responses/${first.id}`, { method: "DELETE" })).status).toBe(200);
    expect((await a.handle(`/v1/responses/${first.id}`)).status).toBe(404);
  });

  test("Redis away: requests that need the store are 503 state_unavailable, not a hang or a crash", async () => {
    const stored = await json(a.handle("/v1/responses", jsonPost({ model, input: "Hello" })));
    await redis.stop();
    try {
      const response = await b.handle(`/v1/responses/${stored.id}`);
      expect(response.status).toBe(503);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("state_unavailable");
      // store: false needs no store at all.
      expect((await a.handle("/v1/responses", jsonPost({ model, input: "x", store: false }))).status).toBe(200);
      // A response that cannot be stored is still answered; the store's failure is logged, without the text.
      const unstored = await a.handle("/v1/responses", jsonPost({ model, input: "kept nowhere" }));
      expect(unstored.status).toBe(200);
      const { id } = (await unstored.json()) as { id: string };
      const warning = a.logs.find((line) => line.includes("could not store a response") && line.includes(id));
      expect(warning).toBeDefined();
      expect(warning).not.toContain("kept nowhere");
    } finally {
      await redis.start();
    }
  });
});

describe("a stored response past RESPONSES_TTL_S", () => {
  test("is gone: GET is a 404 and continuing it is previous_response_not_found", async () => {
    // 3 s, not 1: on a loaded machine the first steps alone took a second, and the response was gone before its GET.
    const short = await startTestGateway({ RESPONSES_TTL_S: "3" });
    try {
      const first = await json(short.handle("/v1/responses", jsonPost({ model, input: "Hello" })));
      // Still there within the TTL, and continuable.
      expect((await short.handle(`/v1/responses/${first.id}`)).status).toBe(200);
      expect((await short.handle("/v1/responses", jsonPost({ model, input: "Again", previous_response_id: first.id }))).status).toBe(200);
      await Bun.sleep(3_300);
      const gone = await short.handle(`/v1/responses/${first.id}`);
      expect(gone.status).toBe(404);
      expectOpenAI("ErrorResponse", await gone.json());
      const error = await json(short.handle("/v1/responses", jsonPost({ model, input: "Again", previous_response_id: first.id })));
      expectOpenAI("ErrorResponse", error);
      expect(error.error).toMatchObject({ param: "previous_response_id", code: "previous_response_not_found" });
    } finally {
      await short.close();
    }
  }, 15_000);
});

describe("a response too large for the memory store", () => {
  test("is answered all the same; the refusal is logged, and a later GET is a 404", async () => {
    const small = await startTestGateway({ RESPONSES_MEMORY_MB: "1" });
    try {
      const input = "x".repeat(1_100_000); // more than the whole store holds
      const response = await small.handle("/v1/responses", jsonPost({ model, input }));
      expect(response.status).toBe(200);
      const answer = (await response.json()) as { id: string; store: boolean };
      expectOpenAI("Response", answer);
      expect(answer.store).toBe(true);
      const warning = small.logs.find((line) => line.includes("could not store a response") && line.includes(answer.id));
      expect(warning).toContain("more than the response store holds");
      // In the background it must be stored from the start: a 400 in OpenAI's envelope, before any answer.
      const background = await small.handle("/v1/responses", jsonPost({ model, input, background: true }));
      expect(background.status).toBe(400);
      const refusal = (await background.json()) as { error: { message: string } };
      expectOpenAI("ErrorResponse", refusal);
      expect(refusal.error.message).toContain("RESPONSES_MEMORY_MB");
      expect((await small.handle(`/v1/responses/${answer.id}`)).status).toBe(404);
      // The store still works for the next response.
      const next = await json(small.handle("/v1/responses", jsonPost({ model, input: "small" })));
      expect((await small.handle(`/v1/responses/${next.id}`)).status).toBe(200);
    } finally {
      await small.close();
    }
  });
});

describe("docs", () => {
  test("/docs/ redirects to /docs", async () => {
    const response = await fetch(`${gw.url}/docs/`, { redirect: "manual" });
    expect(response.status).toBe(301);
    expect(new URL(response.headers.get("location")!, `${gw.url}/docs/`).pathname).toBe("/docs");
    expect((await fetch(`${gw.url}/docs/`)).url).toBe(`${gw.url}/docs`);
  });

  test("the Responses routes are in /docs/json with their schemas", async () => {
    const spec = await json(gw.handle("/docs/json"));
    const post = spec.paths["/v1/responses"].post;
    expect(post.tags).toEqual(["Responses"]);
    const body = post.requestBody.content["application/json"].schema;
    expect(Object.keys(body.properties)).toEqual(expect.arrayContaining(["input", "instructions", "tools", "previous_response_id", "store", "max_output_tokens"]));
    expect(post.responses["200"].content["application/json"].schema.properties.output).toBeDefined();
    const one = spec.paths["/v1/responses/{response_id}"];
    expect(Object.keys(one)).toEqual(expect.arrayContaining(["get", "delete"]));
    const schemaOf = (operation: { responses: Record<string, { content: Record<string, { schema: { properties: Record<string, unknown> } }> }> }, status: string) =>
      operation.responses[status]!.content["application/json"]!.schema.properties;
    expect(Object.keys(schemaOf(one.get, "200"))).toEqual(expect.arrayContaining(["id", "object", "status", "output", "usage"]));
    expect(Object.keys(schemaOf(one.get, "404"))).toEqual(["error"]);
    expect(Object.keys(schemaOf(one.delete, "200"))).toEqual(expect.arrayContaining(["id", "object", "deleted"]));
    // Following a streamed background response again: its query parameters.
    expect(one.get.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual(
      expect.arrayContaining(["path:response_id", "query:stream", "query:starting_after", "query:include", "query:include_obfuscation"]),
    );
    const cancel = spec.paths["/v1/responses/{response_id}/cancel"].post;
    expect(Object.keys(schemaOf(cancel, "200"))).toEqual(expect.arrayContaining(["id", "object", "status", "output"]));
    expect(Object.keys(schemaOf(cancel, "400"))).toEqual(["error"]);
    const list = spec.paths["/v1/responses/{response_id}/input_items"].get;
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(["response_id", "limit", "order", "after"]));
    expect(Object.keys(schemaOf(list, "200"))).toEqual(expect.arrayContaining(["object", "data", "first_id", "last_id", "has_more"]));
  });
});
