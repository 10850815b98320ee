import { describe, expect, test } from "bun:test";
import { RedisClock } from "./redis-clock.ts";

describe("RedisClock", () => {
  test("no reading (Redis refused TIME): no deadline", () => {
    expect(new RedisClock().deadline(1_000_000, 1_500)).toBe(0);
  });

  test("the give-up time in Redis's clock, from the last reading's lower bound (Redis read its clock before this host had the answer), less the clocks' rounding", () => {
    const clock = new RedisClock();
    clock.heard(5_000_250, 1_000_000); // Redis's clock 5_000_250 in an answer this host had at 1_000_000
    // 3 s after the reading: 1.5 ms of drift allowed (floored to 2), 3 for the rounding.
    expect(clock.deadline(1_000_000 + 3_000, 1_500)).toBe(5_000_250 + 3_000 - 2 - 3);
    expect(clock.deadline(1_000_000, 1_500)).toBe(5_000_250 - 3);
    // A Redis clock behind this host's works the same way.
    clock.heard(400_000, 1_000_000);
    expect(clock.deadline(1_000_000, 1_500)).toBe(400_000 - 3);
  });

  test("an old reading is allowed the drift since (500 ppm), up to the cap; a new reading replaces it", () => {
    const clock = new RedisClock();
    clock.heard(2_000_000, 1_000_000);
    const tenMinutes = 600_000;
    expect(clock.deadline(1_000_000 + tenMinutes, 1_500)).toBe(2_000_000 + tenMinutes - 300 - 3);
    expect(clock.deadline(1_000_000 + 100 * tenMinutes, 1_500)).toBe(2_000_000 + 100 * tenMinutes - 1_500 - 3);
    clock.heard(2_000_000 + 100 * tenMinutes, 1_000_000 + 100 * tenMinutes);
    expect(clock.deadline(1_000_000 + 100 * tenMinutes + 3_000, 1_500)).toBe(2_000_000 + 100 * tenMinutes + 3_000 - 2 - 3) // 1.5 ms of drift, floored;
  });

  test("a reading this process had late (it was busy) does not lower the bound; a clock step (100 ms or more lower) does (a review)", () => {
    const clock = new RedisClock();
    clock.heard(5_000_000, 1_000_000);
    clock.heard(5_000_100 - 35, 1_000_100); // read 35 ms late: its own bound is 35 ms low
    expect(clock.deadline(1_000_100, 1_500)).toBe(5_000_100 - 1 - 3); // the first's bound, less its 0.05 ms of drift since (floored)
    clock.heard(5_000_200 - 150, 1_000_200); // 150 ms lower: a step of one clock, taken
    expect(clock.deadline(1_000_200, 1_500)).toBe(5_000_200 - 150 - 3);
  });

  test("a small step (under 100 ms) that every reading shows: taken after three readings in a row, the best of them (a review: it stood for minutes)", () => {
    const clock = new RedisClock();
    clock.heard(5_000_000, 1_000_000);
    clock.heard(5_000_010 - 90, 1_000_010); // 90 ms lower: one late answer, or a step
    clock.heard(5_000_020 - 89, 1_000_020);
    expect(clock.deadline(1_000_020, 1_500)).toBe(5_000_020 - 1 - 3); // still the first bound (less its drift)
    clock.heard(5_000_030 - 91, 1_000_030); // the third in a row: the clocks now
    expect(clock.deadline(1_000_030, 1_500)).toBe(5_000_030 - 89 - 3);
  });

  test("a small REDIS_TIMEOUT_MS: the rounding allowed is at most half the drift cap (a time-out of 3 ms left no time at all)", () => {
    const clock = new RedisClock();
    clock.heard(5_000_000, 1_000_000);
    expect(clock.deadline(1_000_003, 1.5)).toBe(5_000_003 - 1);
  });
});
