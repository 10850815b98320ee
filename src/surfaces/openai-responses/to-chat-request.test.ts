import { describe, expect, test } from "bun:test";
import { assertInputRules } from "./input-rules.ts";
import { outputItemId } from "./item-ids.ts";
import { normalizeInput, referencedIds } from "./normalize-input.ts";
import type { ResponsesRequest } from "./request-schema.ts";
import type { InputItemResource } from "./response-schema.ts";
import { type MessageSource, toChatRequest } from "./to-chat-request.ts";

/**
 * The request's input read as sent (the route's usual path), checked against the same input made
 * into items first (how a continuation's stored conversation and referenced items are read): the
 * two must give the same chat request.
 */
function convert(request: ResponsesRequest) {
  assertInputRules(request.input);
  const asSent = toChatRequest(request, [], request.input);
  expect(toChatRequest(request, normalizeInput(request.input, "resp_test"), undefined)).toEqual(asSent);
  return asSent;
}
const base = { model: "m" };

/** The param of the error `run` throws. */
function paramOf(run: () => unknown): string | null | undefined {
  try {
    run();
  } catch (error) {
    return (error as { param?: string | null }).param;
  }
  throw new Error("expected an error");
}

/** A function call item with no arguments. */
const functionCall = (call_id: string, name: string) => ({ type: "function_call" as const, call_id, name, arguments: "{}" });

