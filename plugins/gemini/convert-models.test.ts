import { describe, expect, test } from "bun:test";
import page1 from "./__fixtures__/list-models.page1.json";
import page2 from "./__fixtures__/list-models.page2.json";
import { DEFAULT_GEMINI_MODELS, fromGeminiModels, toGeminiModelId } from "./convert-models.ts";

describe("fromGeminiModels", () => {
  test("keeps generateContent and embedContent models, strips models/, carries name and limits", () => {
    expect(fromGeminiModels([...page1.models, ...page2.models])).toEqual([
      {
        id: "gemini-2.5-flash",
        capabilities: ["completion", "tools", "vision", "thinking"],
        name: "Gemini 2.5 Flash",
        description: "Stable version of Gemini 2.5 Flash, our mid-size multimodal model that supports up to 1 million tokens, released in June of 2025.",
        context_length: 1048576,
        input_token_limit: 1048576,
        output_token_limit: 65536,
      },
      {
        id: "gemini-2.5-pro",
        capabilities: ["completion", "tools", "vision", "thinking"],
        name: "Gemini 2.5 Pro",
        description: "Stable release (June 17th, 2025) of Gemini 2.5 Pro",
        context_length: 1048576,
        input_token_limit: 1048576,
        output_token_limit: 65536,
      },
      {
        id: "gemini-embedding-001",
        capabilities: ["embedding"],
        name: "Gemini Embedding 001",
        description: "Obtain a distributed representation of a text.",
        context_length: 2048,
        input_token_limit: 2048,
        output_token_limit: 1,
      },
    ]);
  });

  test("a model without methods, or with a nested name, is skipped", () => {
    expect(fromGeminiModels([{ name: "models/x" }, { name: "tunedModels/abc", supportedGenerationMethods: ["generateContent"] }])).toEqual([]);
  });

  test("the default list", () => {
    expect(DEFAULT_GEMINI_MODELS.map((m) => m.id)).toEqual(["gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.0-flash", "gemini-embedding-001"]);
    expect(DEFAULT_GEMINI_MODELS[1]).toEqual({ id: "gemini-2.5-flash", capabilities: ["completion", "tools", "vision", "thinking"], name: "Gemini 2.5 Flash", context_length: 1048576, input_token_limit: 1048576, output_token_limit: 65536 });
    expect(DEFAULT_GEMINI_MODELS[3]!.capabilities).toEqual(["completion", "tools", "vision"]);
  });

  test("capabilities in Ollama's names: no function calls for the speech, image, live and Gemma models; thinking as Gemini's list says", () => {
    const chat = (name: string, thinking?: boolean) => fromGeminiModels([{ name: `models/${name}`, supportedGenerationMethods: ["generateContent"], ...(thinking === undefined ? {} : { thinking }) }])[0]!.capabilities;
    expect(chat("gemini-3-pro-preview", true)).toEqual(["completion", "tools", "vision", "thinking"]);
    expect(chat("gemini-2.5-flash-preview-tts", true)).toEqual(["completion", "thinking"]);
    expect(chat("gemini-2.5-flash-image")).toEqual(["completion"]);
    expect(chat("gemini-live-2.5-flash-preview")).toEqual(["completion"]);
    expect(chat("gemma-3-27b-it", false)).toEqual(["completion"]);
  });
});

describe("toGeminiModelId", () => {
  test.each([
    ["gemini-3-pro-preview", "gemini-3-pro-preview"],
    ["models/gemini-2.5-flash", "gemini-2.5-flash"],
    ["gemini-1.5-flash-8b-exp-0924", "gemini-1.5-flash-8b-exp-0924"],
    ["a/b", undefined],
    ["x?alt=1", undefined],
    ["..", undefined],
    ["", undefined],
  ])("%p → %p", (id, expected) => {
    expect(toGeminiModelId(id)).toBe(expected as never);
  });
});
