import { describe, expect, test } from "bun:test";
import type { Registry as RegistryType } from "prom-client";
import Registry from "prom-client/lib/registry.js";
import { CounterFamily, HistogramFamily, SampledGauge } from "./families.ts";

describe("metric families through prom-client's Registry", () => {
  test("a histogram: le is inclusive, buckets cumulative, +Inf = count; counters and a sampled gauge", async () => {
    const registry = new Registry();
    const h = new HistogramFamily("t_seconds", "A histogram.", [0.1, 1]);
    const c = new CounterFamily("t_total", "A counter.");
    const g = new SampledGauge("t_now", "A gauge.", () => 7);
    for (const f of [h, c, g]) registry.registerMetric(f as unknown as Parameters<RegistryType["registerMetric"]>[0]);
    const series = h.series({ model: 'a"b\\c' });
    for (const v of [0.05, 0.1, 0.5, 1, 3]) series.observe(v);
    c.series({ status: "200" }).inc(2);
    c.series({ status: "200" }).inc(1);
    expect(await registry.metrics()).toBe(
      [
        "# HELP t_seconds A histogram.",
        "# TYPE t_seconds histogram",
        't_seconds_bucket{model="a\\"b\\\\c",le="0.1"} 2',
        't_seconds_bucket{model="a\\"b\\\\c",le="1"} 4',
        't_seconds_bucket{model="a\\"b\\\\c",le="+Inf"} 5',
        't_seconds_sum{model="a\\"b\\\\c"} 4.65',
        't_seconds_count{model="a\\"b\\\\c"} 5',
        "",
        "# HELP t_total A counter.",
        "# TYPE t_total counter",
        't_total{status="200"} 3',
        "",
        "# HELP t_now A gauge.",
        "# TYPE t_now gauge",
        "t_now 7",
        "",
      ].join("\n"),
    );
  });
});
