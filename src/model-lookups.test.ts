import { expect, test } from "bun:test";
import { FOUND_TTL_MS, MAX_LOOKUPS, ModelLookups, NOT_FOUND_TTL_MS } from "./model-lookups.ts";

/** A lookup cache on a clock the test moves, and an upstream that counts what it is asked. */
function setup() {
  let now = 1_000_000;
  const asked: string[] = [];
  const lookups = new ModelLookups(() => now);
  const ask = (id: string, found = true) => () => {
    asked.push(id);
    return Promise.resolve(found);
  };
  return { lookups, asked, ask, advance: (ms: number) => void (now += ms) };
}

test("an answer, found or not, is kept: the upstream is asked again only once it is older than its time", async () => {
  const { lookups, asked, ask, advance } = setup();
  expect(await lookups.has("openai", "m", ask("m"))).toBe(true);
  expect(await lookups.has("openai", "m", ask("m"))).toBe(true);
  expect(await lookups.has("openai", "nope", ask("nope", false))).toBe(false);
  expect(await lookups.has("openai", "nope", ask("nope", false))).toBe(false);
  expect(asked).toEqual(["m", "nope"]);
  // Another instance's answer is its own.
  expect(await lookups.has("other", "m", ask("other m", false))).toBe(false);
  advance(NOT_FOUND_TTL_MS);
  await lookups.has("openai", "nope", ask("nope", false));
  await lookups.has("openai", "m", ask("m"));
  expect(asked).toEqual(["m", "nope", "other m", "nope"]); // "not found" is kept the shorter time
  advance(FOUND_TTL_MS - NOT_FOUND_TTL_MS);
  await lookups.has("openai", "m", ask("m"));
  expect(asked.at(-1)).toBe("m");
});

test("lookups of one id at once share the first one's answer; a failure is no answer: not kept, and one waiting on it asks for itself", async () => {
  const { lookups, asked } = setup();
  let answer!: (found: boolean) => void;
  const slow = () => (asked.push("slow"), new Promise<boolean>((resolve) => (answer = resolve)));
  const together = [lookups.has("openai", "m", slow), lookups.has("openai", "m", slow), lookups.has("openai", "m", slow)];
  answer(true);
  expect(await Promise.all(together)).toEqual([true, true, true]);
  expect(asked).toEqual(["slow"]);

  let fail!: (error: Error) => void;
  const failing = () => (asked.push("failing"), new Promise<boolean>((_, reject) => (fail = reject)));
  const first = lookups.has("openai", "x", failing);
  const second = lookups.has("openai", "x", () => (asked.push("own"), Promise.resolve(false)));
  fail(new Error("upstream down"));
  expect(await first.catch((error: Error) => error.message)).toBe("upstream down");
  expect(await second).toBe(false);
  expect(await lookups.has("openai", "x", () => (asked.push("again"), Promise.resolve(true)))).toBe(false); // the second's answer was kept
  expect(asked).toEqual(["slow", "failing", "own"]);
});

test(`at most ${MAX_LOOKUPS} answers are kept: a flood of made-up ids pushes out the oldest`, async () => {
  const { lookups, asked, ask } = setup();
  for (let i = 0; i <= MAX_LOOKUPS; i++) await lookups.has("openai", `made-up-${i}`, ask(`made-up-${i}`, false));
  asked.length = 0;
  await lookups.has("openai", `made-up-${MAX_LOOKUPS}`, ask("newest", false));
  await lookups.has("openai", "made-up-0", ask("oldest", false));
  expect(asked).toEqual(["oldest"]);
});
