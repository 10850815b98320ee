import uPlot from "uplot";
import type { SeriesPoint } from "../series.ts";
import { CHARTS, toChartColumns, type ChartId } from "./chart-data.ts";
import { h } from "./dom.ts";

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d"];
const HEIGHT = 170;

/** The overview's live charts: redrawn from the window's points each second. */
export class Charts {
  readonly #plots = new Map<ChartId, { plot: uPlot; labels: string }>();
  readonly #points = new Map<number, SeriesPoint>();
  #now = Math.floor(Date.now() / 1000);
  #byModel = false;

  constructor(private readonly root: HTMLElement, private readonly windowS: number) {
    new ResizeObserver(() => this.#resize()).observe(root);
  }

  set byModel(value: boolean) {
    this.#byModel = value;
    this.draw();
  }

  add(points: readonly SeriesPoint[], now: number): void {
    for (const p of points) this.#points.set(p.t, p);
    this.#now = Math.max(this.#now, now);
    for (const t of this.#points.keys()) if (t <= this.#now - this.windowS) this.#points.delete(t);
  }

  /** Requests and errors that finished in the last 60 s, from the series: every request, not the live table's newest rows. */
  lastMinute(): { requests: number; errors: number } {
    let requests = 0;
    let errors = 0;
    for (const p of this.#points.values()) {
      if (p.t <= this.#now - 60) continue;
      requests += p.requests;
      errors += p.errors;
    }
    return { requests, errors };
  }

  draw(): void {
    if (this.root.offsetParent === null) return; // hidden tab: drawn when shown
    const points = [...this.#points.values()];
    for (const chart of CHARTS) {
      const cols = toChartColumns(chart.id, points, this.#now, this.windowS, this.#byModel);
      const labels = cols.series.map((s) => s.label).join("\n");
      const data = [cols.x, ...cols.series.map((s) => s.values)] as uPlot.AlignedData;
      const existing = this.#plots.get(chart.id);
      if (existing && existing.labels === labels) {
        existing.plot.setData(data);
        continue;
      }
      existing?.plot.destroy();
      let box = this.root.querySelector<HTMLElement>(`[data-chart="${chart.id}"]`);
      if (!box) {
        box = h("div", { class: "chart", "data-chart": chart.id }, h("h3", null, chart.title));
        this.root.append(box);
      }
      const plot = new uPlot(
        {
          width: this.#width(box),
          height: HEIGHT,
          cursor: { drag: { x: false, y: false } },
          scales: { x: { time: true }, y: { range: (_u, min, max) => [0, Math.max(max ?? 1, chart.id === "errors" ? 5 : 1) * 1.1] } },
          axes: [
            { stroke: "#8a909a", grid: { stroke: "rgba(128,128,128,0.15)" }, ticks: { show: false } },
            { stroke: "#8a909a", grid: { stroke: "rgba(128,128,128,0.15)" }, ticks: { show: false }, size: 48 },
          ],
          series: [{}, ...cols.series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 1.5, points: { show: chart.id !== "rps" && chart.id !== "tokens", size: 5 }, spanGaps: false }))],
          legend: { show: true, live: false },
        },
        data,
        box,
      );
      this.#plots.set(chart.id, { plot, labels });
    }
  }

  #width(box: HTMLElement): number {
    return Math.max(200, box.clientWidth - 16);
  }

  #resize(): void {
    for (const [id, { plot }] of this.#plots) {
      const box = this.root.querySelector<HTMLElement>(`[data-chart="${id}"]`);
      if (box) plot.setSize({ width: this.#width(box), height: HEIGHT });
    }
  }
}
