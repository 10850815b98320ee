import { expect, test } from "bun:test";
import { DAY_MS, formatReset, MINUTE_MS, untilWindowEnd, windowId } from "./windows.ts";

test("windows are aligned to the UTC minute and day", () => {
  const t = Date.UTC(2026, 0, 2, 3, 4, 5, 600);
  expect(windowId(t, MINUTE_MS)).toBe(windowId(Date.UTC(2026, 0, 2, 3, 4, 0), MINUTE_MS));
  expect(windowId(t, MINUTE_MS)).not.toBe(windowId(Date.UTC(2026, 0, 2, 3, 5, 0), MINUTE_MS));
  expect(untilWindowEnd(t, MINUTE_MS)).toBe(54_400);
  expect(untilWindowEnd(t, DAY_MS)).toBe(Date.UTC(2026, 0, 3) - t);
});

test.each([
  [0, "0ms"],
  [20, "20ms"],
  [999, "999ms"],
  [1000, "1s"],
  [11_200, "12s"],
  [60_000, "1m0s"],
  [63_000, "1m3s"],
  [5 * 3600_000 + 120_000, "5h2m0s"],
])("%d ms → %s", (ms, text) => {
  expect(formatReset(ms)).toBe(text);
});
