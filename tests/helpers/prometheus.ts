// @ts-expect-error: the package ships no type declarations; its output is typed below.
import parsePrometheusTextFormat from "parse-prometheus-text-format";

type Labels = Record<string, string>;
interface Sample {
  name: string;
  labels: Labels;
  value: number;
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = `([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"`;
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*)\\})? (-?[0-9.]+(?:e[+-]?[0-9]+)?|[+-]Inf|NaN)$`);
const unescape = (v: string) => v.replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));

/**
 * A scrape, read strictly as text format 0.0.4: every line is a HELP, a TYPE or a well-formed
 * sample; each family has HELP then TYPE before its samples and appears once; sample names belong
 * to the family (`_bucket`, `_sum`, `_count` for histograms); a histogram's buckets are cumulative
 * and end in `+Inf` equal to `_count`. Counters and gauges are cross-checked with
 * parse-prometheus-text-format (it reads labelled histograms wrongly, so those are checked here).
 */
export class Scrape {
  readonly families = new Map<string, { name: string; help: string; type: string }>();
  readonly samples: Sample[] = [];

  constructor(readonly text: string) {
    if (!text.endsWith("\n")) throw new Error("the exposition does not end with a newline");
    let current: { name: string; help: string; type: string } | undefined;
    for (const line of text.split("\n")) {
      if (line === "") continue;
      const help = /^# HELP (\S+) (.*)$/.exec(line);
      if (help) {
        if (this.families.has(help[1]!)) throw new Error(`family declared twice: ${help[1]}`);
        current = { name: help[1]!, help: help[2]!, type: "" };
        this.families.set(current.name, current);
        continue;
      }
      const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
      if (type) {
        if (!current || type[1] !== current.name || current.type) throw new Error(`TYPE out of place: ${line}`);
        current.type = type[2]!.toUpperCase();
        continue;
      }
      const m = SAMPLE.exec(line);
      if (!m || !current?.type) throw new Error(`malformed or orphan sample line: ${JSON.stringify(line)}`);
      const name = m[1]!;
      const allowed = current.type === "HISTOGRAM" ? ["_bucket", "_sum", "_count"].map((s) => current!.name + s) : [current.name];
      if (!allowed.includes(name)) throw new Error(`sample ${name} outside its family ${current.name}`);
      const labels: Labels = {};
      for (const l of (m[2] ?? "").matchAll(new RegExp(LABEL, "g"))) {
        if (l[1]! in labels) throw new Error(`label ${l[1]} twice: ${line}`);
        labels[l[1]!] = unescape(l[2]!);
      }
      const raw = m.at(-1)!;
      this.samples.push({ name, labels, value: raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw) });
    }
    this.#checkHistograms();
    this.#crossCheck();
  }

  #checkHistograms(): void {
    for (const family of this.families.values()) {
      if (family.type !== "HISTOGRAM") continue;
      const bySeries = new Map<string, Sample[]>();
      for (const s of this.samples) {
        if (s.name !== `${family.name}_bucket`) continue;
        const { le, ...rest } = s.labels;
        if (le === undefined) throw new Error(`${family.name}: bucket without le`);
        const id = JSON.stringify(rest);
        bySeries.set(id, [...(bySeries.get(id) ?? []), s]);
      }
      for (const [id, buckets] of bySeries) {
        if (buckets.at(-1)!.labels.le !== "+Inf") throw new Error(`${family.name}: last bucket is not +Inf`);
        for (let i = 1; i < buckets.length; i++) {
          if (Number(buckets[i]!.labels.le === "+Inf" ? Infinity : buckets[i]!.labels.le) <= Number(buckets[i - 1]!.labels.le)) throw new Error(`${family.name}: bounds not increasing`);
          if (buckets[i]!.value < buckets[i - 1]!.value) throw new Error(`${family.name}: buckets not cumulative`);
        }
        const count = this.samples.find((s) => s.name === `${family.name}_count` && JSON.stringify(s.labels) === id);
        if (count?.value !== buckets.at(-1)!.value) throw new Error(`${family.name}: +Inf bucket != _count`);
      }
    }
  }

  #crossCheck(): void {
    for (const family of parsePrometheusTextFormat(this.text) as { name: string; type: string; metrics: { value: string; labels?: Labels }[] }[]) {
      if (family.type !== "COUNTER" && family.type !== "GAUGE") continue;
      for (const m of family.metrics) {
        const mine = this.samples.find((s) => s.name === family.name && JSON.stringify(s.labels) === JSON.stringify(m.labels ?? {}));
        if (mine?.value !== Number(m.value)) throw new Error(`${family.name}${JSON.stringify(m.labels)}: parsers disagree`);
      }
    }
  }

  #sum(name: string, labels: Labels): number {
    return this.samples
      .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      .reduce((sum, s) => sum + s.value, 0);
  }

  /** A counter's or gauge's value: the sum over the series whose labels include `labels` (0 when none). */
  value(name: string, labels: Labels = {}): number {
    if (!this.families.has(name)) throw new Error(`no family ${name} in the scrape`);
    return this.#sum(name, labels);
  }

  /** A histogram's count and sum over the series whose labels include `labels`. */
  histogram(name: string, labels: Labels = {}): { count: number; sum: number } {
    if (this.families.get(name)?.type !== "HISTOGRAM") throw new Error(`no histogram ${name} in the scrape`);
    return { count: this.#sum(`${name}_count`, labels), sum: this.#sum(`${name}_sum`, labels) };
  }

  /** Every label set of a family's samples (to check label values stay bounded). */
  labelSets(name: string): Labels[] {
    return this.samples.filter((s) => s.name === name || s.name === `${name}_count`).map((s) => s.labels);
  }
}

export async function scrape(baseUrl: string, headers: Record<string, string> = {}): Promise<Scrape> {
  const response = await fetch(`${baseUrl}/metrics`, { headers });
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}: ${await response.text()}`);
  const type = response.headers.get("content-type");
  if (type !== "text/plain; version=0.0.4; charset=utf-8") throw new Error(`/metrics content-type ${type}`);
  return new Scrape(await response.text());
}
