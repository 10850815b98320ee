/** A small element builder: `h("td", { class: "num" }, "12 ms")`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> | null = null,
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (value === true) el.setAttribute(name, "");
      else if (typeof value === "string") el.setAttribute(name, value);
    }
  }
  for (const child of children) if (child !== null && child !== undefined) el.append(child);
  return el;
}

export const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

export const ms = (value: number | null | undefined) =>
  value === null || value === undefined ? "–" : value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;

export const count = (value: number | null | undefined) => (value === null || value === undefined ? "–" : value.toLocaleString("en"));

export const clock = (unixMs: number) => new Date(unixMs).toLocaleTimeString([], { hour12: false });

export function duration(seconds: number): string {
  const d = Math.floor(seconds / 86400), hr = Math.floor((seconds % 86400) / 3600), m = Math.floor((seconds % 3600) / 60);
  return d > 0 ? `${d}d ${hr}h` : hr > 0 ? `${hr}h ${m}m` : m > 0 ? `${m}m ${seconds % 60}s` : `${seconds}s`;
}