describe("input → messages", () => {
  test("a string is one user message; instructions come first as system", () => {
    expect(convert({ ...base, input: "Hi", instructions: "Be brief" }).messages).toEqual([
      { role: "system", content: "Be brief" },
      { role: "user", content: "Hi" },
    ]);
  });

  test("every message role, content as a string or parts", () => {
    const chat = convert({
      ...base,
      input: [
        { role: "system", content: "S" },
        { role: "developer", content: [{ type: "input_text", text: "D" }] },
        { type: "message", role: "user", content: [{ type: "input_text", text: "look" }, { type: "input_image", image_url: "https://x.example/a.png", detail: "low" }] },
        { role: "assistant", content: [{ type: "output_text", text: "Seen it." }, { type: "output_text", text: "Twice." }] },
        { role: "user", content: [{ type: "input_image", image_url: "data:image/png;base64,AAAA" }] },
      ],
    });
    expect(chat.messages).toEqual([
      { role: "system", content: "S" },
      { role: "developer", content: "D" },
      { role: "user", content: [{ type: "text", text: "look" }, { type: "image_url", image_url: { url: "https://x.example/a.png", detail: "low" } }] },
      { role: "assistant", content: "Seen it.\nTwice." },
      { role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }] },
    ]);
  });

  test("a reasoning item as Codex sends it back (content and encrypted_content null) is read; a message with null content is still a 400", () => {
    const input = [
      { role: "user", content: "2+2?" },
      { type: "reasoning", id: "rs_1", summary: [{ type: "summary_text", text: "Add them." }], content: null, encrypted_content: null },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "4" }] },
      { role: "user", content: "And 3+3?" },
    ] as ResponsesRequest["input"];
    assertInputRules(input);
    expect(convert({ ...base, input }).messages[1]).toEqual({ role: "assistant", content: "4", reasoning_content: "Add them." } as never);
    expect(paramOf(() => assertInputRules([{ role: "user", content: null }] as ResponsesRequest["input"]))).toBe("input[0].content");
  });

  test("input_file parts are Chat Completions' file parts (data, id and name one level down), alone or beside text", () => {
    const pdf = "data:application/pdf;base64,JVBERi0xLjQK";
    const chat = convert({
      ...base,
      input: [
        { role: "user", content: [{ type: "input_file", file_data: pdf, filename: "a.pdf" }] },
        { role: "user", content: [{ type: "input_text", text: "Sum up" }, { type: "input_file", file_id: "file-abc", filename: null, detail: "low" }] },
      ],
    } as ResponsesRequest);
    expect(chat.messages).toEqual([
      { role: "user", content: [{ type: "file", file: { file_data: pdf, filename: "a.pdf" } }] },
      { role: "user", content: [{ type: "text", text: "Sum up" }, { type: "file", file: { file_id: "file-abc" } }] },
    ]);
  });

  test("what OpenAI's Chat Completions wants beside file data: a data URL, and a name (document.<ext> when none came)", () => {
    const chat = convert({
      ...base,
      input: [{ role: "user", content: [{ type: "input_file", file_data: "JVBERi0xLjQK" }, { type: "input_file", file_data: "aGk=", filename: "n.txt" }, { type: "input_file", file_data: "data:text/csv;base64,YSxi" }] }],
    } as ResponsesRequest);
    expect(chat.messages[0]!.content).toEqual([
      { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0xLjQK", filename: "document.pdf" } },
      { type: "file", file: { file_data: "data:text/plain;base64,aGk=", filename: "n.txt" } },
      { type: "file", file: { file_data: "data:text/csv;base64,YSxi", filename: "document.csv" } },
    ]);
  });

  test("a file by URL keeps its URL for the pipeline to fetch", () => {
    const chat = convert({ ...base, input: [{ role: "user", content: [{ type: "input_file", file_url: "https://x.example/a.pdf" }, { type: "input_file", file_url: "https://x.example/b.pdf", filename: "b.pdf" }] }] } as ResponsesRequest);
    expect(chat.messages[0]!.content).toEqual([
      { type: "file", file: { file_url: "https://x.example/a.pdf" } },
      { type: "file", file: { file_url: "https://x.example/b.pdf", filename: "b.pdf" } },
    ]);
  });

  test("image detail: original (no downscaling) is high, the nearest Chat Completions has; null and auto are left out", () => {
    const image = (detail: unknown) => ({ type: "input_image", image_url: "https://x.example/a.png", detail });
    const chat = convert({ ...base, input: [{ role: "user", content: [image("original"), image(null), image("auto"), image("high")] }] } as ResponsesRequest);
    expect(chat.messages[0]!.content).toEqual([
      { type: "image_url", image_url: { url: "https://x.example/a.png", detail: "high" } },
      { type: "image_url", image_url: { url: "https://x.example/a.png" } },
      { type: "image_url", image_url: { url: "https://x.example/a.png" } },
      { type: "image_url", image_url: { url: "https://x.example/a.png", detail: "high" } },
    ]);
  });

  test("a call sent again while it waits for its output, or an output sent again, is that turn once", () => {
    const before = normalizeInput(
      [
        { role: "user", content: "Weather?" },
        { type: "reasoning", summary: [{ type: "summary_text", text: "Two cities." }] },
        { type: "function_call", call_id: "call_1", name: "w", arguments: '{"c": "Oslo"}' },
        { type: "function_call", call_id: "call_2", name: "w", arguments: '{"c": "Rome"}' },
      ],
      "resp_prev",
    );
    const input: ResponsesRequest["input"] = [
      // The AI SDK sends the turn again (its arguments re-serialised) with the outputs.
      { type: "reasoning", summary: [{ type: "summary_text", text: "Two cities." }] },
      { type: "function_call", call_id: "call_1", name: "w", arguments: '{"c":"Oslo"}' },
      { type: "function_call", call_id: "call_2", name: "w", arguments: '{"c":"Rome"}' },
      { type: "function_call_output", call_id: "call_1", output: "rain" },
      { type: "function_call_output", call_id: "call_2", output: "sun" },
      { type: "function_call_output", call_id: "call_2", output: "sun" },
      { role: "assistant", content: "Rain and sun." },
      { role: "user", content: "And Paris?" },
      // A client that numbers calls per turn uses an answered call's id again: a new call, kept with its output.
      { type: "function_call", call_id: "call_1", name: "w", arguments: '{"c": "Oslo"}' },
      { type: "function_call_output", call_id: "call_1", output: "rain" },
    ];
    assertInputRules(input);
    const sources: MessageSource[] = [];
    const chat = toChatRequest({ ...base, input }, before, input, sources);
    const call = (id: string, args: string) => ({ id, type: "function" as const, function: { name: "w", arguments: args } });
    const expected = [
      { role: "user", content: "Weather?" },
      { role: "assistant", content: null, reasoning_content: "Two cities.", tool_calls: [call("call_1", '{"c": "Oslo"}'), call("call_2", '{"c": "Rome"}')] },
      { role: "tool", tool_call_id: "call_1", content: "rain" },
      { role: "tool", tool_call_id: "call_2", content: "sun" },
      // The reasoning sent again with its calls went with them, not onto this turn.
      { role: "assistant", content: "Rain and sun." },
      { role: "user", content: "And Paris?" },
      { role: "assistant", content: null, tool_calls: [call("call_1", '{"c": "Oslo"}')] },
      { role: "tool", tool_call_id: "call_1", content: "rain" },
    ];
    expect(chat.messages as unknown[]).toEqual(expected);
    // An error about a message still names the item it came from.
    expect(sources.map((source) => source.item)).toEqual([0, 2, 7, 8, 10, 11, 12, 13]);
    // The same when the input is made into items and appended to the stored conversation.
    expect(toChatRequest({ ...base, input }, [...before, ...normalizeInput(input, "resp_test")], undefined).messages as unknown[]).toEqual(expected);
    // And when all of it is stored (the next turn continues from this one): still one call_1 in the first turn.
    const next = toChatRequest({ ...base, input: "Thanks" }, [...before, ...normalizeInput(input, "resp_test")], "Thanks");
    expect(next.messages as unknown[]).toEqual([...expected, { role: "user", content: "Thanks" }]);
  });

  test("an output item of this gateway's (its id) that came earlier is the same item sent again: read once", () => {
    const said = outputItemId("msg_", "resp_0123456789abcdef01234567", 0);
    const before = normalizeInput(
      [
        { role: "user", content: "Weather?" },
        { id: said, role: "assistant", content: "Let me check." },
        { type: "function_call", call_id: "call_a", name: "w", arguments: "{}" },
      ],
      "resp_prev",
    );
    const input: ResponsesRequest["input"] = [
      { id: said, role: "assistant", content: "Let me check." },
      { type: "function_call", call_id: "call_a", name: "w", arguments: "{}" },
      { type: "function_call_output", call_id: "call_a", output: "rain" },
    ];
    const sources: MessageSource[] = [];
    const chat = toChatRequest({ ...base, input }, before, input, sources);
    expect(chat.messages as unknown[]).toEqual([
      { role: "user", content: "Weather?" },
      { role: "assistant", content: "Let me check.", tool_calls: [{ id: "call_a", type: "function", function: { name: "w", arguments: "{}" } }] },
      { role: "tool", tool_call_id: "call_a", content: "rain" },
    ]);
    expect(sources.map((source) => source.item)).toEqual([0, 1, 5]);
  });

  test("a provider naming every call call_0, continued by a loop sending [...output, outputs] each step: each call keeps its own output", () => {
    const paris = outputItemId("fc_", "resp_0123456789abcdef01234567", 1);
    const rome = outputItemId("fc_", "resp_76543210fedcba9876543210", 1);
    const parisCall = { id: paris, type: "function_call", call_id: "call_0", name: "w", arguments: '{"c":"Paris"}', status: "completed" as const };
    const before = normalizeInput(
      [
        { role: "user", content: "Weather in Paris, then Rome?" },
        parisCall,
        { type: "function_call_output", call_id: "call_0", output: "rain in Paris" },
        { id: rome, type: "function_call", call_id: "call_0", name: "w", arguments: '{"c":"Rome"}' },
      ],
      "resp_prev",
    );
    const input: ResponsesRequest["input"] = [parisCall, { type: "function_call_output", call_id: "call_0", output: "rain in Paris" }, { type: "function_call_output", call_id: "call_0", output: "sun in Rome" }];
    const chat = toChatRequest({ ...base, input }, before, input);
    expect(chat.messages.map((m) => [m.role, m.content ?? m.tool_calls?.[0]?.function.arguments])).toEqual([
      ["user", "Weather in Paris, then Rome?"],
      ["assistant", '{"c":"Paris"}'],
      ["tool", "rain in Paris"],
      ["assistant", '{"c":"Rome"}'],
      ["tool", "sun in Rome"],
    ]);
  });

  test("ids clients make tell nothing: repeated, they are still distinct items (the Agents SDKs' completion ids, __fake_id__)", () => {
    for (const id of ["__fake_id__", "chatcmpl-7"]) {
      const input: ResponsesRequest["input"] = [
        { role: "user", content: "Say OK" },
        { id, role: "assistant", content: "OK." },
        { role: "user", content: "Again" },
        { id, role: "assistant", content: "OK." },
        { id, type: "function_call", call_id: "call_0", name: "w", arguments: '{"c":"Paris"}' },
        { type: "function_call_output", call_id: "call_0", output: "rain" },
        { id, type: "function_call", call_id: "call_0", name: "w", arguments: '{"c":"Rome"}' },
        { type: "function_call_output", call_id: "call_0", output: "sun" },
      ];
      expect(convert({ ...base, input }).messages.map((m) => [m.role, m.content ?? m.tool_calls?.[0]?.function.arguments])).toEqual([
        ["user", "Say OK"],
        ["assistant", "OK."],
        ["user", "Again"],
        ["assistant", "OK."],
        ["tool", "rain"],
        ["assistant", '{"c":"Rome"}'],
        ["tool", "sun"],
      ]);
    }
  });

  test("items that share an id but say different things are distinct (the Agents SDKs' completion ids and __fake_id__)", () => {
    const input: ResponsesRequest["input"] = [
      { role: "user", content: "Weather?" },
      { id: "__fake_id__", type: "message", role: "assistant", content: [{ type: "output_text", text: "Checking.", refusal: null } as never] },
      { id: "__fake_id__", type: "function_call", call_id: "c1", name: "w", arguments: "{}" },
      { id: "__fake_id__", type: "function_call", call_id: "c2", name: "w", arguments: "{}" },
      { type: "function_call_output", call_id: "c1", output: "hail" },
      { type: "function_call_output", call_id: "c2", output: "sun" },
      { id: "__fake_id__", type: "message", role: "assistant", content: [{ type: "output_text", text: "Hail and sun." }] },
      { role: "user", content: "Thanks" },
    ];
    const call = (id: string) => ({ id, type: "function" as const, function: { name: "w", arguments: "{}" } });
    expect(convert({ ...base, input }).messages as unknown[]).toEqual([
      { role: "user", content: "Weather?" },
      { role: "assistant", content: "Checking.", tool_calls: [call("c1"), call("c2")] },
      { role: "tool", tool_call_id: "c1", content: "hail" },
      { role: "tool", tool_call_id: "c2", content: "sun" },
      { role: "assistant", content: "Hail and sun." },
      { role: "user", content: "Thanks" },
    ]);
  });

  test("calls and outputs must pair up, as OpenAI requires: a 400 naming input", () => {
    const call = (id: string, type = "function_call") =>
      type === "function_call" ? { type: "function_call" as const, call_id: id, name: "w", arguments: "{}" } : { type: "custom_tool_call" as const, call_id: id, name: "w", input: "x" };
    const refused = (input: ResponsesRequest["input"], before: InputItemResource[] = []) => {
      try {
        toChatRequest({ ...base, input }, before, input);
      } catch (error) {
        return { message: (error as Error).message, param: (error as { param?: unknown }).param };
      }
      return undefined;
    };
    const user = { role: "user" as const, content: "Hi" };
    expect(refused([user, { type: "function_call_output", call_id: "c9", output: "42" }])).toEqual({ message: "No tool call found for function call output with call_id c9.", param: "input" });
    expect(refused([user, { type: "custom_tool_call_output", call_id: "c9", output: "42" }])).toEqual({ message: "No tool call found for custom tool call output with call_id c9.", param: "input" });
    expect(refused([user, call("c1"), user])).toEqual({ message: "No tool output found for function call c1.", param: "input" });
    // The AI SDK continuing a conversation resends the user's message before the output: taken.
    expect(refused([user, call("c1"), user, { type: "function_call_output", call_id: "c1", output: "a" }])).toBeUndefined();
    expect(refused([user, call("c1", "custom_tool_call")])).toEqual({ message: "No tool output found for custom tool call c1.", param: "input" });
    expect(refused([user, call("c1"), call("c2"), { type: "function_call_output", call_id: "c1", output: "a" }])).toEqual({ message: "No tool output found for function call c2.", param: "input" });
    expect(refused([user, call("c1"), { type: "function_call_output", call_id: "c1", output: "a" }, { type: "function_call_output", call_id: "c1", output: "b" }])).toBeUndefined(); // an output sent again (resent-items.ts)
    // A stored turn that ended with a call: the output may come in this input, a user message may not.
    const before = normalizeInput([user, call("c1")], "resp_prev");
    expect(refused([{ type: "function_call_output", call_id: "c1", output: "a" }], before)).toBeUndefined();
    expect(refused("Never mind.", before)).toEqual({ message: "No tool output found for function call c1.", param: "input" });
    // An assistant message between a call and its output (a provider that spoke after its call) is read as it is.
    expect(refused([user, call("c1"), { role: "assistant", content: "Calling." }, { type: "function_call_output", call_id: "c1", output: "a" }])).toBeUndefined();
  });

  test("an output that comes after other items goes right after its call's turn (and the turn's outputs so far), as providers want it; its source with it", () => {
    const call = (id: string) => ({ type: "function_call" as const, call_id: id, name: "w", arguments: "{}" });
    const output = (id: string) => ({ type: "function_call_output" as const, call_id: id, output: `out ${id}` });
    // The AI SDK continuing a conversation: [user, call] are the conversation's, [user again, output] the request's.
    const before = normalizeInput([{ role: "user", content: "Weather?" }, call("c1"), call("c2")], "resp_conv");
    const input: ResponsesRequest["input"] = [output("c1"), { role: "user", content: "Weather?" }, { role: "assistant", content: "Checking." }, output("c2")];
    const sources: MessageSource[] = [];
    const chat = toChatRequest({ ...base, input }, before, input, sources);
    expect(chat.messages.map((m) => [m.role, m.role === "tool" ? m.tool_call_id : typeof m.content === "string" ? m.content : ""])).toEqual([
      ["user", "Weather?"],
      ["assistant", ""],
      ["tool", "c1"],
      ["tool", "c2"],
      ["user", "Weather?"],
      ["assistant", "Checking."],
    ]);
    expect(sources.map((source) => source.item)).toEqual([0, 1, 3, 6, 4, 5]);

    // An output after a later turn's output: after its own call's turn, not the later one's.
    const crossed: ResponsesRequest["input"] = [{ role: "user", content: "a" }, call("c1"), { role: "user", content: "b" }, call("c2"), output("c2"), output("c1")];
    const crossedSources: MessageSource[] = [];
    const roles = toChatRequest({ ...base, input: crossed }, [], crossed, crossedSources).messages.map((m) => (m.role === "tool" ? `tool:${m.tool_call_id}` : m.role));
    expect(roles).toEqual(["user", "assistant", "tool:c1", "user", "assistant", "tool:c2"]);
    expect(crossedSources.map((source) => source.item)).toEqual([0, 1, 5, 2, 3, 4]);

    // Outputs sent in another order than their calls (OpenAI pairs them by call_id): in the calls' order,
    // as providers that pair them by position (Gemini, Ollama) read them.
    const shuffled: ResponsesRequest["input"] = [{ role: "user", content: "a" }, call("c1"), call("c2"), call("c3"), output("c3"), output("c1"), output("c2")];
    const shuffledSources: MessageSource[] = [];
    const ordered = toChatRequest({ ...base, input: shuffled }, [], shuffled, shuffledSources).messages.map((m) => (m.role === "tool" ? m.tool_call_id : m.role));
    expect(ordered).toEqual(["user", "assistant", "c1", "c2", "c3"]);
    expect(shuffledSources.map((source) => source.item)).toEqual([0, 1, 5, 6, 4]);
  });

  test("thinking between two calls of one turn (interleaved thinking) goes back whole, in order", () => {
    const input: ResponsesRequest["input"] = [
      { role: "user", content: "Weather?" },
      { type: "reasoning", summary: [{ type: "summary_text", text: "First Paris." }] },
      { type: "function_call", call_id: "c1", name: "w", arguments: "{}" },
      { type: "reasoning", summary: [{ type: "summary_text", text: "Then Rome." }] },
      { type: "function_call", call_id: "c2", name: "w", arguments: "{}" },
      { type: "function_call_output", call_id: "c1", output: "a" },
      { type: "function_call_output", call_id: "c2", output: "b" },
    ];
    const turn = convert({ ...base, input }).messages[1] as { reasoning_content?: string; tool_calls?: unknown[] };
    expect(turn.reasoning_content).toBe("First Paris.\n\nThen Rome.");
    expect(turn.tool_calls).toHaveLength(2);
  });

  test("within one input nothing is left out: a call id used for two turns is two turns", () => {
    const input: ResponsesRequest["input"] = [
      { role: "user", content: "Paris?" },
      { type: "function_call", call_id: "call_0", name: "w", arguments: "{}" },
      { type: "function_call_output", call_id: "call_0", output: "rain" },
      { role: "user", content: "Rome?" },
      { type: "function_call", call_id: "call_0", name: "w", arguments: "{}" },
      { type: "function_call_output", call_id: "call_0", output: "rain" },
    ];
    expect(convert({ ...base, input }).messages.map((m) => m.role)).toEqual(["user", "assistant", "tool", "user", "assistant", "tool"]);
  });

  test("reasoning, text and function calls of one turn are one assistant message; outputs are tool messages", () => {
    const chat = convert({
      ...base,
      input: [
        { role: "user", content: "Weather in Paris and Rome?" },
        { type: "reasoning", summary: [{ type: "summary_text", text: "Two cities." }] },
        { role: "assistant", content: "Checking." },
        { type: "function_call", call_id: "call_1", name: "weather", arguments: '{"city":"Paris"}' },
        { type: "function_call", call_id: "call_2", name: "weather", arguments: '{"city":"Rome"}' },
        { type: "function_call_output", call_id: "call_1", output: "sunny" },
        { type: "function_call_output", call_id: "call_2", output: [{ type: "input_text", text: "rain" }] },
        { type: "function_call", call_id: "call_3", name: "weather", arguments: "{}" },
        { type: "function_call_output", call_id: "call_3", output: "mild" },
      ],
    });
    expect(chat.messages).toEqual([
      { role: "user", content: "Weather in Paris and Rome?" },
      {
        role: "assistant",
        content: "Checking.",
        reasoning_content: "Two cities.",
        tool_calls: [
          { id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
          { id: "call_2", type: "function", function: { name: "weather", arguments: '{"city":"Rome"}' } },
        ],
      } as never,
      { role: "tool", tool_call_id: "call_1", content: "sunny" },
      { role: "tool", tool_call_id: "call_2", content: "rain" },
      { role: "assistant", content: null, tool_calls: [{ id: "call_3", type: "function", function: { name: "weather", arguments: "{}" } }] },
      { role: "tool", tool_call_id: "call_3", content: "mild" },
    ]);
  });

  test("an output of several text parts is one text, a line apart (their boundary kept; the content a string, as some servers require)", () => {
    const chat = convert({
      ...base,
      input: [
        { role: "user", content: "Run the tests." },
        { type: "function_call", call_id: "call_t", name: "run", arguments: "{}" },
        { type: "function_call_output", call_id: "call_t", output: [{ type: "input_text", text: "3 pass" }, { type: "input_text", text: "0 fail" }] },
      ],
    });
    expect(chat.messages.at(-1)).toEqual({ role: "tool", tool_call_id: "call_t", content: "3 pass\n0 fail" });
  });

  test("images in function outputs: the tool messages keep the text, each output's images follow all the outputs as a user message", () => {
    const shot = "data:image/png;base64,iVBORw0KGgo=";
    const call = (id: string) => functionCall(id, "screenshot");
    const chat = convert({
      ...base,
      input: [
        { role: "user", content: "Look at both windows." },
        call("call_a"),
        call("call_b"),
        call("call_c"),
        { type: "function_call_output", call_id: "call_a", output: [{ type: "input_image", image_url: shot, detail: "low" }] },
        { type: "function_call_output", call_id: "call_b", output: [{ type: "input_text", text: "Window B:" }, { type: "input_image", image_url: "https://x.example/b.png", detail: "original" }] },
        { type: "function_call_output", call_id: "call_c", output: "no window" },
        { type: "reasoning", summary: [{ type: "summary_text", text: "Seen." }] },
        { role: "assistant", content: "Both are open." },
      ],
    });
    const calls = ["call_a", "call_b", "call_c"].map((id) => ({ id, type: "function", function: { name: "screenshot", arguments: "{}" } }));
    expect(chat.messages).toEqual([
      { role: "user", content: "Look at both windows." },
      { role: "assistant", content: null, tool_calls: calls } as never,
      { role: "tool", tool_call_id: "call_a", content: '[the output is the images in the user message labelled "images returned by tool call call_a"]' },
      { role: "tool", tool_call_id: "call_b", content: "Window B:" },
      { role: "tool", tool_call_id: "call_c", content: "no window" },
      { role: "user", content: [{ type: "text", text: "[images returned by tool call call_a]" }, { type: "image_url", image_url: { url: shot, detail: "low" } }] },
      {
        role: "user",
        content: [{ type: "text", text: "[images returned by tool call call_b]" }, { type: "image_url", image_url: { url: "https://x.example/b.png", detail: "high" } }],
      },
      { role: "assistant", content: "Both are open.", reasoning_content: "Seen." } as never,
    ]);

    // The last items: the images come at the end, after a stored conversation and before a string input.
    const image = { type: "input_image" as const, image_url: shot };
    const stored = normalizeInput([call("call_d"), { type: "function_call_output", call_id: "call_d", output: [image] }], "resp_prev");
    const imageMessage = { role: "user", content: [{ type: "text", text: "[images returned by tool call call_d]" }, { type: "image_url", image_url: { url: shot } }] };
    expect(toChatRequest({ ...base, input: "And now?" }, stored, "And now?").messages.slice(-2)).toEqual([imageMessage, { role: "user", content: "And now?" }] as never);
    expect(toChatRequest({ ...base }, stored, undefined).messages.at(-1)).toEqual(imageMessage as never);
  });

  test("files in function outputs follow the tool messages as the user's, as images do; a file-only output says where it is", () => {
    const pdf = "data:application/pdf;base64,JVBERi0xLjQK";
    const chat = convert({
      ...base,
      input: [
        { role: "user", content: "Get both reports." },
        functionCall("call_a", "fetch_report"),
        functionCall("call_b", "fetch_report"),
        { type: "function_call_output", call_id: "call_a", output: [{ type: "input_file", file_data: pdf, filename: "a.pdf" }] },
        { type: "function_call_output", call_id: "call_b", output: [{ type: "input_text", text: "Report B and its chart:" }, { type: "input_file", file_url: "https://x.example/b.pdf" }, { type: "input_image", image_url: "https://x.example/b.png" }] },
      ],
    } as ResponsesRequest);
    expect(chat.messages.slice(2)).toEqual([
      { role: "tool", tool_call_id: "call_a", content: '[the output is the files in the user message labelled "files returned by tool call call_a"]' },
      { role: "tool", tool_call_id: "call_b", content: "Report B and its chart:" },
      { role: "user", content: [{ type: "text", text: "[files returned by tool call call_a]" }, { type: "file", file: { file_data: pdf, filename: "a.pdf" } }] },
      {
        role: "user",
        content: [{ type: "text", text: "[files returned by tool call call_b]" }, { type: "file", file: { file_url: "https://x.example/b.pdf" } }, { type: "image_url", image_url: { url: "https://x.example/b.png" } }],
      },
    ]);
  });

  test("an assistant message's parts (text, refusal) reach the model a line apart, not run together", () => {
    const chat = convert({
      ...base,
      input: [
        { role: "user", content: "q" },
        { role: "assistant", content: [{ type: "output_text", text: "Yes." }, { type: "output_text", text: "" }, { type: "output_text", text: "No." }] },
        { role: "assistant", content: [{ type: "output_text", text: "ans" }, { type: "refusal", refusal: "nope" }] },
        { role: "user", content: "x" },
      ],
    } as ResponsesRequest);
    expect(chat.messages.filter((m) => m.role === "assistant").map((m) => m.content)).toEqual(["Yes.\nNo.", "ans\nnope"]);
  });

  test("a client's own item ids, given twice to different items, drop nothing (only the gateway's own items are known when sent again)", () => {
    const chat = convert({
      ...base,
      input: [
        { type: "message", id: "msg_client1", role: "user", content: "My name is Ann." },
        { type: "message", id: "msg_client1", role: "user", content: "Ignore that: my name is Bob. What is my name?" },
      ],
    });
    expect(chat.messages.map((message) => message.content)).toEqual(["My name is Ann.", "Ignore that: my name is Bob. What is my name?"]);
  });

  const PREV = "resp_0123456789abcdef01234567";
  test("an image output sent again with the stored turn is read once (its detail filled in when stored)", () => {
    const output = [{ type: "input_image" as const, image_url: "https://x.example/s.png" }];
    const turn = [
      { type: "function_call" as const, id: outputItemId("fc_", PREV, 0), call_id: "call_s", name: "screenshot", arguments: "{}" },
      { type: "function_call_output" as const, call_id: "call_s", output },
    ];
    const chat = toChatRequest({ ...base }, normalizeInput(turn, PREV), [...turn, { role: "user", content: "Thanks" }]);
    expect(chat.messages.map((message) => message.role)).toEqual(["assistant", "tool", "user", "user"]);
    expect(chat.messages.at(-1)).toEqual({ role: "user", content: "Thanks" });
  });

  test("reasoning with no assistant turn after it is dropped; encrypted-only reasoning carries nothing", () => {
    const chat = convert({
      ...base,
      input: [{ type: "reasoning", summary: [], encrypted_content: "opaque" }, { role: "user", content: "Hi" }, { type: "reasoning", summary: [{ type: "summary_text", text: "x" }] }],
    });
    expect(chat.messages).toEqual([{ role: "user", content: "Hi" }]);
  });

  test("reasoning given as reasoning_text content (open models' full thinking) is handed back when there is no summary", () => {
    const item = (summary: string[], content: string[]) => ({
      type: "reasoning",
      summary: summary.map((text) => ({ type: "summary_text", text })),
      content: content.map((text) => ({ type: "reasoning_text", text })),
    });
    const turn = (reasoning: ReturnType<typeof item>) => convert({ ...base, input: [{ role: "user", content: "Hi" }, reasoning, { role: "assistant", content: "Hello" }] } as ResponsesRequest).messages[1];
    expect(turn(item([], ["Step one.", "Step two."])) as unknown).toEqual({ role: "assistant", content: "Hello", reasoning_content: "Step one.\n\nStep two." });
    expect(turn(item(["In short."], ["Step one."])) as unknown).toEqual({ role: "assistant", content: "Hello", reasoning_content: "In short." });
    expect(normalizeInput([item([], ["Step one."])] as ResponsesRequest["input"], "resp_test")[0]).toMatchObject({ content: [{ type: "reasoning_text", text: "Step one." }] });
  });

  test("no input and no instructions is a 400 on input", () => {
    expect(paramOf(() => convert({ ...base }))).toBe("input");
    expect(paramOf(() => convert({ ...base, input: [] }))).toBe("input");
  });
});

