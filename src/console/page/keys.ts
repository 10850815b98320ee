import type { KeyLimits } from "../keys.ts";
import { byId, count, h } from "./dom.ts";
import type { KeysAnswer } from "./types.ts";

const LIMITS: { id: keyof KeyLimits; label: string }[] = [
  { id: "rpm", label: "requests / min" },
  { id: "tpm", label: "tokens / min" },
  { id: "tokens_per_day", label: "tokens / day" },
];

export function renderKeys(answer: KeysAnswer): void {
  const root = byId("keys-body");
  if (answer.data.length === 0) {
    // Keys from OLLAIX_API_KEYS alone are keys too (every call needs one): said so, not "no keys" (a probe).
    root.replaceChildren(
      answer.shortFormKeys > 0
        ? h("p", null, `${answer.shortFormKeys} key(s) from OLLAIX_API_KEYS: every model, no limits.`)
        : h("p", null, "No keys configured: model calls need no key."),
      h("p", { class: "muted" }, "Virtual keys with models and limits come from the keys section of OLLAIX_CONFIG."),
    );
    return;
  }
  const limitCell = (limits: KeyLimits, usage: KeyLimits, id: keyof KeyLimits) => {
    const limit = limits[id];
    const used = usage[id] ?? 0;
    if (limit === undefined) return h("td", { class: "muted" }, used ? `${count(used)} (no limit)` : "no limit");
    const share = Math.min(100, Math.round((used / Math.max(1, limit)) * 100));
    const meter = h("span", { class: "meter", title: `${share}%` }, h("i", { style: `width:${share}%` }));
    return h("td", { class: share >= 90 ? "bad" : "" }, `${count(used)} / ${count(limit)}`, meter);
  };
  root.replaceChildren(
    h(
      "div",
      { class: "scroll" },
      h(
        "table",
        { id: "keys-table" },
        h("thead", null, h("tr", null, h("th", null, "name"), h("th", null, "models"), ...LIMITS.map((l) => h("th", null, l.label)))),
        h(
          "tbody",
          null,
          ...answer.data.map((k) =>
            h(
              "tr",
              { "data-key": k.name },
              h("td", null, h("strong", null, k.name)),
              h("td", { style: "white-space:normal" }, k.models ? k.models.join(", ") : h("span", { class: "muted" }, "all models")),
              ...LIMITS.map((l) => limitCell(k.limits, k.usage, l.id)),
            ),
          ),
        ),
      ),
    ),
  );
}
