import { expect, test } from "bun:test";
import { compileGlob, compileGlobs } from "./glob.ts";

test.each([
  ["claude-*", "claude-sonnet-4-5", true],
  ["claude-*", "claude-", true],
  ["claude-*", "gpt-4o", false],
  ["ollama/*", "ollama/llama3:8b", true],
  ["ollama/*", "ollama", false],
  ["gpt-4o", "gpt-4o", true],
  ["gpt-4o", "gpt-4o-mini", false],
  ["*", "anything/at:all", true],
  ["a.b*", "axb", false],
  ["*-mini", "gpt-4o-mini", true],
])("%s matches %s: %p", (pattern, id, expected) => {
  expect(compileGlob(pattern)(id)).toBe(expected);
});

test("a list matches when any entry does", () => {
  const allows = compileGlobs(["gpt-4o-mini", "ollama/*", "smart"]);
  expect(["gpt-4o-mini", "ollama/qwen3:8b", "smart"].every(allows)).toBe(true);
  expect(["gpt-4o", "smarter", "dummy-model:1.0"].some(allows)).toBe(false);
});
