import { describe, expect, test } from "bun:test";
import type { InlineImage, Message } from "../../src/kit.ts";
import { toOllamaMessages } from "./convert-messages.ts";

const none = new Map<string, InlineImage>();

function error(run: () => unknown): { status?: number; param?: string | null; message: string } {
  try {
    run();
  } catch (e) {
    return e as { status?: number; param?: string | null; message: string };
  }
  throw new Error("expected an error");
}

describe("roles", () => {
  test("system and developer are system; user, assistant and tool keep their role", () => {
    const messages: Message[] = [
      { role: "developer", content: "Be brief." },
      { role: "system", content: "You are helpful." },
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello!" },
    ];
    expect(toOllamaMessages(messages, none)).toEqual([
      { role: "system", content: "Be brief." },
      { role: "system", content: "You are helpful." },
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello!" },
    ]);
  });

  test("a tool message names its tool, found through tool_call_id", () => {
    const messages: Message[] = [
      { role: "user", content: "weather and time?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_a", type: "function", function: { name: "get_weather", arguments: '{"city":"Toronto"}' } },
          { id: "call_b", type: "function", function: { name: "get_time", arguments: "" } },
        ],
      },
      { role: "tool", tool_call_id: "call_b", content: "10:00" },
      { role: "tool", tool_call_id: "call_a", content: "11 degrees celsius" },
      { role: "tool", tool_call_id: "call_unknown", name: "legacy_name", content: "x" },
      { role: "tool", tool_call_id: "call_unknown", content: "y" },
    ];
    expect(toOllamaMessages(messages, none)).toEqual([
      { role: "user", content: "weather and time?" },
      {
        role: "assistant",
        content: "",
        tool_calls: [
          { function: { name: "get_weather", arguments: { city: "Toronto" } } },
          { function: { name: "get_time", arguments: {} } },
        ],
      },
      { role: "tool", content: "10:00", tool_name: "get_time" },
      { role: "tool", content: "11 degrees celsius", tool_name: "get_weather" },
      { role: "tool", content: "x", tool_name: "legacy_name" },
      { role: "tool", content: "y" },
    ]);
  });

  test("an assistant's reasoning_content goes back as thinking", () => {
    const answered = { role: "assistant" as const, content: "Three.", reasoning_content: "Count them." };
    expect(toOllamaMessages([answered], none)).toEqual([{ role: "assistant", content: "Three.", thinking: "Count them." }]);
  });
});

describe("content parts", () => {
  test("text parts are joined by newlines; images come from the loaded map, in order", () => {
    const messages: Message[] = [
      { role: "system", content: [{ type: "text", text: "Look closely." }, { type: "text", text: "Be exact." }] },
      {
        role: "user",
        content: [
          { type: "image_url", image_url: { url: "data:image/png;base64,AAA" } },
          { type: "text", text: "what is in" },
          { type: "image_url", image_url: { url: "https://example.com/b.png" } },
          { type: "text", text: "these images?" },
        ],
      },
    ];
    const images = new Map([
      ["messages[1].content[0]", { mimeType: "image/png", data: "AAA" }],
      ["messages[1].content[2]", { mimeType: "image/jpeg", data: "BBB" }],
    ]);
    expect(toOllamaMessages(messages, images)).toEqual([
      { role: "system", content: "Look closely.\nBe exact." },
      { role: "user", content: "what is in\nthese images?", images: ["AAA", "BBB"] },
    ]);
  });

  test("text files are read as text after their name; Ollama takes no other files (a 400 naming the part)", () => {
    const b64 = (text: string) => Buffer.from(text).toString("base64");
    const messages: Message[] = [
      {
        role: "user",
        content: [
          { type: "text", text: "Compare:" },
          { type: "file", file: { file_data: `data:text/csv;base64,${b64("a,b\n1,2")}`, filename: "t.csv" } },
          { type: "file", file: { file_data: b64("plain"), filename: "n.txt" } },
          { type: "file", file: { file_data: `data:application/json;base64,${b64("{}")}` } },
        ],
      },
    ];
    expect(toOllamaMessages(messages, none)).toEqual([{ role: "user", content: "Compare:\nt.csv:\na,b\n1,2\nn.txt:\nplain\n{}" }]);
    const pdf: Message[] = [{ role: "user", content: [{ type: "text", text: "x" }, { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=" } }] }];
    expect(() => toOllamaMessages(pdf, none)).toThrow(
      expect.objectContaining({ status: 400, param: "messages[0].content[1].file.file_data", message: expect.stringContaining("'messages[0].content[1].file.file_data'") }),
    );
  });

  test("audio is a 400 naming the part: Ollama takes none", () => {
    const messages: Message[] = [{ role: "user", content: [{ type: "text", text: "x" }, { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } }] }];
    expect(() => toOllamaMessages(messages, none)).toThrow(expect.objectContaining({ status: 400, param: "messages[0].content[1].type" }));
  });

  test("an image part that was not loaded is a bug, not a silent drop", () => {
    const messages: Message[] = [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/a.png" } }] }];
    expect(() => toOllamaMessages(messages, none)).toThrow("image messages[0].content[0] was not loaded");
  });
});

describe("tool-call arguments", () => {
  const withArguments = (args: string): Message[] => [
    { role: "user", content: "weather?" },
    { role: "assistant", content: null, tool_calls: [{ id: "call_a", type: "function", function: { name: "get_weather", arguments: args } }] },
  ];

  test.each([
    ["{city: Tokyo}", "Invalid 'messages[1].tool_calls[0].function.arguments': not valid JSON. Tool-call arguments are a JSON object encoded as a string."],
    ['["Tokyo"]', "Invalid 'messages[1].tool_calls[0].function.arguments': tool-call arguments must be a JSON object, got an array."],
    ['"Tokyo"', "Invalid 'messages[1].tool_calls[0].function.arguments': tool-call arguments must be a JSON object, got a string."],
    ["null", "Invalid 'messages[1].tool_calls[0].function.arguments': tool-call arguments must be a JSON object, got null."],
  ])("%s is a 400 naming the field", (args, message) => {
    const e = error(() => toOllamaMessages(withArguments(args), none));
    expect(e).toMatchObject({ status: 400, param: "messages[1].tool_calls[0].function.arguments", message });
  });

  test("nested JSON objects become objects", () => {
    const [, assistant] = toOllamaMessages(withArguments('{"city":"Tokyo","when":{"day":1},"units":["c"]}'), none);
    expect(assistant!.tool_calls![0]!.function.arguments).toEqual({ city: "Tokyo", when: { day: 1 }, units: ["c"] });
  });
});

describe("JSON inside a string nested deeper than a body may be (a security probe)", () => {
  test("a call's arguments: a 400 naming them, not a stack overflow later counted as Ollama's failure", () => {
    const deep = `${'{"n":'.repeat(1_500)}1${"}".repeat(1_500)}`;
    const call = { id: "call_1", type: "function" as const, function: { name: "f", arguments: deep } };
    expect(() => toOllamaMessages([{ role: "user", content: "hi" }, { role: "assistant", content: null, tool_calls: [call] }], none)).toThrow(
      expect.objectContaining({ status: 400, param: "messages[1].tool_calls[0].function.arguments" }),
    );
  });
});
