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
  ["claude-*-*-latest", "claude-3-5-latest", true],
  ["claude-*-*-latest", "claude--latest", false],
  ["claude-*-*-latest", "claude---latest", true],
  ["a*b*a", "aba", true],
  ["a*b*a", "ab", false],
  ["ab*ba", "aba", false],
  ["*:*b", "ollama/qwen3:8b", true],
  ["**", "", true],
])("%s matches %s: %p", (pattern, id, expected) => {
  expect(compileGlob(pattern)(id)).toBe(expected);
});

test("a list matches when any entry does", () => {
  const allows = compileGlobs(["gpt-4o-mini", "ollama/*", "smart"]);
  expect(["gpt-4o-mini", "ollama/qwen3:8b", "smart"].every(allows)).toBe(true);
  expect(["gpt-4o", "smarter", "dummy-model:1.0"].some(allows)).toBe(false);
});

test("matches as the regular expression it stands for, on ids built from the patterns' own pieces", () => {
  const pieces = ["a", "b", "ab", "-", ":", ""];
  let seed = 7;
  const pick = <T>(list: readonly T[]) => list[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % list.length]!;
  for (let i = 0; i < 3000; i++) {
    const pattern = Array.from({ length: 1 + (i % 4) }, () => pick(pieces)).join("*");
    const id = Array.from({ length: i % 7 }, () => pick(pieces)).join("");
    const regex = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "s");
    expect([pattern, id, compileGlob(pattern)(id)]).toEqual([pattern, id, regex.test(id)]);
  }
});

test("an id of 200,000 characters against two stars before literal text is answered (a backtracking match took 40 s)", () => {
  expect(compileGlob("claude-*-*-latest")(`claude-${"-".repeat(200_000)}`)).toBe(false);
  expect(compileGlobs(["x*y*z"])("x".repeat(200_000))).toBe(false);
});
