import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { expectOpenAI } from "./helpers/openai-schema.ts";
import { json, jsonPost, startTestGateway, type TestGateway } from "./helpers/gateway.ts";


let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ MAX_BODY_BYTES: "2048" });
});
afterAll(() => gw.close());

const user = { role: "user", content: "hi" };
const base = { model: "dummy-model:1.0", messages: [user] };

async function expectError(res: Response, status: number, param: string | null, code: string | null = null) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toStartWith("application/json");
  expect(res.headers.get("x-request-id")).toBeTruthy();
  const body = await json(res);
  expectOpenAI("ErrorResponse", body);
  expect(body.error.param).toBe(param);
  expect(body.error.code).toBe(code);
  expect(body.error.type).toBe(status === 413 || status === 400 || status === 404 ? "invalid_request_error" : body.error.type);
  expect(JSON.stringify(body)).not.toContain("    at "); // never a stack trace
  return body.error as { message: string; type: string };
}

/** The rows whose refusal carries a code (OpenAI's, for a name it refuses). */
const CODES: Record<string, string> = {
  "a json_schema name OpenAI refuses": "invalid_value",
  "a function name OpenAI refuses": "invalid_value",
  "a function name over 64": "string_above_max_length",
  "a legacy function name OpenAI refuses": "invalid_value",
};

