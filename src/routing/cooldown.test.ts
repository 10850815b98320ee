import { expect, test } from "bun:test";
import { Cooldowns } from "./cooldown.ts";

test("failures within the window cool a target down for `seconds`; a success clears the count", () => {
  const c = new Cooldowns({ failures: 2, window_s: 10, seconds: 30 });
  c.failed("a", 0);
  expect(c.isCooling("a", 1)).toBe(false);
  c.failed("a", 11_000); // the first failure left the window
  expect(c.isCooling("a", 11_001)).toBe(false);
  c.failed("a", 12_000);
  expect(c.isCooling("a", 12_001)).toBe(true);
  expect(c.isCooling("a", 41_999)).toBe(true);
  expect(c.isCooling("a", 42_000)).toBe(false);
  c.failed("b", 0);
  c.succeeded("b");
  c.failed("b", 1);
  expect(c.isCooling("b", 2)).toBe(false);
});
