import { expect, test } from "bun:test";
import type { SeriesPoint } from "../series.ts";
import { toChartColumns } from "./chart-data.ts";

const stats = (requests: number, errors: number, p50: number | null, tokens: number) => ({ requests, errors, p50, p95: p50, ttft50: null, ttft95: null, tokens });
const points: SeriesPoint[] = [
  { t: 98, ...stats(2, 1, 10, 100), byModel: { a: stats(1, 1, 10, 40), b: stats(1, 0, 12, 60) } },
  { t: 100, ...stats(4, 0, 20, 50), byModel: { a: stats(4, 0, 20, 50) } },
];

test("one column per second; quiet seconds are 0 requests and a latency gap", () => {
  const rps = toChartColumns("rps", points, 100, 4, false);
  expect(rps.x).toEqual([97, 98, 99, 100]);
  expect(rps.series).toEqual([{ label: "requests/s", values: [0, 2, 0, 4] }]);
  expect(toChartColumns("errors", points, 100, 4, false).series[0]!.values).toEqual([null, 50, null, 0]);
  expect(toChartColumns("latency", points, 100, 4, false).series.map((s) => s.label)).toEqual(["p50", "p95"]);
  expect(toChartColumns("latency", points, 100, 4, false).series[0]!.values).toEqual([null, 10, null, 20]);
});

test("tokens per minute is a rolling 60 s sum", () => {
  expect(toChartColumns("tokens", points, 100, 4, false).series[0]!.values).toEqual([0, 100, 100, 150]);
  // The minute ending at 159 is 100…159: t=98 has left it, t=100 is still in; at 160 both are out.
  expect(toChartColumns("tokens", points, 159, 63, false).series[0]!.values.at(-1)).toBe(50);
  expect(toChartColumns("tokens", points, 160, 63, false).series[0]!.values.at(-1)).toBe(0);
});

test("split by model: one series per model, in name order", () => {
  const rps = toChartColumns("rps", points, 100, 3, true);
  expect(rps.series).toEqual([
    { label: "a requests/s", values: [1, 0, 4] },
    { label: "b requests/s", values: [1, 0, 0] },
  ]);
});
