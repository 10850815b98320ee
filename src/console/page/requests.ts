import type { RequestRecord } from "../request-record.ts";
import { byId, clock, count, h, ms } from "./dom.ts";

const SHOWN = 200;

/** The live table: newest first, at most SHOWN rows; a click shows one request's details. */
export class RequestTable {
  #records: RequestRecord[] = [];
  #selected: string | undefined;

  constructor(private readonly capacity: number) {
    byId("requests-table").addEventListener("click", (event) => {
      const row = (event.target as HTMLElement).closest("tr[data-id]");
      if (row) this.select(row.getAttribute("data-id")!);
    });
  }

  get records(): readonly RequestRecord[] {
    return this.#records;
  }

  /** `newestFirst` from a snapshot, or a batch (oldest first) from the stream. */
  reset(newestFirst: RequestRecord[]): void {
    this.#records = newestFirst.slice(0, SHOWN);
    this.render();
  }

  add(oldestFirst: readonly RequestRecord[]): void {
    this.#records = [...oldestFirst].reverse().concat(this.#records).slice(0, SHOWN);
    this.render();
  }

  render(): void {
    const body = byId("requests-table").querySelector("tbody")!;
    body.replaceChildren(
      ...this.#records.map((r) => {
        const tokens = r.inputTokens === null && r.outputTokens === null ? "–" : `${count(r.inputTokens)} / ${count(r.outputTokens)}`;
        return h(
          "tr",
          { "data-id": r.requestId, class: r.requestId === this.#selected ? "selected" : undefined },
          h("td", null, clock(r.time)),
          h("td", null, r.key ?? "–"),
          h("td", null, r.surface),
          h("td", null, r.model || "–"),
          h("td", null, r.target ?? "–"),
          h("td", { class: r.status >= 400 ? "bad" : "ok" }, String(r.status)),
          h("td", { class: "num" }, ms(r.durationMs)),
          h("td", { class: "num" }, ms(r.ttftMs)),
          h("td", { class: "num", title: r.tokensEstimated ? "estimated by the gateway" : "" }, tokens),
        );
      }),
    );
    byId("requests-note").textContent = `newest first · this replica keeps the last ${this.capacity} · no message contents`;
  }

  select(requestId: string): void {
    this.#selected = requestId;
    const r = this.#records.find((x) => x.requestId === requestId);
    const panel = byId("request-detail");
    if (!r) {
      panel.hidden = true;
      return;
    }
    const row = (label: string, value: string) => [h("dt", null, label), h("dd", null, value)];
    panel.replaceChildren(
      h("div", { class: "row between" }, h("strong", null, "Request"), h("button", { type: "button", class: "secondary", "data-close": "" }, "Close")),
      h(
        "dl",
        null,
        ...row("request id", r.requestId),
        ...row("time", new Date(r.time).toISOString()),
        ...row("call", `${r.method} ${r.path}${r.stream ? " (stream)" : ""}`),
        ...row("status", String(r.status)),
        ...row("error", r.error ?? "–"),
        ...row("model", r.model || "–"),
        ...row("target", r.target ?? "–"),
        ...row("provider", r.provider ?? "–"),
        ...row("key", r.key ?? "–"),
        ...row("attempts", r.attempts === null ? "–" : String(r.attempts)),
        ...row("latency", ms(r.durationMs)),
        ...row("time to first token", ms(r.ttftMs)),
        ...row("waiting on the provider", ms(r.upstreamMs)),
        ...row("gateway overhead", ms(Math.max(0, r.durationMs - r.upstreamMs))),
        ...row("tokens in / out / reasoning", `${count(r.inputTokens)} / ${count(r.outputTokens)} / ${count(r.reasoningTokens)}${r.tokensEstimated ? " (estimated)" : ""}`),
        ...row("finish reason", r.finishReason ?? "–"),
      ),
    );
    panel.querySelector("[data-close]")!.addEventListener("click", () => {
      this.#selected = undefined;
      panel.hidden = true;
      this.render();
    });
    panel.hidden = false;
    this.render();
  }
}
