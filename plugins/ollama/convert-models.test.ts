import { describe, expect, test } from "bun:test";
import { fixture } from "../../tests/ollama/fake-ollama.ts";
import { fromOllamaModel, traitsOf } from "./convert-models.ts";
import { parseShow, parseTags } from "./wire.ts";

const [deepseek, llama] = parseTags(fixture("tags.json")).models;
const llava = parseShow(fixture("show-llava.json"));

describe("fromOllamaModel", () => {
  test("tags only: id, created from modified_at (nanoseconds, offset), size and details as extras", () => {
    expect(fromOllamaModel(deepseek!, undefined)).toEqual({
      id: "deepseek-r1:latest",
      created: Math.floor(Date.parse("2025-05-10T15:06:48.639Z") / 1000),
      size: 4683075271,
      format: "gguf",
      family: "qwen2",
      parameter_size: "7.6B",
      quantization_level: "Q4_K_M",
    });
  });

  test("with /api/show: context_length from <architecture>.context_length, and capabilities", () => {
    expect(fromOllamaModel(llama!, llava)).toEqual({
      id: "llama3.2:latest",
      created: Math.floor(Date.parse("2025-05-05T00:37:44.706Z") / 1000),
      size: 2019393189,
      format: "gguf",
      family: "llama",
      parameter_size: "3.2B",
      quantization_level: "Q4_K_M",
      context_length: 8192,
      capabilities: ["completion", "vision"],
    });
  });

  test("missing or odd metadata is left out, not guessed", () => {
    expect(fromOllamaModel({ name: "bare:latest", modified_at: "not a date", details: null }, { model_info: { "general.architecture": "llama", "llama.context_length": "8192" } })).toEqual({
      id: "bare:latest",
    });
  });
});

describe("traitsOf", () => {
  test("family from tags, named thinking levels from /api/show", () => {
    expect(traitsOf(llama!, undefined)).toEqual({ family: "llama" });
    expect(traitsOf({ name: "gpt-oss:20b", details: { family: "gptoss" } }, parseShow(fixture("show-gpt-oss-thinking.json")))).toEqual({
      family: "gptoss",
      thinkLevels: ["low", "medium", "high"],
    });
    expect(traitsOf({ name: "qwen3" }, { thinking: { values: [true, false] } })).toEqual({ thinkLevels: [] });
  });
});
