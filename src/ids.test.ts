import { describe, expect, test } from "bun:test";
import { randomHex, randomId } from "./ids.ts";

describe("random ids", () => {
  test("a prefix and 24 lowercase hex characters, unique across many pool refills", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const id = randomId("resp_");
      expect(id).toMatch(/^resp_[0-9a-f]{24}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(5000);
  });

  test("randomHex gives twice as many characters as bytes, also when a request straddles a refill", () => {
    const lengths = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const bytes = 1 + (i % 16);
      const text = randomHex(bytes);
      expect(text).toMatch(/^[0-9a-f]+$/);
      lengths.add(text.length - bytes * 2);
    }
    expect([...lengths]).toEqual([0]);
  });

  test("the characters are spread evenly (no stuck byte or nibble)", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) for (const c of randomHex(8)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(16);
    // 64,000 characters: 4,000 each expected; a broken encoder is far outside ±15 %.
    for (const n of counts.values()) expect(Math.abs(n - 4000)).toBeLessThan(600);
  });
});