describe("options", () => {
  test("tools, tool_choice, parallel_tool_calls, text.format, reasoning.effort, limits, sampling, user", () => {
    const chat = convert({
      ...base,
      input: "Hi",
      tools: [{ type: "function", name: "f", description: "does f", parameters: { type: "object", properties: {} }, strict: true }],
      tool_choice: { type: "function", name: "f" },
      parallel_tool_calls: false,
      text: { format: { type: "json_schema", name: "out", schema: { type: "object" }, strict: true, description: "d" } },
      reasoning: { effort: "high" },
      max_output_tokens: 64,
      temperature: 0.3,
      top_p: 0.9,
      user: "u1",
      metadata: { a: "b" },
      store: false,
    });
    const { messages: _m, ...rest } = chat;
    expect(rest as Record<string, unknown>).toEqual({
      model: "m",
      tools: [{ type: "function", function: { name: "f", description: "does f", parameters: { type: "object", properties: {} }, strict: true } }],
      tool_choice: { type: "function", function: { name: "f" } },
      parallel_tool_calls: false,
      response_format: { type: "json_schema", json_schema: { name: "out", schema: { type: "object" }, strict: true, description: "d" } },
      reasoning_effort: "high",
      max_completion_tokens: 64,
      temperature: 0.3,
      top_p: 0.9,
      user: "u1",
    });
  });

  test("stream asks the provider for usage; text and json_object formats", () => {
    expect(convert({ ...base, input: "x", stream: true })).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(convert({ ...base, input: "x", text: { format: { type: "text" } } }).response_format).toBeUndefined();
    expect(convert({ ...base, input: "x", text: { format: { type: "json_object" } } }).response_format).toEqual({ type: "json_object" });
  });

  test("allowed_tools narrows the tools and sets the mode", () => {
    const chat = convert({
      ...base,
      input: "x",
      tools: [{ type: "function", name: "a" }, { type: "function", name: "b" }],
      tool_choice: { type: "allowed_tools", mode: "required", tools: [{ type: "function", name: "b" }] },
    });
    expect(chat.tools?.map((t) => t.function.name)).toEqual(["b"]);
    expect(chat.tool_choice).toBe("required");
  });

  test("allowed_tools may name a namespace's tool by its function name", () => {
    const chat = convert({
      ...base,
      input: "x",
      tools: [{ type: "function", name: "a" }, { type: "namespace", name: "crm", description: "", tools: [{ type: "function", name: "find" }] }],
      tool_choice: { type: "allowed_tools", mode: "auto", tools: [{ type: "function", name: "crm__find" }] },
    } as ResponsesRequest);
    expect(chat.tools?.map((t) => t.function.name)).toEqual(["crm__find"]);
  });

  test("allowed_tools naming a tool that is not in tools is a 400 naming it (not a complaint that tools are missing)", () => {
    const tools = [{ type: "function", name: "a" }, { type: "function", name: "b" }];
    const choice = (...names: string[]) => ({ type: "allowed_tools", mode: "required" as const, tools: names.map((name) => ({ type: "function", name })) });
    expect(paramOf(() => convert({ ...base, input: "x", tools, tool_choice: choice("a", "zz") }))).toBe("tool_choice.tools[1].name");
    expect(paramOf(() => convert({ ...base, input: "x", tool_choice: choice("a") }))).toBe("tool_choice.tools[0].name");
    expect(() => convert({ ...base, input: "x", tools, tool_choice: choice("zz") })).toThrow("no function named 'zz' is in 'tools'");
  });

  test("parallel_tool_calls without tools is not sent (Chat Completions refuses it)", () => {
    expect("parallel_tool_calls" in convert({ ...base, input: "x", parallel_tool_calls: true })).toBe(false);
  });

  test.each([
    ["web_search"],
    ["file_search"],
    ["computer_use_preview"],
    ["code_interpreter"],
    ["image_generation"],
    ["mcp"],
    ["apply_patch"],
    ["shell"],
    ["local_shell"],
  ])("built-in tool type %s is a 400 naming tools[i].type", (type) => {
    expect(paramOf(() => convert({ ...base, input: "x", tools: [{ type: "function", name: "f" }, { type }] }))).toBe("tools[1].type");
  });

  test.each([
    [{ tools: [{ type: "function" }] }, "tools[0].name"],
    [{ tool_choice: { type: "function" } }, "tool_choice.name"],
    [{ tool_choice: { type: "web_search_preview" } }, "tool_choice.type"],
    [{ text: { format: { type: "json_schema", schema: {} } } }, "text.format.name"],
    [{ text: { format: { type: "json_schema", name: "x" } } }, "text.format.schema"],
  ] as [Partial<ResponsesRequest>, string][])("%j → 400 on %s", (extra, param) => {
    expect(paramOf(() => convert({ ...base, input: "x", ...extra }))).toBe(param);
  });
});