describe("request validation: a 400 envelope naming the field", () => {
  test.each([
    ["missing messages", { model: "dummy-model:1.0" }, "messages"],
    ["empty messages", { ...base, messages: [] }, "messages"],
    ["missing model", { messages: [user] }, "model"],
    ["message without a role", { ...base, messages: [{ content: "hi" }] }, "messages[0].role"],
    ["bad role", { ...base, messages: [user, { role: "robot", content: "x" }] }, "messages[1].role"],
    ["empty user content", { ...base, messages: [{ role: "user", content: "" }] }, "messages[0].content"],
    ["user content null", { ...base, messages: [{ role: "user", content: null }] }, "messages[0].content"],
    ["empty system content", { ...base, messages: [{ role: "system", content: [] }, user] }, "messages[0].content"],
    ["tool message without tool_call_id", { ...base, messages: [user, { role: "tool", content: "42" }] }, "messages[1].tool_call_id"],
    ["assistant with neither content nor tool_calls", { ...base, messages: [user, { role: "assistant", content: null }] }, "messages[1].content"],
    ["temperature: 5", { ...base, temperature: 5 }, "temperature"],
    ["top_p: 1.5", { ...base, top_p: 1.5 }, "top_p"],
    ["non-boolean stream", { ...base, stream: "yes" }, "stream"],
    ["non-boolean logprobs", { ...base, logprobs: "yes" }, "logprobs"],
    ["top_logprobs: 21", { ...base, logprobs: true, top_logprobs: 21 }, "top_logprobs"],
    ["max_tokens: 0", { ...base, max_tokens: 0 }, "max_tokens"],
    ["max_completion_tokens past 32 bits (1e23 is an integer to JSON)", { ...base, max_completion_tokens: 1e23 }, "max_completion_tokens"],
    ["content of the wrong type", { ...base, messages: [{ role: "user", content: 5 }] }, "messages[0].content"],
    ["unknown part type", { ...base, messages: [{ role: "user", content: [{ type: "audio" }] }] }, "messages[0].content[0].type"],
    ["text part without text", { ...base, messages: [{ role: "user", content: [{ type: "text" }] }] }, "messages[0].content[0].text"],
    ["image part without url", { ...base, messages: [{ role: "user", content: [{ type: "image_url", image_url: {} }] }] }, "messages[0].content[0].image_url.url"],
    ["file part without its file", { ...base, messages: [{ role: "user", content: [{ type: "file" }] }] }, "messages[0].content[0].file"],
    ["file part without data or id", { ...base, messages: [{ role: "user", content: [{ type: "file", file: { filename: "a.pdf" } }] }] }, "messages[0].content[0].file.file_data"],
    ["file data of no telling type", { ...base, messages: [{ role: "user", content: [{ type: "file", file: { file_data: "aGk=" } }] }] }, "messages[0].content[0].file.file_data"],
    ["audio part without its audio", { ...base, messages: [{ role: "user", content: [{ type: "input_audio" }] }] }, "messages[0].content[0].input_audio"],
    ["audio of another format", { ...base, messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "UklGRg==", format: "ogg" } }] }] }, "messages[0].content[0].input_audio.format"],
    ["audio data that is not base64", { ...base, messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "@@", format: "wav" } }] }] }, "messages[0].content[0].input_audio.data"],
    ["audio in an assistant message", { ...base, messages: [user, { role: "assistant", content: [{ type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } }] }] }, "messages[1].content[0].type"],
    ["refusal part in a user message", { ...base, messages: [{ role: "user", content: [{ type: "refusal", refusal: "no" }] }] }, "messages[0].content[0].type"],
    ["refusal part without its refusal", { ...base, messages: [user, { role: "assistant", content: [{ type: "refusal" }] }] }, "messages[1].content[0].refusal"],
    ["file part in a system message", { ...base, messages: [{ role: "system", content: [{ type: "file", file: { file_data: "data:text/plain;base64,aGk=" } }] }, user] }, "messages[0].content[0].type"],
    ["five stop sequences", { ...base, stop: ["a", "b", "c", "d", "e"] }, "stop"],
    ["bad tool_choice", { ...base, tool_choice: "maybe" }, "tool_choice"],
    ["tool without a name", { ...base, tools: [{ type: "function", function: {} }] }, "tools[0].function.name"],
    ["json_schema without its schema object", { ...base, response_format: { type: "json_schema" } }, "response_format.json_schema"],
    ["a json_schema name OpenAI refuses", { ...base, response_format: { type: "json_schema", json_schema: { name: "my.schema", schema: {} } } }, "response_format.json_schema.name"],
    ["a function name OpenAI refuses", { ...base, tools: [{ type: "function", function: { name: "ok" } }, { type: "function", function: { name: "get weather" } }] }, "tools[1].function.name"],
    ["a function name over 64", { ...base, tools: [{ type: "function", function: { name: "f".repeat(65) } }] }, "tools[0].function.name"],
    ["a legacy function name OpenAI refuses", { ...base, functions: [{ name: "a/b" }] }, "functions[0].name"],
    ["a body that is not an object", [1, 2], null],
    // OpenAI's typed fields, checked as OpenAI checks them (a string "false" would have left parallel calls on).
    ["parallel_tool_calls as a string", { ...base, parallel_tool_calls: "false" }, "parallel_tool_calls"],
    ["an unknown service_tier", { ...base, service_tier: "gold" }, "service_tier"],
    ["an unknown verbosity", { ...base, verbosity: "loud" }, "verbosity"],
    ["an unknown modality", { ...base, modalities: ["video"] }, "modalities[0]"],
    ["a logit_bias past 100", { ...base, logit_bias: { "1": 500 } }, "logit_bias[1]"],
    ["a metadata value that is no string", { ...base, metadata: { a: 1 } }, "metadata.a"],
    ["a metadata key over 64", { ...base, metadata: { ["k".repeat(65)]: "v" } }, "metadata"],
    ["store as a string", { ...base, store: "y" }, "store"],
    ["a prediction of another type", { ...base, prediction: { type: "zzz", content: "x" } }, "prediction.type"],
    ["a safety_identifier over 64", { ...base, safety_identifier: "s".repeat(65) }, "safety_identifier"],
    ["a seed JSON cannot carry exactly (1e21)", { ...base, seed: 1e21 }, "seed"],
    ["a seed past 2^53 (int64's maximum arrives rounded up, outside int64)", { ...base, seed: 9223372036854775807 }, "seed"],
    ["stream_options without stream", { ...base, stream_options: { include_usage: true } }, "stream_options"],
    ["top_logprobs without logprobs", { ...base, top_logprobs: 2 }, "top_logprobs"],
    ["an allowed_tools tool_choice", { ...base, tools: [{ type: "function", function: { name: "f" } }], tool_choice: { type: "allowed_tools", allowed_tools: { mode: "auto", tools: [] } } }, "tool_choice.type"],
    ["a custom tool_choice", { ...base, tools: [{ type: "function", function: { name: "f" } }], tool_choice: { type: "custom", custom: { name: "f" } } }, "tool_choice.type"],
  ])("%s", async (name, body, param) => {
    const error = await expectError(await gw.handle("/v1/chat/completions", jsonPost(body)), 400, param, CODES[name] ?? null);
    if (param) expect(error.message).toContain(param);
  });

  test("a union's value of one variant's type is explained by that variant: five stop strings are 'at most 4', not 'not of a supported type' (a probe)", async () => {
    const answer = await gw.handle("/v1/chat/completions", jsonPost({ ...base, stop: ["a", "b", "c", "d", "e"] }));
    const error = await expectError(answer, 400, "stop", null);
    expect(error.message).toBe("Invalid 'stop': expected array length to be less or equal to 4.");
  });

  test("a tool message that answers no call before it is OpenAI's 400, naming messages.[i].role as OpenAI does", async () => {
    const call = { id: "call_1", type: "function", function: { name: "f", arguments: "{}" } };
    const orphan = await expectError(await gw.handle("/v1/chat/completions", jsonPost({ ...base, messages: [user, { role: "tool", tool_call_id: "call_1", content: "42" }] })), 400, "messages.[1].role");
    expect(orphan.message).toBe("Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.");
    // After a user message the calls before it are answered no more.
    const later = [user, { role: "assistant", content: null, tool_calls: [call] }, { role: "tool", tool_call_id: "call_1", content: "1" }, user, { role: "tool", tool_call_id: "call_1", content: "2" }];
    await expectError(await gw.handle("/v1/chat/completions", jsonPost({ ...base, messages: later })), 400, "messages.[4].role");
    // Several results after one assistant message with calls are answers.
    const two = { ...call, id: "call_2" };
    const res = await gw.handle(
      "/v1/chat/completions",
      jsonPost({ ...base, messages: [user, { role: "assistant", content: null, tool_calls: [call, two] }, { role: "tool", tool_call_id: "call_2", content: "2" }, { role: "tool", tool_call_id: "call_1", content: "1" }] }),
    );
    expect(res.status).toBe(200);
    // The deprecated form: a `function` result with no function_call before it is taken, as it was.
    const legacy = await gw.handle("/v1/chat/completions", jsonPost({ ...base, functions: [{ name: "get_weather" }], messages: [user, { role: "function", name: "get_weather", content: "sunny" }] }));
    expect(legacy.status).toBe(200);
    // …nor one answering an earlier call after a user turn.
    const afterUser = [user, { role: "assistant", content: null, function_call: { name: "get_weather", arguments: "{}" } }, { role: "function", name: "get_weather", content: "sunny" }, user, { role: "function", name: "get_weather", content: "rain" }];
    expect((await gw.handle("/v1/chat/completions", jsonPost({ ...base, functions: [{ name: "get_weather" }], messages: afterUser }))).status).toBe(200);
  });

  test("the typed fields OpenAI takes, with values it takes, pass", async () => {
    const res = await gw.handle(
      "/v1/chat/completions",
      jsonPost({
        ...base,
        parallel_tool_calls: false,
        service_tier: "flex",
        verbosity: "low",
        modalities: ["text"],
        logit_bias: { "50256": -100 },
        metadata: { team: "a" },
        store: false,
        prediction: { type: "content", content: [{ type: "text", text: "x" }] },
        safety_identifier: "user-1",
        prompt_cache_key: "k",
        seed: Number.MAX_SAFE_INTEGER,
        stream_options: null,
        top_logprobs: null,
      }),
    );
    expect(res.status).toBe(200);
  });

  test("a missing field is worded as OpenAI does: Missing required parameter", async () => {
    const error = await expectError(await gw.handle("/v1/chat/completions", jsonPost({ ...base, messages: [{ content: "hi" }] })), 400, "messages[0].role");
    expect(error.message).toBe("Missing required parameter: 'messages[0].role'.");
  });

  test("a tool of a kind Chat Completions does not take (OpenAI's custom tools) is a wrong tools[i].type, not a missing function", async () => {
    const custom = { type: "custom", custom: { name: "apply_patch", description: "Patch a file", format: { type: "text" } } };
    const error = await expectError(await gw.handle("/v1/chat/completions", jsonPost({ ...base, tools: [{ type: "function", function: { name: "f" } }, custom] })), 400, "tools[1].type");
    expect(error.message).toBe("Invalid value for 'tools[1].type': custom tools are not supported on Chat Completions by this gateway; send them through the Responses API.");
    // A function tool that lacks its function is still that.
    const missing = await expectError(await gw.handle("/v1/chat/completions", jsonPost({ ...base, tools: [{ type: "function" }] })), 400, "tools[0].function");
    expect(missing.message).toBe("Missing required parameter: 'tools[0].function'.");
  });

  test.each(["max_tokens", "max_completion_tokens"])("%s above the model's known context_length is a 400 naming it", async (field) => {
    // dummy-model:1.0 lists context_length 8192.
    const error = await expectError(await gw.handle("/v1/chat/completions", jsonPost({ ...base, [field]: 100_000 })), 400, field, "invalid_value");
    expect(error.message).toStartWith(`${field} is too large: 100000.`);
    expect(error.message).toContain("8192");
    const streamed = await gw.handle("/v1/chat/completions", jsonPost({ ...base, stream: true, [field]: 8193 }));
    await expectError(streamed, 400, field, "invalid_value");
    expect((await gw.handle("/v1/chat/completions", jsonPost({ ...base, [field]: 8192 }))).status).toBe(200);
  });

  test("malformed JSON", async () => {
    const error = await expectError(await gw.handle("/v1/chat/completions", jsonPost('{"model": "dummy-model:1.0", ')), 400, null);
    expect(error.message).toContain("parse the JSON body");
  });

  test("wrong content type", async () => {
    const res = await gw.handle("/v1/chat/completions", { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify(base) });
    const error = await expectError(res, 400, null);
    expect(error.message).toContain("Content-Type");
  });

  test("no body", async () => {
    await expectError(await gw.handle("/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json" } }), 400, null);
  });

  test("a body over MAX_BODY_BYTES is a 413, declared or streamed", async () => {
    const big = JSON.stringify({ ...base, messages: [{ role: "user", content: "x".repeat(4096) }] });
    await expectError(await gw.handle("/v1/chat/completions", jsonPost(big)), 413, null, "payload_too_large");
    const chunked = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const res = await gw.handle("/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json" }, body: chunked });
    await expectError(res, 413, null, "payload_too_large");
  });

  test("unknown model is a 404 model_not_found, for streams too", async () => {
    for (const stream of [false, true]) {
      const res = await gw.handle("/v1/chat/completions", jsonPost({ ...base, model: "gpt-nope", stream }));
      const error = await expectError(res, 404, "model", "model_not_found");
      expect(error.message).toContain("gpt-nope");
    }
  });

  test("embeddings validate too", async () => {
    await expectError(await gw.handle("/v1/embeddings", jsonPost({ model: "dummy-model:1.0" })), 400, "input");
    await expectError(await gw.handle("/v1/embeddings", jsonPost({ model: "dummy-model:1.0", input: [] })), 400, "input");
    await expectError(await gw.handle("/v1/embeddings", jsonPost({ model: "dummy-model:1.0", input: "x", encoding_format: "hex" })), 400, "encoding_format");
  });

  test("the server keeps serving after bad input", async () => {
    const res = await gw.handle("/v1/chat/completions", jsonPost(base));
    expect(res.status).toBe(200);
  });
});

