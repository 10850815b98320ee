import { expect, test } from "bun:test";
import type { RequestOutcome } from "../pipeline/outcome.ts";
import { percentile, TrafficSeries } from "./series.ts";

const outcome = (over: Partial<RequestOutcome> = {}): RequestOutcome => ({
  requestId: "r", surface: "chat", method: "POST", path: "/v1/chat/completions", status: 200, stream: false,
  startedAt: 0, durationMs: 10, upstreamMs: 8, model: "m1", ...over,
});

test("percentile is nearest-rank", () => {
  const values = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  expect(percentile(values, 0.5)).toBe(5);
  expect(percentile(values, 0.95)).toBe(10);
  expect(percentile(new Float64Array(0), 0.5)).toBeNull();
});

test("one point per second with traffic: counts, errors, latency and TTFT percentiles, tokens, per model", () => {
  const s = new TrafficSeries(900);
  const t0 = 1_000_000_000;
  for (let i = 1; i <= 20; i++) s.add(outcome({ durationMs: i * 10 }), t0 + 100);
  s.add(outcome({ status: 502, model: "m2", durationMs: 5, stream: true, ttftMs: 4, usage: { input: 3, output: 4, reasoning: 0 } }), t0 + 900);
  s.add(outcome({ model: "" }), t0 + 2500); // two seconds later
  expect(s.points(t0 + 2999)).toHaveLength(1); // the current second is still open
  const [first, second] = s.points(t0 + 3000);
  expect(first).toEqual({
    t: t0 / 1000, requests: 21, errors: 1, p50: 100, p95: 190, ttft50: 4, ttft95: 4, tokens: 7,
    byModel: {
      m1: { requests: 20, errors: 0, p50: 100, p95: 190, ttft50: null, ttft95: null, tokens: 0 },
      m2: { requests: 1, errors: 1, p50: 5, p95: 5, ttft50: 4, ttft95: 4, tokens: 7 },
    },
  });
  expect(second!.t).toBe(t0 / 1000 + 2);
  expect(Object.keys(second!.byModel)).toEqual(["(unknown)"]);
});

test("points older than the window are dropped", () => {
  const s = new TrafficSeries(10);
  s.add(outcome(), 5_000);
  s.add(outcome(), 12_000);
  expect(s.points(13_000).map((p) => p.t)).toEqual([5, 12]);
  expect(s.points(15_000).map((p) => p.t)).toEqual([12]);
  expect(s.points(30_000)).toEqual([]);
});

test("the per-model split is bounded: past 24 models the rest are summed as (other)", () => {
  const s = new TrafficSeries();
  for (let i = 0; i < 40; i++) s.add(outcome({ model: `model-${i}` }), 1000);
  const [point] = s.points(2000);
  expect(Object.keys(point!.byModel)).toHaveLength(25);
  expect(point!.byModel["(other)"]!.requests).toBe(16);
});

test("percentiles stay bounded in memory under load (reservoir) and still summarise every request", () => {
  const s = new TrafficSeries();
  for (let i = 0; i < 10_000; i++) s.add(outcome({ durationMs: 50 }), 1000);
  const [point] = s.points(2000);
  expect(point!.requests).toBe(10_000);
  expect(point!.p95).toBe(50);
});

test("closeBefore hands out every second closed since, also those an outcome of a later second closed; a snapshot takes none from it", () => {
  const s = new TrafficSeries();
  s.add(outcome(), 1000);
  s.add(outcome(), 1100);
  s.add(outcome(), 2100); // closes second 1
  s.add(outcome(), 3200); // closes second 2
  expect(s.points(3300).map((p) => [p.t, p.requests])).toEqual([[1, 2], [2, 1]]); // a new page's snapshot
  expect(s.closeBefore(4000).map((p) => [p.t, p.requests])).toEqual([[1, 2], [2, 1], [3, 1]]);
  expect(s.closeBefore(5000)).toEqual([]);
});

test("closeBefore hands out each closed second once", () => {
  const s = new TrafficSeries();
  s.add(outcome(), 1000);
  expect(s.closeBefore(1500)).toEqual([]);
  expect(s.closeBefore(2000).map((p) => p.t)).toEqual([1]);
  expect(s.closeBefore(3000)).toEqual([]);
  expect(s.points(3000).map((p) => p.t)).toEqual([1]);
});