describe("normalizeInput", () => {
  test("gives every item an id made from the response's and its place, and OpenAI's resource form; keeps ids the client sent", () => {
    const items = normalizeInput([
      { role: "user", content: "Hi" },
      { id: "msg_mine", role: "assistant", content: "Hello" },
      { type: "function_call", call_id: "c", name: "f", arguments: "{}" },
      { type: "function_call_output", call_id: "c", output: "ok" },
      { type: "reasoning", summary: [{ type: "summary_text", text: "t" }] },
      { role: "user", content: [{ type: "input_image", image_url: "https://x.example/i.png" }] },
    ], "resp_abc");
    expect(items).toEqual([
      { id: "msg_abci0000", type: "message", role: "user", status: "completed", content: [{ type: "input_text", text: "Hi" }] },
      { id: "msg_mine", type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: "Hello", annotations: [], logprobs: [] }] },
      { id: "fc_abci0002", type: "function_call", status: "completed", call_id: "c", name: "f", arguments: "{}" },
      { id: "fco_abci0003", type: "function_call_output", status: "completed", call_id: "c", output: "ok" },
      { id: "rs_abci0004", type: "reasoning", summary: [{ type: "summary_text", text: "t" }] },
      { id: "msg_abci0005", type: "message", role: "user", status: "completed", content: [{ type: "input_image", image_url: "https://x.example/i.png", detail: "auto" }] },
    ] as never);
  });

  test("a string is one user message; an item reference is the stored item, or a 400 naming it", () => {
    expect(normalizeInput("Hi", "resp_abc")).toEqual([
      { id: "msg_abci0000", type: "message", role: "user", status: "completed", content: [{ type: "input_text", text: "Hi" }] },
    ] as never);
    const stored = { id: "msg_old0000", type: "message", role: "assistant", status: "completed", content: [] };
    const input: ResponsesRequest["input"] = [{ role: "user", content: "ok" }, { type: "item_reference", id: "msg_old0000" }];
    expect(normalizeInput(input, "resp_abc", new Map([["msg_old0000", stored]]))[1]).toBe(stored);
    expect(paramOf(() => normalizeInput(input, "resp_abc"))).toBe("input[1].id");
    // Without a type (or with null), an item with an id and no role is a reference too.
    const untyped: ResponsesRequest["input"] = [{ id: "msg_old0000" }, { type: null, id: "msg_old0000" }, { id: "msg_mine", role: "user", content: "x" }];
    expect(referencedIds(untyped)).toEqual(["msg_old0000", "msg_old0000"]);
    const normalized = normalizeInput(untyped, "resp_abc", new Map([["msg_old0000", stored]]));
    expect(normalized.slice(0, 2)).toEqual([stored, stored] as never);
    expect(normalized[2]).toMatchObject({ id: "msg_mine", type: "message", role: "user" });
  });
});

