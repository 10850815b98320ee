import { describe, expect, test } from "bun:test";
import type { Message } from "../../src/kit.ts";
import { toGeminiConversation } from "./convert-messages.ts";
import type { GeminiInlineData } from "./wire.ts";

const deepFreeze = <T>(value: T): T => {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
};
const convert = (messages: Message[], images = new Map<string, GeminiInlineData>()) => toGeminiConversation(deepFreeze(messages), images);

describe("system and developer messages", () => {
  test("go to systemInstruction in order, wherever they stand", () => {
    expect(
      convert([
        { role: "system", content: "You are a cat." },
        { role: "user", content: "Hello" },
        { role: "developer", content: [{ type: "text", text: "Answer in French." }, { type: "text", text: "Be brief." }] },
      ]),
    ).toEqual({
      systemInstruction: { parts: [{ text: "You are a cat." }, { text: "Answer in French." }, { text: "Be brief." }] },
      contents: [{ role: "user", parts: [{ text: "Hello" }] }],
    });
  });

  test("no system message: no systemInstruction", () => {
    expect(convert([{ role: "user", content: "Hi" }])).toEqual({ contents: [{ role: "user", parts: [{ text: "Hi" }] }] });
  });

  test("only system messages: a 400, since Gemini needs contents", () => {
    expect(() => convert([{ role: "system", content: "alone" }])).toThrow(
      expect.objectContaining({ status: 400, param: "messages", message: "Gemini needs at least one user or assistant message besides system messages." }),
    );
  });
});

describe("user and assistant messages", () => {
  test("assistant is role model; consecutive messages of one role are merged", () => {
    expect(
      convert([
        { role: "user", content: "Hello, what's your name?" },
        { role: "user", content: "And your age?" },
        { role: "assistant", content: "I'm Gemini." },
        { role: "assistant", content: [{ type: "text", text: "No age." }] },
        { role: "user", content: "Thanks" },
      ]),
    ).toEqual({
      contents: [
        { role: "user", parts: [{ text: "Hello, what's your name?" }, { text: "And your age?" }] },
        { role: "model", parts: [{ text: "I'm Gemini." }, { text: "No age." }] },
        { role: "user", parts: [{ text: "Thanks" }] },
      ],
    });
  });

  test("image parts become inlineData from the loaded images, in place", () => {
    const images = new Map([["messages[0].content[1]", { mimeType: "image/png", data: "iVBORw0KGgo=" }]]);
    expect(
      convert(
        [
          {
            role: "user",
            content: [
              { type: "text", text: "What is in this image?" },
              { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
            ],
          },
        ],
        images,
      ),
    ).toEqual({ contents: [{ role: "user", parts: [{ text: "What is in this image?" }, { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } }] }] });
  });

  test("file parts become inlineData with their media type; an uploaded file's id is a 400 naming it", () => {
    const pdf = Buffer.from("%PDF-1.7\n").toString("base64");
    expect(
      convert([
        {
          role: "user",
          content: [
            { type: "text", text: "Summarise both." },
            { type: "file", file: { file_data: `data:application/pdf;base64,${pdf}`, filename: "a.pdf" } },
            { type: "file", file: { file_data: "aGVsbG8=", filename: "notes.md" } },
          ],
        },
      ]),
    ).toEqual({
      contents: [{ role: "user", parts: [{ text: "Summarise both." }, { inlineData: { mimeType: "application/pdf", data: pdf } }, { inlineData: { mimeType: "text/markdown", data: "aGVsbG8=" } }] }],
    });
    expect(() => convert([{ role: "user", content: [{ type: "file", file: { file_id: "file-abc" } }] }])).toThrow(
      expect.objectContaining({ status: 400, param: "messages[0].content[0].file.file_id" }),
    );
  });

  test("input_audio parts become inlineData audio/wav or audio/mp3", () => {
    expect(
      convert([{ role: "user", content: [{ type: "text", text: "Transcribe." }, { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } }, { type: "input_audio", input_audio: { data: "SUQz", format: "mp3" } }] }]),
    ).toEqual({
      contents: [{ role: "user", parts: [{ text: "Transcribe." }, { inlineData: { mimeType: "audio/wav", data: "UklGRg==" } }, { inlineData: { mimeType: "audio/mp3", data: "SUQz" } }] }],
    });
  });

  test("an assistant message with empty content and no tool calls adds nothing", () => {
    expect(convert([{ role: "user", content: "a" }, { role: "assistant", content: "" }, { role: "user", content: "b" }])).toEqual({
      contents: [{ role: "user", parts: [{ text: "a" }, { text: "b" }] }],
    });
  });
});

