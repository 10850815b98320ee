import type { SecondStats, SeriesPoint } from "../series.ts";

/** The five charts of the overview, each a function of one second's stats (all models or one). */
export const CHARTS = [
  { id: "rps", title: "Requests / s", unit: "" },
  { id: "errors", title: "Error rate (%)", unit: "%" },
  { id: "latency", title: "Latency (ms)", unit: "ms" },
  { id: "ttft", title: "Time to first token (ms)", unit: "ms" },
  { id: "tokens", title: "Tokens / min", unit: "" },
] as const;

export type ChartId = (typeof CHARTS)[number]["id"];

export interface ChartSeries {
  label: string;
  values: (number | null)[];
}

/** uPlot's columns for one chart: x (Unix seconds, one per second of the window) and its series. */
export interface ChartColumns {
  x: number[];
  series: ChartSeries[];
}

/**
 * Turns the points the server sent (seconds with traffic only) into one column per second of
 * `[now - windowS + 1, now]`. Counts are 0 on a quiet second, rates and latencies null (a gap);
 * tokens are a rolling sum of the last 60 s. With `byModel`, one series per model.
 */
export function toChartColumns(id: ChartId, points: readonly SeriesPoint[], now: number, windowS: number, byModel: boolean): ChartColumns {
  const x: number[] = [];
  for (let t = now - windowS + 1; t <= now; t++) x.push(t);
  const index = new Map<number, SeriesPoint>();
  for (const p of points) index.set(p.t, p);
  const models = byModel ? [...new Set(points.flatMap((p) => Object.keys(p.byModel)))].sort() : [];
  const pick = (p: SeriesPoint | undefined, model: string | undefined): SecondStats | undefined => (model === undefined ? p : p?.byModel[model]);
  const column = (model: string | undefined, f: (s: SecondStats | undefined) => number | null) => x.map((t) => f(pick(index.get(t), model)));
  const groups = byModel ? models.map((m) => ({ model: m as string | undefined, prefix: `${m} ` })) : [{ model: undefined, prefix: "" }];
  const series: ChartSeries[] = [];
  for (const { model, prefix } of groups) {
    switch (id) {
      case "rps":
        series.push({ label: `${prefix}requests/s`, values: column(model, (s) => s?.requests ?? 0) });
        break;
      case "errors":
        series.push({ label: `${prefix}errors %`, values: column(model, (s) => (s && s.requests > 0 ? Math.round((s.errors / s.requests) * 1000) / 10 : null)) });
        break;
      case "latency":
        if (!byModel) series.push({ label: "p50", values: column(model, (s) => s?.p50 ?? null) });
        series.push({ label: `${prefix}p95`, values: column(model, (s) => s?.p95 ?? null) });
        break;
      case "ttft":
        if (!byModel) series.push({ label: "p50", values: column(model, (s) => s?.ttft50 ?? null) });
        series.push({ label: `${prefix}p95`, values: column(model, (s) => s?.ttft95 ?? null) });
        break;
      case "tokens": {
        const perSecond = column(model, (s) => s?.tokens ?? 0) as number[];
        const rolling: number[] = [];
        let sum = 0;
        for (let i = 0; i < perSecond.length; i++) {
          sum += perSecond[i]!;
          if (i >= 60) sum -= perSecond[i - 60]!;
          rolling.push(sum);
        }
        series.push({ label: `${prefix}tokens/min`, values: rolling });
        break;
      }
      default: {
        const unknown: never = id;
        throw new Error(`unknown chart ${String(unknown)}`);
      }
    }
  }
  return { x, series };
}
