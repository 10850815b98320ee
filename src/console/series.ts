import type { RequestOutcome } from "../pipeline/outcome.ts";

/** One second of traffic, summed (all models, or one). Latencies in milliseconds. */
export interface SecondStats {
  requests: number;
  /** Answers with status ≥ 400 (refusals, limits, upstream failures, clients that left). */
  errors: number;
  p50: number | null;
  p95: number | null;
  /** Time to first token of the streams that finished in this second. */
  ttft50: number | null;
  ttft95: number | null;
  /** Input + output tokens. */
  tokens: number;
}

export interface SeriesPoint extends SecondStats {
  /** Unix seconds (the second the requests finished in). */
  t: number;
  byModel: Record<string, SecondStats>;
}

/** Samples kept per second for percentiles; above that a uniform reservoir keeps it fair. */
const SAMPLES = 256;
/** Models tracked apart per second; the rest are summed as "(other)" so the split stays bounded. */
const MODELS = 24;

class Accumulator {
  requests = 0;
  errors = 0;
  tokens = 0;
  readonly latency: number[] = [];
  readonly ttft: number[] = [];
  #ttftSeen = 0;

  add(o: RequestOutcome): void {
    this.requests++;
    if (o.status >= 400) this.errors++;
    if (o.usage !== undefined) this.tokens += o.usage.input + o.usage.output;
    keep(this.latency, o.durationMs, this.requests);
    if (o.ttftMs !== undefined) keep(this.ttft, o.ttftMs, ++this.#ttftSeen);
  }

  summary(): SecondStats {
    const latency = sorted(this.latency);
    const ttft = sorted(this.ttft);
    return {
      requests: this.requests,
      errors: this.errors,
      p50: percentile(latency, 0.5),
      p95: percentile(latency, 0.95),
      ttft50: percentile(ttft, 0.5),
      ttft95: percentile(ttft, 0.95),
      tokens: this.tokens,
    };
  }
}

function keep(samples: number[], value: number, seen: number): void {
  if (samples.length < SAMPLES) samples.push(value);
  else {
    const slot = Math.floor(Math.random() * seen);
    if (slot < SAMPLES) samples[slot] = value;
  }
}

const sorted = (values: number[]) => Float64Array.from(values).sort();

/** Nearest-rank percentile, rounded to 0.1 ms; null without samples. */
export function percentile(sortedValues: Float64Array, q: number): number | null {
  if (sortedValues.length === 0) return null;
  const rank = Math.min(sortedValues.length - 1, Math.max(0, Math.ceil(q * sortedValues.length) - 1));
  return Math.round(sortedValues[rank]! * 10) / 10;
}

interface OpenSecond {
  t: number;
  total: Accumulator;
  models: Map<string, Accumulator>;
}

/**
 * Per-second aggregates of the last `windowS` seconds, for the console's charts. Adding an outcome
 * is a few increments and an array push into the current second; percentiles are computed once
 * per second, when the second closes. Seconds without traffic are not stored.
 */
export class TrafficSeries {
  readonly #points: SeriesPoint[] = [];
  #open: OpenSecond | undefined;

  constructor(readonly windowS = 900) {}

  add(outcome: RequestOutcome, nowMs = Date.now()): void {
    const t = Math.floor(nowMs / 1000);
    let open = this.#open;
    if (open === undefined || open.t !== t) {
      if (open !== undefined) this.#close(open);
      open = this.#open = { t, total: new Accumulator(), models: new Map() };
    }
    open.total.add(outcome);
    const name = outcome.model === "" ? "(unknown)" : outcome.model;
    let model = open.models.get(name);
    if (model === undefined) {
      const bucket = open.models.size < MODELS ? name : "(other)";
      model = open.models.get(bucket);
      if (model === undefined) open.models.set(bucket, (model = new Accumulator()));
    }
    model.add(outcome);
  }

  /**
   * Closes every second before `nowMs`'s and returns each closed second not returned before, oldest
   * first (the console's ticks): also those an outcome of a later second closed (`add`), which
   * traffic across a tick's second does, so a live page misses none of them.
   */
  closeBefore(nowMs = Date.now()): SeriesPoint[] {
    this.#closeOld(nowMs);
    const points = this.#points;
    let from = points.length;
    while (from > 0 && points[from - 1]!.t > this.#handedThrough) from--;
    if (from === points.length) return [];
    this.#handedThrough = points[points.length - 1]!.t;
    return points.slice(from);
  }

  /** The closed seconds of the window, oldest first (a snapshot: what the ticks hand out is not touched). */
  points(nowMs = Date.now()): SeriesPoint[] {
    this.#closeOld(nowMs);
    return this.#points.slice();
  }

  /**
   * From now on `closeBefore` hands out only seconds closed after those held now: ticks that begin
   * (a first page) follow a snapshot, which has the seconds before.
   */
  handOutFrom(nowMs = Date.now()): void {
    this.#closeOld(nowMs);
    this.#handedThrough = this.#points.length === 0 ? -Infinity : this.#points[this.#points.length - 1]!.t;
  }

  /** The newest second `closeBefore` has handed out. */
  #handedThrough = -Infinity;

  #closeOld(nowMs: number): void {
    const t = Math.floor(nowMs / 1000);
    const open = this.#open;
    if (open !== undefined && open.t < t) {
      this.#open = undefined;
      this.#close(open);
    }
    this.#trim(t);
  }

  #close(open: OpenSecond): SeriesPoint {
    const byModel: Record<string, SecondStats> = {};
    for (const [name, acc] of open.models) byModel[name] = acc.summary();
    const point: SeriesPoint = { t: open.t, ...open.total.summary(), byModel };
    this.#points.push(point);
    return point;
  }

  #trim(nowS: number): void {
    const oldest = nowS - this.windowS;
    let drop = 0;
    while (drop < this.#points.length && this.#points[drop]!.t <= oldest) drop++;
    if (drop > 0) this.#points.splice(0, drop);
  }
}