describe("tool calls and tool results", () => {
  // The REST reference's function-calling turn: user asks, model calls, user answers with the result.
  test("tool_calls → functionCall parts; tool messages → functionResponse parts named after their call", () => {
    expect(
      convert([
        { role: "user", content: "What's the weather like in Boston and Paris?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "get_current_weather", arguments: '{"location":"Boston, MA"}' } },
            { id: "call_2", type: "function", function: { name: "get_time", arguments: "" } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: '{"temperature":22,"unit":"celsius"}' },
        { role: "tool", tool_call_id: "call_2", content: "10:42" },
        { role: "user", content: "Thanks!" },
      ]),
    ).toEqual({
      contents: [
        { role: "user", parts: [{ text: "What's the weather like in Boston and Paris?" }] },
        {
          role: "model",
          parts: [
            { functionCall: { name: "get_current_weather", args: { location: "Boston, MA" } } },
            { functionCall: { name: "get_time", args: {} } },
          ],
        },
        {
          role: "user",
          parts: [
            { functionResponse: { name: "get_current_weather", response: { temperature: 22, unit: "celsius" } } },
            { functionResponse: { name: "get_time", response: { output: "10:42" } } },
            { text: "Thanks!" },
          ],
        },
      ],
    });
  });

  test("assistant text before its tool calls stays in the same model turn", () => {
    const { contents } = convert([
      { role: "user", content: "hi" },
      { role: "assistant", content: "Let me check.", tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }] },
    ]);
    expect(contents[1]).toEqual({ role: "model", parts: [{ text: "Let me check." }, { functionCall: { name: "f", args: {} } }] });
  });

  test("a tool result that is JSON but not an object is wrapped as output text", () => {
    const { contents } = convert([
      { role: "user", content: "hi" },
      { role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }] },
      { role: "tool", tool_call_id: "c", content: [{ type: "text", text: "[1," }, { type: "text", text: "2]" }] },
    ]);
    expect(contents[2]).toEqual({ role: "user", parts: [{ functionResponse: { name: "f", response: { output: "[1,2]" } } }] });
  });

  test("an unknown tool_call_id is a 400 naming the field", () => {
    expect(() => convert([{ role: "user", content: "hi" }, { role: "tool", tool_call_id: "nope", content: "x" }])).toThrow(
      expect.objectContaining({ status: 400, param: "messages[1].tool_call_id" }),
    );
  });

  test("arguments that are not a JSON object are a 400 naming the field", () => {
    const bad = (args: string) => () =>
      convert([{ role: "user", content: "hi" }, { role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: args } }] }]);
    expect(bad("{oops")).toThrow(expect.objectContaining({ status: 400, param: "messages[1].tool_calls[0].function.arguments", message: "Invalid 'messages[1].tool_calls[0].function.arguments': not valid JSON." }));
    expect(bad("[1]")).toThrow(expect.objectContaining({ status: 400, param: "messages[1].tool_calls[0].function.arguments" }));
  });
});

