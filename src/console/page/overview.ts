import type { RequestRecord } from "../request-record.ts";
import { byId, count, duration, h, ms } from "./dom.ts";
import type { Overview } from "./types.ts";

function healthText(health: Overview["providers"][number]["health"]) {
  if (health.ok === null) return h("span", { class: "muted" }, "no health check");
  return health.ok ? h("span", { class: "ok" }, "● healthy") : h("span", { class: "bad", title: health.detail ?? "" }, `● unhealthy${health.detail ? `: ${health.detail}` : ""}`);
}

export function renderProviders(overview: Overview): void {
  byId("providers").replaceChildren(
    ...overview.providers.map((p) =>
      h(
        "div",
        { class: "card", "data-provider": p.name },
        h("div", { class: "row between" }, h("strong", null, p.name), healthText(p.health)),
        p.models.length === 0
          ? h("p", { class: "muted" }, "no models listed")
          : h("ul", null, ...p.models.map((m) => h("li", null, h("code", { "data-model": m.id }, m.id), m.context_length ? h("span", { class: "muted" }, ` · ${count(m.context_length)} ctx`) : null))),
      ),
    ),
  );
}

/**
 * The figures above the charts; `recent` is the live table's records (newest first), `lastMinute`
 * the series' counts of the last minute (the table keeps only its newest rows).
 */
export function renderSummary(overview: Overview, recent: readonly RequestRecord[], lastMinute: { requests: number; errors: number } = { requests: 0, errors: 0 }): void {
  const uptime = overview.uptimeS + Math.floor((Date.now() - overview.startedAt) / 1000 - overview.uptimeS);
  const errors = lastMinute.errors;
  const models = overview.providers.reduce((n, p) => n + p.models.length, 0);
  const unhealthy = overview.providers.filter((p) => p.health.ok === false).length;
  const tile = (label: string, value: string, cls = "") => h("div", { class: "card" }, h("span", { class: "muted" }, label), h("b", { class: cls }, value));
  byId("summary").replaceChildren(
    tile("version", overview.version),
    tile("uptime", duration(Math.max(0, uptime))),
    tile("providers", `${overview.providers.length}${unhealthy ? ` (${unhealthy} down)` : ""}`, unhealthy ? "bad" : ""),
    tile("models", String(models)),
    tile("requests, last min", String(lastMinute.requests)),
    tile("errors, last min", String(errors), errors ? "bad" : ""),
    tile("latest latency", ms(recent[0]?.durationMs)),
  );
}
