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
});
