/**
 * Process entry: a small streaming client. argv[2] is JSON `StreamJob`; prints one JSON line with
 * per-repetition time to first chunk (first body bytes), total time and event count, and for the
 * last repetition (when `arrivals`) each read's arrival time and cumulative event count.
 * Events are counted by delimiters: a blank line for SSE, a newline for NDJSON.
 */

export interface StreamJob {
  url: string;
  body: string;
  format: "sse" | "ndjson";
  reps: number;
  warmup: number;
  arrivals?: boolean;
}

export interface StreamRun {
  ttfbMs: number;
  totalMs: number;
  events: number;
  bytes: number;
  status: number;
}

export interface StreamClientResult {
  runs: StreamRun[];
  /** [ms since request start, cumulative events] per read of the last run. */
  arrivals?: [number, number][];
}

async function once(job: StreamJob, arrivals?: [number, number][]): Promise<StreamRun> {
  const t0 = performance.now();
  const res = await fetch(job.url, { method: "POST", headers: { "content-type": "application/json" }, body: job.body });
  const reader = res.body!.getReader();
  let ttfb = -1;
  let events = 0;
  let bytes = 0;
  let prevNewline = false; // SSE: was the last byte of the previous read a newline?
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const now = performance.now();
    if (ttfb < 0) ttfb = now - t0;
    bytes += value.byteLength;
    let i = value.indexOf(10);
    if (job.format === "ndjson") {
      while (i !== -1) {
        events++;
        i = value.indexOf(10, i + 1);
      }
    } else {
      if (i === 0 && prevNewline) events++;
      while (i !== -1) {
        if (i + 1 < value.length && value[i + 1] === 10) {
          events++;
          i = value.indexOf(10, i + 2);
        } else i = value.indexOf(10, i + 1);
      }
      prevNewline = value[value.length - 1] === 10;
    }
    arrivals?.push([now - t0, events]);
  }
  return { ttfbMs: ttfb, totalMs: performance.now() - t0, events, bytes, status: res.status };
}

if (import.meta.main) {
  const job = JSON.parse(process.argv[2]!) as StreamJob;
  for (let i = 0; i < job.warmup; i++) await once(job);
  const runs: StreamRun[] = [];
  let arrivals: [number, number][] | undefined;
  for (let i = 0; i < job.reps; i++) {
    const record = job.arrivals && i === job.reps - 1 ? [] : undefined;
    runs.push(await once(job, record));
    if (record) arrivals = record;
  }
  console.log(JSON.stringify({ runs, arrivals } satisfies StreamClientResult));
  process.exit(0);
}
