import { describe, expect, test } from "bun:test";
import type { ChunkResult } from "../../plugin.ts";
import { expectOpenAI } from "../../testing/openai-schema.ts";
import { CustomInputStream, customArguments, customInput } from "./custom-tools.ts";
import { toResponse } from "./from-chat-result.ts";
import { assertInputRules } from "./input-rules.ts";
import { normalizeInput } from "./normalize-input.ts";
import type { ResponsesRequest } from "./request-schema.ts";
import { responseFrame } from "./response-frame.ts";
import { responsesStreamEncoder } from "./stream-encoder.ts";
import { toChatRequest } from "./to-chat-request.ts";

const patchTool = {
  type: "custom",
  name: "apply_patch",
  description: "Edit files",
  format: { type: "grammar" as const, syntax: "lark" as const, definition: 'start: "*** Begin Patch" LF' },
};
const noteTool = { type: "custom", name: "note" };
const weather = { type: "function", name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } };
const request = (extra: Partial<ResponsesRequest>): ResponsesRequest => ({ model: "m", input: "x", ...extra });
const convert = (r: ResponsesRequest) => toChatRequest(r, [], r.input);
const paramOf = (f: () => unknown) => {
  try {
    f();
  } catch (error) {
    return (error as { param?: string }).param;
  }
  return "no error";
};

describe("customInput: the input from the function arguments a provider made", () => {
  test.each([
    ['{"input":"a\\nb \\"q\\" \\u00e9"}', 'a\nb "q" é'],
    ['{ "input" : "" }', ""],
    ['{"input":"x","extra":1}', "x"],
    ['{"input":{"not":"text"}}', '{"input":{"not":"text"}}'],
    ["*** Begin Patch", "*** Begin Patch"],
    ["[1,2]", "[1,2]"],
    // Cut short (a length finish) after the opening: the text up to the cut.
    ['{"input":"abc', "abc"],
    ['{"input": "x\\', "x"],
    ['{"input":"a\\u00', "a"],
    ['{"input":"abc"} trailing', "abc"],
  ])("%s → %j", (args, input) => {
    expect(customInput(args)).toBe(input);
  });

  test("customArguments and customInput are inverses", () => {
    for (const input of ["", "plain", 'quote " and \\ backslash', "line\nbreak\ttab", "emoji 😀 é", "\u0000 control"]) {
      expect(customInput(customArguments(input))).toBe(input);
    }
  });
});

describe("CustomInputStream: the input decoded while the arguments stream", () => {
  /** Deltas for the arguments cut at the given places, plus what the end adds. */
  const deltas = (args: string, cuts: number[]) => {
    const stream = new CustomInputStream();
    const out: string[] = [];
    let at = 0;
    for (const cut of [...cuts, args.length]) {
      out.push(stream.push(args.slice(at, cut)));
      at = cut;
    }
    return { out, rest: stream.rest(customInput(args)) };
  };

  test("every way of cutting the arguments in two or three gives deltas that add up to the input", () => {
    for (const input of ["*** Begin Patch\n*** Add File: a.txt\n+\"hi\" \\ there\n*** End Patch", "é😀\u0001", ""]) {
      for (const spacing of ["", " "]) {
        const args = `{${spacing}"input"${spacing}:${spacing}${JSON.stringify(input)}${spacing}}`;
        for (let i = 0; i <= args.length; i++) {
          for (const j of [i, Math.min(args.length, i + 1), Math.min(args.length, i + 7)]) {
            const { out, rest } = deltas(args, [i, j]);
            expect(out.join("") + rest).toBe(input);
          }
        }
      }
    }
  });

  test("no delta holds half a character: a surrogate pair's first half waits for its second", () => {
    const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    const input = "a😀b😀";
    for (const args of [customArguments(input), '{"input":"a\\ud83d\\ude00b\\uD83D\\uDE00"}']) {
      for (let i = 0; i <= args.length; i++) {
        for (let j = i; j <= args.length; j++) {
          const { out, rest } = deltas(args, [i, j]);
          for (const delta of [...out, rest]) expect(lone.test(delta)).toBe(false);
          expect(out.join("") + rest).toBe(input);
        }
      }
    }
  });

  test("the text streams as it comes, not only at the end", () => {
    const { out, rest } = deltas('{"input":"hello world"}', [12, 17]);
    expect(out).toEqual(["he", "llo w", "orld"]);
    expect(rest).toBe("");
  });

  test("arguments of another shape give nothing while streaming; the end sends the whole input", () => {
    for (const args of ['{"path":"a","input":"x"}', "raw text the model wrote", '["input"]']) {
      const { out, rest } = deltas(args, [3, 9]);
      expect(out.join("")).toBe("");
      expect(rest).toBe(customInput(args));
    }
  });
});