describe("assertInputRules", () => {
  test("a string, no input and well-formed items of each type pass", () => {
    expect(() => assertInputRules(undefined)).not.toThrow();
    expect(() => assertInputRules("Hi")).not.toThrow();
    expect(() =>
      assertInputRules([
        { role: "user", content: [{ type: "input_text", text: "a" }, { type: "input_image", image_url: "https://x.example/i.png" }] },
        { role: "assistant", content: [{ type: "output_text", text: "b" }, { type: "refusal", refusal: "no" }] },
        { type: "item_reference", id: "msg_x" },
        { id: "msg_y" },
        { type: null, id: "msg_z" },
        { type: "function_call", call_id: "c", name: "f", arguments: "{}" },
        { type: "function_call_output", call_id: "c", output: [{ type: "output_text", text: "ok" }] },
        { type: "function_call_output", call_id: "c", output: [{ type: "input_image", image_url: "https://x.example/i.png" }] },
        { type: "reasoning", summary: [{ type: "summary_text", text: "t" }] },
      ]),
    ).not.toThrow();
  });

  test("empty content passes, as OpenAI's document and API allow (an instructions-only request sends an empty user message)", () => {
    expect(() => assertInputRules([{ role: "user", content: "" }])).not.toThrow();
    expect(() => assertInputRules([{ role: "user", content: [] }])).not.toThrow();
    expect(() => assertInputRules([{ role: "developer", content: [{ type: "input_text", text: "" }] }])).not.toThrow();
    const chat = toChatRequest({ model: "m", instructions: "Be brief.", input: [{ role: "user", content: "" }, { role: "user", content: [] }] }, [], [{ role: "user", content: "" }, { role: "user", content: [] }]);
    expect(chat.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "" },
      { role: "user", content: "" },
    ]);
  });

  test.each([
    [[{ content: "x" }], "input[0].type"],
    [[{ type: null, content: "x" }], "input[0].type"],
    [[{ type: "message", content: "x" }], "input[0].role"],
    [[{ role: "user" }], "input[0].content"],
    [[{ role: "user", content: "ok" }, { type: "item_reference" }], "input[1].id"],
    [[{ type: "function_call_output", call_id: "c", output: [{ type: "input_audio" }] }], "input[0].output[0].type"],
    [[{ type: "function_call_output", call_id: "c", output: [{ type: "input_file", file_data: "@@", filename: "a.pdf" }] }], "input[0].output[0].file_data"],
    [[{ type: "function_call_output", call_id: "c", output: [{ type: "input_text", text: "a" }, { type: "input_image" }] }], "input[0].output[1].image_url"],
    [[{ type: "function_call_output", call_id: "c", output: [{ type: "input_image", file_id: "file-1" }] }], "input[0].output[0].file_id"],
    [[{ type: "function_call_output", call_id: "c", output: [{ type: "output_text" }] }], "input[0].output[0].text"],
    [[{ role: "assistant", content: [{ type: "refusal" }] }], "input[0].content[0].refusal"],
    [[{ type: "computer_call_output", call_id: "x" }], "input[0].type"],
    [[{ type: "function_call", name: "f", arguments: "{}" }], "input[0].call_id"],
    [[{ type: "function_call", call_id: "c", arguments: "{}" }], "input[0].name"],
    [[{ type: "function_call", call_id: "c", name: "f" }], "input[0].arguments"],
    [[{ type: "function_call_output", call_id: "c" }], "input[0].output"],
    [[{ type: "function_call_output", output: "x" }], "input[0].call_id"],
    [[{ role: "user", content: [{ type: "input_audio" }] }], "input[0].content[0].type"],
    [[{ role: "user", content: [{ type: "input_file", filename: "a.pdf" }] }], "input[0].content[0].file_data"],
    [[{ role: "user", content: [{ type: "input_file", file_url: "ftp://x.example/a.pdf" }] }], "input[0].content[0].file_url"],
    [[{ role: "user", content: [{ type: "input_file", file_url: "not a url" }] }], "input[0].content[0].file_url"],
    [[{ role: "assistant", content: [{ type: "input_file", file_data: "data:application/pdf;base64,JVBERi0=" }] }], "input[0].content[0].type"],
    [[{ role: "system", content: [{ type: "input_file", file_data: "data:application/pdf;base64,JVBERi0=" }] }], "input[0].content[0].type"],
    [[{ role: "developer", content: [{ type: "input_file", file_id: "file-1" }] }], "input[0].content[0].type"],
    [[{ role: "user", content: [{ type: "input_file", file_data: "@@@", filename: "a.pdf" }] }], "input[0].content[0].file_data"],
    [[{ role: "user", content: [{ type: "input_file", file_data: "aGk=" }] }], "input[0].content[0].file_data"],
    [[{ role: "user", content: [{ type: "input_file", file_data: "data:application/pdf;base64,!!" }] }], "input[0].content[0].file_data"],
    [[{ role: "user", content: [{ type: "input_text" }] }], "input[0].content[0].text"],
    [[{ role: "user", content: [{ type: "input_image" }] }], "input[0].content[0].image_url"],
    [[{ role: "user", content: [{ type: "input_image", file_id: "file-1" }] }], "input[0].content[0].file_id"],
    [[{ role: "assistant", content: [{ type: "input_image", image_url: "https://x.example/a.png" }] }], "input[0].content[0].type"],
    [[{ role: "user", content: [{ type: "refusal", refusal: "no" }] }], "input[0].content[0].type"],
    [[{ type: "reasoning", summary: [{ type: "other", text: "x" }] }], "input[0].summary[0].type"],
    [[{ type: "reasoning", summary: [], content: "thinking" }], "input[0].content"],
    [[{ type: "reasoning", summary: [], content: [{ type: "output_text", text: "x" }] }], "input[0].content[0].type"],
    [[{ type: "reasoning", summary: [], content: [{ type: "reasoning_text" }] }], "input[0].content[0].text"],
  ] as [ResponsesRequest["input"], string][])("%j → 400 on %s", (input, param) => {
    expect(paramOf(() => assertInputRules(input))).toBe(param);
  });
});

