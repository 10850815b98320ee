import { describe, expect, test } from "bun:test";
import { SENTENCES } from "./corpus.ts";
import { countTokens, createRandom, embedText, generateText } from "./generate.ts";

describe("countTokens", () => {
  test.each([
    ["", 0],
    ["Hello", 1],
    ["Hello, what's your name?", 6],
    ["a  b\tc\n", 3],
    ["Perfect! Can you help me with some Python code?", 11],
  ])("%j has %d tokens", (text, n) => expect(countTokens(text)).toBe(n));
});

describe("generateText", () => {
  test("is deterministic for a seed and draws from the corpus", () => {
    const a = generateText({ seed: 123 });
    expect(generateText({ seed: 123 })).toEqual(a);
    const text = a.pieces.join("");
    expect(SENTENCES.some((s) => text.startsWith(s))).toBe(true);
    expect(a.finishReason).toBe("stop");
    expect(a.completionTokens).toBe(countTokens(text));
  });

  test.each([1, 2, 3, 99, 12345])("the precomputed path (no stop) equals the general one, seed %d", (seed) => {
    for (const maxTokens of [undefined, 1, 7, 30]) {
      expect(generateText({ seed, maxTokens })).toEqual(generateText({ seed, maxTokens, stop: ["\u0000never"] }));
    }
  });

  test("pieces are words with their leading space", () => {
    const { pieces } = generateText({ seed: 5 });
    expect(pieces[0]!.startsWith(" ")).toBe(false);
    for (const piece of pieces.slice(1)) expect(piece).toMatch(/^ \S+$/);
  });

  test("maxTokens cuts on a word boundary with finish reason length", () => {
    const cut = generateText({ seed: 9, maxTokens: 4 });
    expect(cut.finishReason).toBe("length");
    expect(cut.completionTokens).toBeLessThanOrEqual(4);
    expect(generateText({ seed: 9 }).pieces.join("").startsWith(cut.pieces.join(""))).toBe(true);
  });

  test("a stop sequence ends the text before it", () => {
    const whole = generateText({ seed: 2 }).pieces.join("");
    const stop = whole.split(" ")[3]!;
    const cut = generateText({ seed: 2, stop: [stop] }).pieces.join("");
    expect(cut).not.toContain(stop);
    expect(whole.startsWith(cut)).toBe(true);
    // It says which sequence cut it: the one met first, of several.
    expect(generateText({ seed: 2, stop: ["\u0000never", stop] }).matchedStop).toBe(stop);
    expect(generateText({ seed: 2 }).matchedStop).toBeUndefined();
    // A token budget that ends the text first: no sequence matched.
    const budget = generateText({ seed: 2, stop: [stop], maxTokens: 1 });
    expect(budget.finishReason).toBe("length");
    expect(budget.matchedStop).toBeUndefined();
  });
});

describe("embedText", () => {
  test("a unit vector that depends on the input only", () => {
    const v = embedText("hello", 64);
    expect(v).toHaveLength(64);
    expect(Math.hypot(...v)).toBeCloseTo(1, 10);
    expect(embedText("hello", 64)).toEqual(v);
    expect(embedText("hellp", 64)).not.toEqual(v);
  });

  test("createRandom gives values in [0, 1)", () => {
    const random = createRandom(1);
    for (let i = 0; i < 1000; i++) {
      const x = random();
      expect(x >= 0 && x < 1).toBe(true);
    }
  });
});

describe("countTokens beyond ASCII", () => {
  test.each([
    ["café au lait", 3],
    ["naïve—word", 3],
    ["日本語 テキスト", 2],
    ["emoji 😀 here", 3],
    ["tab\u00a0nbsp", 2],
  ])("%j has %d tokens", (text, n) => expect(countTokens(text)).toBe(n));
});