describe("thought signatures", () => {
  const history = (call: Record<string, unknown>): Message[] => [
    { role: "user", content: "Check the weather in London." },
    { role: "assistant", content: null, tool_calls: [call as never, { id: "call_second", type: "function", function: { name: "get_time", arguments: "{}" } }] },
    { role: "tool", tool_call_id: call.id as string, content: "15C" },
    { role: "tool", tool_call_id: "call_second", content: "10:42" },
  ];

  test("extra_content.google.thought_signature goes back on the functionCall part exactly as received", () => {
    const { contents } = convert(
      history({ id: "call_abc", type: "function", function: { name: "get_weather", arguments: '{"city":"London"}' }, extra_content: { google: { thought_signature: "CiQB0e2K/+Sig==" } } }),
    );
    expect(contents[1]).toEqual({
      role: "model",
      parts: [
        { functionCall: { name: "get_weather", args: { city: "London" } }, thoughtSignature: "CiQB0e2K/+Sig==" },
        { functionCall: { name: "get_time", args: {} } },
      ],
    });
  });

  test("a client that dropped extra_content but kept the id still sends the signature back", () => {
    const { contents } = convert(history({ id: "call_abc__thought__CiQB0e2K/+Sig==", type: "function", function: { name: "get_weather", arguments: "{}" } }));
    expect(contents[1]!.parts[0]).toEqual({ functionCall: { name: "get_weather", args: {} }, thoughtSignature: "CiQB0e2K/+Sig==" });
    expect(contents[2]!.parts[0]).toEqual({ functionResponse: { name: "get_weather", response: { output: "15C" } } });
  });

  test("Gemini's call ids go back on the call and its result, and results go in the order of their calls", () => {
    // Gemini called get_weather twice (ids fc_a, fc_b); the client answers Rome before Paris.
    const { contents } = convert([
      { role: "user", content: "Weather in Paris and Rome?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_p__gid__fc_a__thought__sig", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
          { id: "call_r__gid__fc_b", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_r__gid__fc_b", content: "Rome: 30C" },
      { role: "tool", tool_call_id: "call_p__gid__fc_a__thought__sig", content: "Paris: 10C" },
      { role: "user", content: "Thanks" },
    ]);
    expect(contents[1]!.parts).toEqual([
      { functionCall: { name: "get_weather", args: { city: "Paris" }, id: "fc_a" }, thoughtSignature: "sig" },
      { functionCall: { name: "get_weather", args: { city: "Rome" }, id: "fc_b" } },
    ]);
    expect(contents[2]).toEqual({
      role: "user",
      parts: [
        { functionResponse: { name: "get_weather", response: { output: "Paris: 10C" }, id: "fc_a" } },
        { functionResponse: { name: "get_weather", response: { output: "Rome: 30C" }, id: "fc_b" } },
        { text: "Thanks" },
      ],
    });
  });

  test("results without Gemini ids are ordered by their calls too", () => {
    const { contents } = convert([
      { role: "user", content: "Two things" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_1", type: "function", function: { name: "a", arguments: "{}" } },
          { id: "call_2", type: "function", function: { name: "b", arguments: "{}" } },
          { id: "call_3", type: "function", function: { name: "a", arguments: "{}" } },
        ],
      },
      { role: "tool", tool_call_id: "call_3", content: "third" },
      { role: "tool", tool_call_id: "call_1", content: "first" },
      { role: "tool", tool_call_id: "call_2", content: "second" },
    ]);
    expect(contents[2]!.parts.map((part) => (part.functionResponse?.response as { output: string }).output)).toEqual(["first", "second", "third"]);
    expect(contents[2]!.parts.every((part) => part.functionResponse?.id === undefined)).toBe(true);
  });
});

describe("JSON inside a string nested deeper than a body may be (a security probe)", () => {
  const deep = `${'{"n":'.repeat(1_500)}1${"}".repeat(1_500)}`;
  test("a call's arguments: a 400 naming them; a tool result: sent as the text it is", () => {
    const call = { id: "call_1", type: "function" as const, function: { name: "f", arguments: deep } };
    expect(() => convert([{ role: "user", content: "hi" }, { role: "assistant", content: null, tool_calls: [call] }])).toThrow(
      expect.objectContaining({ status: 400, param: "messages[1].tool_calls[0].function.arguments" }),
    );
    const fine = { ...call, function: { ...call.function, arguments: "{}" } };
    const sent = convert([{ role: "user", content: "hi" }, { role: "assistant", content: null, tool_calls: [fine] }, { role: "tool", tool_call_id: "call_1", content: deep }]);
    expect(sent.contents[2]!.parts[0]).toMatchObject({ functionResponse: { name: "f", response: { output: deep } } });
  });
});