describe("message sources (recorded only to explain an error)", () => {
  test("each message records its item and type; an assistant turn records each call it took in", () => {
    const before = normalizeInput(
      [
        { role: "user", content: "Hi" },
        { type: "function_call", call_id: "c0", name: "f", arguments: "{}" },
        { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
      ],
      "resp_prev",
    );
    const input: ResponsesRequest["input"] = [
      { type: "function_call_output", call_id: "c0", output: "a" },
      { type: "function_call_output", call_id: "c1", output: "b" },
      { type: "reasoning", summary: [{ type: "summary_text", text: "so" }] },
      { role: "assistant", content: "Done." },
      { type: "function_call", call_id: "c2", name: "f", arguments: "{}" },
      { type: "function_call_output", call_id: "c2", output: "c" },
    ];
    const sources: MessageSource[] = [];
    const chat = toChatRequest({ ...base, instructions: "Be brief.", input }, before, input, sources);
    expect(chat.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool", "tool", "assistant", "tool"]);
    expect(sources).toEqual([
      { item: -1, type: "instructions" },
      { item: 0, type: "message" },
      { item: 1, type: "function_call", calls: [{ item: 1, type: "function_call" }, { item: 2, type: "function_call" }] },
      { item: 3, type: "function_call_output" },
      { item: 4, type: "function_call_output" },
      { item: 6, type: "message", calls: [{ item: 7, type: "function_call" }] },
      { item: 8, type: "function_call_output" },
    ]);
  });

  test("an output's images, a user message of their own, record the output's item", () => {
    const image = { type: "input_image" as const, image_url: "https://x.example/a.png" };
    const input: ResponsesRequest["input"] = [
      { type: "function_call", call_id: "a", name: "f", arguments: "{}" },
      { type: "function_call", call_id: "b", name: "f", arguments: "{}" },
      { type: "function_call_output", call_id: "a", output: [image] },
      { type: "function_call_output", call_id: "b", output: [{ type: "input_text", text: "b:" }, image] },
      { role: "user", content: "Which?" },
    ];
    const sources: MessageSource[] = [];
    const chat = toChatRequest({ ...base, input }, [], input, sources);
    expect(chat.messages.map((m) => m.role)).toEqual(["assistant", "tool", "tool", "user", "user", "user"]);
    expect(sources).toEqual([
      { item: 0, type: "function_call", calls: [{ item: 0, type: "function_call" }, { item: 1, type: "function_call" }] },
      { item: 2, type: "function_call_output" },
      { item: 3, type: "function_call_output" },
      { item: 2, type: "function_call_output", parts: [-1, 0] },
      { item: 3, type: "function_call_output", parts: [-1, 1] },
      { item: 4, type: "message" },
    ]);
  });

  test("a string input is one message item after the stored ones", () => {
    const sources: MessageSource[] = [];
    toChatRequest({ ...base, input: "Hello" }, normalizeInput("Hi", "resp_prev"), "Hello", sources);
    expect(sources).toEqual([
      { item: 0, type: "message" },
      { item: 1, type: "message" },
    ]);
  });
});