describe("custom tools to the provider", () => {
  test("a custom tool is a function of one string, `input`, its grammar told in the parameter's description", () => {
    const chat = convert(request({ tools: [weather, patchTool, noteTool], tool_choice: { type: "custom", name: "apply_patch" } }));
    expect(chat.tools).toEqual([
      { type: "function", function: { name: "get_weather", parameters: weather.parameters } },
      {
        type: "function",
        function: {
          name: "apply_patch",
          description: "Edit files",
          parameters: {
            type: "object",
            properties: { input: { type: "string", description: `The tool's input, as raw text (not JSON) that must match this Lark grammar:\n${patchTool.format.definition}` } },
            required: ["input"],
            additionalProperties: false,
          },
        },
      },
      {
        type: "function",
        function: {
          name: "note",
          parameters: { type: "object", properties: { input: { type: "string", description: "The tool's input, as free-form text." } }, required: ["input"], additionalProperties: false },
        },
      },
    ]);
    expect(chat.tool_choice).toEqual({ type: "function", function: { name: "apply_patch" } });
  });

  test("allowed_tools may name custom tools", () => {
    const chat = convert(request({ tools: [weather, noteTool], tool_choice: { type: "allowed_tools", mode: "required", tools: [{ type: "custom", name: "note" }] } }));
    expect(chat.tools?.map((t) => t.function.name)).toEqual(["note"]);
    expect(chat.tool_choice).toBe("required");
  });

  test("a grammar needs its syntax and definition (OpenAI's CustomGrammarFormatParam); a tool_choice of the other kind than its tool is a 400", () => {
    expect(paramOf(() => convert(request({ tools: [{ type: "custom", name: "g", format: { type: "grammar", definition: "x" } }] })))).toBe("tools[0].format.syntax");
    expect(paramOf(() => convert(request({ tools: [{ type: "custom", name: "g", format: { type: "grammar", syntax: "regex" } }] })))).toBe("tools[0].format.definition");
    expect(paramOf(() => convert(request({ tools: [weather, noteTool], tool_choice: { type: "custom", name: "get_weather" } })))).toBe("tool_choice");
    expect(paramOf(() => convert(request({ tools: [weather, noteTool], tool_choice: { type: "function", name: "note" } })))).toBe("tool_choice");
    const allowed = (type: string) => ({ type: "allowed_tools", mode: "auto" as const, tools: [{ type: "function", name: "get_weather" }, { type, name: "note" }] });
    expect(paramOf(() => convert(request({ tools: [weather, noteTool], tool_choice: allowed("function") })))).toBe("tool_choice.tools[1].type");
    expect(convert(request({ tools: [weather, noteTool], tool_choice: allowed("custom") })).tools).toHaveLength(2);
  });

  test("two tools of one name are a 400 naming the second (a call names its tool only by name)", () => {
    expect(paramOf(() => convert(request({ tools: [weather, { type: "custom", name: "get_weather" }] })))).toBe("tools[1].name");
    expect(paramOf(() => convert(request({ tools: [weather, weather] })))).toBe("tools[1].name");
    expect(paramOf(() => convert(request({ tools: [{ type: "custom" }] })))).toBe("tools[0].name");
  });

  test("custom calls and their outputs are the assistant's tool calls and tool messages; a call sent again is read once", () => {
    const call = { type: "custom_tool_call", call_id: "call_p", name: "apply_patch", input: "*** Begin Patch\n*** End Patch" };
    const output = { type: "custom_tool_call_output", call_id: "call_p", output: "Done" };
    // The call twice before its output: sent again (as a client continuing a stored turn does), read once.
    const input = [{ role: "user" as const, content: "Fix it" }, call, call, output, { role: "user" as const, content: "Thanks" }];
    assertInputRules(input);
    const chat = convert(request({ tools: [patchTool], input }));
    expect(chat.messages).toEqual([
      { role: "user", content: "Fix it" },
      { role: "assistant", content: null, tool_calls: [{ id: "call_p", type: "function", function: { name: "apply_patch", arguments: customArguments(call.input) } }] },
      { role: "tool", tool_call_id: "call_p", content: "Done" },
      { role: "user", content: "Thanks" },
    ]);
  });

  test.each([
    [[{ type: "custom_tool_call", name: "n", input: "" }], "input[0].call_id"],
    [[{ type: "custom_tool_call", call_id: "c", input: "" }], "input[0].name"],
    [[{ type: "custom_tool_call", call_id: "c", name: "n" }], "input[0].input"],
    [[{ type: "custom_tool_call_output", call_id: "c" }], "input[0].output"],
    [[{ type: "custom_tool_call_output", call_id: "c", output: [{ type: "input_file" }] }], "input[0].output[0].file_data"],
    [[{ type: "custom_tool_call_output", call_id: "c", output: [{ type: "input_audio" }] }], "input[0].output[0].type"],
  ])("%j → 400 on %s", (input, param) => {
    expect(paramOf(() => assertInputRules(input as ResponsesRequest["input"]))).toBe(param);
  });

  test("input_items lists custom calls and outputs in OpenAI's resource form", () => {
    const items = normalizeInput(
      [
        { type: "custom_tool_call", call_id: "c", name: "note", input: "hi" },
        { type: "custom_tool_call_output", call_id: "c", output: "ok" },
      ],
      "resp_00ff",
    );
    expect(items).toEqual([
      { id: "ctc_00ffi0000", type: "custom_tool_call", status: "completed", call_id: "c", name: "note", input: "hi" },
      { id: "ctco_00ffi0001", type: "custom_tool_call_output", status: "completed", call_id: "c", output: "ok" },
    ]);
    expectOpenAI("ResponseItemList", { object: "list", data: items, first_id: items[0]!.id, last_id: items[1]!.id, has_more: false });
  });
});