describe("/v1/responses: the body's errors on Elysia's path and the fast one", () => {
  const input = { model: "dummy-model:1.0", input: "hi" };
  const paths = {
    elysia: (init: RequestInit) => gw.handle("/v1/responses", init),
    fast: (init: RequestInit) => fetch(`${gw.url}/v1/responses`, init),
  };
  const streamed = (text: string) =>
    new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(text));
        controller.close();
      },
    });

  test.each(Object.keys(paths) as (keyof typeof paths)[])("%s: malformed, wrong type, empty, too large (declared or streamed); a streamed body is read and stored", async (path) => {
    const post = paths[path];
    expect((await expectError(await post(jsonPost('{"model": ')), 400, null)).message).toContain("parse the JSON body");
    expect((await expectError(await post({ method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify(input) }), 400, null)).message).toContain("Content-Type");
    await expectError(await post({ method: "POST", headers: { "content-type": "application/json" } }), 400, null);
    await expectError(await post(jsonPost("")), 400, null);
    const big = JSON.stringify({ ...input, input: "x".repeat(4096) });
    await expectError(await post(jsonPost(big)), 413, null, "payload_too_large");
    await expectError(await post({ method: "POST", headers: { "content-type": "application/json" }, body: streamed(big) }), 413, null, "payload_too_large");

    const ok = await post({ method: "POST", headers: { "content-type": "application/json" }, body: streamed(JSON.stringify({ ...input, input: "streamed ✓" })) });
    expect(ok.status).toBe(200);
    const response = await json(ok);
    const items = await json(await gw.handle(`/v1/responses/${response.id}/input_items`));
    expect(items.data[0].content).toEqual([{ type: "input_text", text: "streamed ✓" }]);
  });
});
