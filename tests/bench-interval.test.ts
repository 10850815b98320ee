// The bench report's interval for the Responses turns: the mean of paired differences and its 95 %
// interval by Student's t, checked against values worked out by hand.
import { expect, test } from "bun:test";
import { pairedInterval } from "../bench/report.ts";

test("the interval is the mean ± t(0.975, n − 1) · s / √n", () => {
  // n = 3: mean 2, s = 1, t(2) = 4.303.
  const three = pairedInterval([1, 2, 3])!;
  expect(three.mean).toBe(2);
  expect(three.half).toBeCloseTo(4.303 / Math.sqrt(3), 6);
  // n = 14 (the bench's rounds): s = √(Σ(x − 6.5)² / 13), t(13) = 2.160.
  const rounds = [-20, -12, -5, 0, 1, 3, 6, 7, 9, 12, 15, 20, 25, 30];
  const mean = rounds.reduce((a, b) => a + b, 0) / 14;
  const s = Math.sqrt(rounds.reduce((a, b) => a + (b - mean) ** 2, 0) / 13);
  expect(pairedInterval(rounds)!.half).toBeCloseTo((2.16 * s) / Math.sqrt(14), 6);
  // Past the table (n − 1 > 30): within 0.2 % of Student's t(0.975, 40) = 2.021.
  const many = Array.from({ length: 41 }, (_, i) => i % 2);
  const sMany = Math.sqrt(many.reduce((a, b) => a + (b - 20 / 41) ** 2, 0) / 40);
  const t40 = pairedInterval(many)!.half / (sMany / Math.sqrt(41));
  expect(Math.abs(t40 - 2.021) / 2.021).toBeLessThan(0.002);
});

test("identical rounds have no spread; fewer than three rounds give no interval", () => {
  expect(pairedInterval([4, 4, 4, 4])).toEqual({ mean: 4, half: 0 });
  expect(pairedInterval([1, 2])).toBeUndefined();
  expect(pairedInterval([])).toBeUndefined();
});