/** A stream's events, each checked against OpenAI's document. */
function eventsOf(text: string) {
  const events = text
    .slice(0, -2)
    .split("\n\n")
    .map((block) => JSON.parse(block.split("\n")[1]!.slice("data: ".length)));
  for (const event of events) expectOpenAI("ResponseStreamEvent", event);
  return events;
}

describe("custom tool calls from the provider", () => {
  const frame = responseFrame(request({ tools: [weather, patchTool] }), "resp_c", 1700000000);

  test("the response echoes the custom tool as OpenAI does", () => {
    expect(frame.tools[1]).toEqual({ type: "custom", name: "apply_patch", description: "Edit files", format: patchTool.format });
    expect(responseFrame(request({ tools: [noteTool] }), "resp_d", 1).tools).toEqual([{ type: "custom", name: "note", format: { type: "text" } }]);
  });

  test("a call of a custom tool is a custom_tool_call item with the input text; a function's stays a function_call", () => {
    const response = toResponse(
      {
        choices: [
          {
            index: 0,
            finish_reason: "tool_calls",
            message: {
              content: null,
              tool_calls: [
                { id: "call_1", type: "function", function: { name: "apply_patch", arguments: customArguments("*** Begin Patch") } },
                { id: "call_2", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
              ],
            },
          },
        ],
      },
      frame,
      { input: 3, output: 4, reasoning: 0 },
      1700000001,
    );
    expectOpenAI("Response", response);
    expect(response.output).toEqual([
      { id: "ctc_c0000", type: "custom_tool_call", status: "completed", call_id: "call_1", name: "apply_patch", input: "*** Begin Patch" },
      { id: "fc_c0001", type: "function_call", status: "completed", call_id: "call_2", name: "get_weather", arguments: '{"city":"Oslo"}' },
    ]);
  });

  test("streamed arguments cut short by the length limit: the deltas, the done event and the item agree on the text so far", () => {
    const encoder = responsesStreamEncoder({ frame });
    let text = encoder.start();
    for (const piece of ['{"inp', 'ut":"*** Be', "gin Pa"]) {
      const first = piece === '{"inp';
      text += encoder.chunk({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, ...(first ? { id: "call_c", type: "function" as const } : {}), function: { ...(first ? { name: "apply_patch" } : {}), arguments: piece } }] } }] });
    }
    text += encoder.chunk({ choices: [{ index: 0, delta: {}, finish_reason: "length" }] });
    text += encoder.end({ input: 1, output: 2, reasoning: 0 });
    const events = eventsOf(text);
    const deltas = events.filter((e) => e.type === "response.custom_tool_call_input.delta").map((e) => e.delta).join("");
    expect(deltas).toBe("*** Begin Pa");
    expect(events.find((e) => e.type === "response.custom_tool_call_input.done").input).toBe("*** Begin Pa");
    expect(events.at(-1)).toMatchObject({ type: "response.incomplete", response: { output: [{ type: "custom_tool_call", input: "*** Begin Pa" }] } });
  });

  test("streamed: custom_tool_call_input deltas of the decoded text, its done event, then the item; every event is OpenAI's", () => {
    let finished: unknown;
    const encoder = responsesStreamEncoder({ frame, onFinish: (r) => (finished = r) });
    const args = customArguments('line "one"\nline two');
    const chunk = (delta: Record<string, unknown>, finish_reason?: string): ChunkResult => ({ choices: [{ index: 0, delta, finish_reason }] }) as ChunkResult;
    let text = encoder.start();
    text += encoder.chunk(chunk({ tool_calls: [{ index: 0, id: "call_9", type: "function", function: { name: "apply_patch", arguments: args.slice(0, 14) } }] }));
    text += encoder.chunk(chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(14) } }] }));
    text += encoder.chunk(chunk({ tool_calls: [{ index: 1, id: "call_10", type: "function", function: { name: "get_weather", arguments: "{}" } }] }, "tool_calls"));
    text += encoder.end({ input: 1, output: 2, reasoning: 0 });
    const events = eventsOf(text);
    expect(events.map((e) => e.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.custom_tool_call_input.delta",
      "response.custom_tool_call_input.delta",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.custom_tool_call_input.done",
      "response.output_item.done",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(events[2].item).toEqual({ id: "ctc_c0000", type: "custom_tool_call", status: "in_progress", call_id: "call_9", name: "apply_patch", input: "" });
    expect(events[3].delta + events[4].delta).toBe('line "one"\nline two');
    expect(events[7]).toMatchObject({ item_id: "ctc_c0000", output_index: 0, input: 'line "one"\nline two' });
    expect(events[11].response.output).toEqual((finished as { output: unknown }).output);
    expect(events[11].response.output[0]).toEqual({ id: "ctc_c0000", type: "custom_tool_call", status: "completed", call_id: "call_9", name: "apply_patch", input: 'line "one"\nline two' });
    expect(events[11].response.output[1].type).toBe("function_call");
  });
});
