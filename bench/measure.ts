/** One measurement of each kind against one target process: load rows, stream rows, progressive delivery. */
import { runLoad } from "./load.ts";
import { startSample } from "./proc.ts";
import { settings } from "./config.ts";
import { spawn } from "./spawn.ts";
import type { StreamClientResult, StreamJob } from "./stream-client.ts";

export type Kind = "direct" | "bare" | "ollaix-src" | "ollaix-bin" | "ollaix-log" | "ollaix-trace";
/** `messages`: Anthropic's /v1/messages in front of the same OpenAI-compatible fake as `openai`. `dummy-api`: the dummy model through Ollaix's Ollama surface (`POST /api/chat`), beside the same call on `/v1/chat/completions`. `responses`: the openai upstream through `/v1/responses` (compared with the `openai` chat row). */
export type PathName = "openai" | "ollama" | "dummy" | "messages" | "dummy-api" | "responses";

export interface Target {
  kind: Kind;
  path: PathName;
  /** Which process the CPU and RSS numbers are about. */
  pid: number;
  /** Other live bench processes (the fake upstream), kept out of the "other CPU" noise figure. */
  ours: number[];
  url: string;
}

export interface LoadRow {
  kind: Kind;
  path: PathName;
  conns: number;
  requests: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  errors: number;
  errorDetail: Record<string, number>;
  cpuPct: number;
  peakRssMiB: number;
  /** CPU % used meanwhile by processes outside the bench (other work on the machine). */
  otherCpuPct: number;
  tool: string;
}

export interface StreamRow {
  kind: Kind;
  path: PathName;
  chunks: number;
  reps: number;
  ttfbMs: number;
  totalMs: number;
  events: number;
  eventsPerS: number;
  /** Filled by the report: (total - total of the same path's direct / bare) / chunks. */
  overheadVsDirectUs?: number;
  overheadVsBareUs?: number;
  failures: number;
  otherCpuPct: number;
}

export interface ProgressiveRow {
  kind: Kind;
  path: PathName;
  chunks: number;
  delayMs: number;
  reads: number;
  events: number;
  firstMs: number;
  lastMs: number;
  spreadMs: number;
  /** Times (ms from request start) by which 10 / 50 / 90 % of the events had arrived. */
  t10Ms: number;
  t50Ms: number;
  t90Ms: number;
  maxGapMs: number;
  progressive: boolean;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** One request that must answer 2xx with a chat completion; returns an error text otherwise. */
export async function sanity(url: string, body: string, expectOllama = false): Promise<string | undefined> {
  try {
    const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(10_000) });
    const text = await r.text();
    if (!r.ok) return `HTTP ${r.status}: ${text.slice(0, 200)}`;
    const json = JSON.parse(text) as {
      choices?: { message?: { content?: unknown } }[];
      message?: { content?: unknown };
      content?: { text?: unknown }[];
      output?: { type?: string; content?: { text?: unknown }[] }[];
    };
    // A chat completion, Ollama's answer, an Anthropic Message (`content[0].text`) or a Response.
    const content = expectOllama
      ? json.message?.content
      : (json.choices?.[0]?.message?.content ??
        json.content?.[0]?.text ??
        json.output?.find((item) => item.type === "message")?.content?.[0]?.text);
    return typeof content === "string" ? undefined : `unexpected answer: ${text.slice(0, 200)}`;
  } catch (error) {
    return `request failed: ${(error as Error).message}`;
  }
}

/** Warm-up, excluded from the numbers: a wrk run in full mode, a burst of fetches in quick mode. */
export async function warmUp(url: string, body: string, tool: "wrk" | "bun", auth?: string): Promise<void> {
  if (!settings.quick) {
    await runLoad({ url, body, conns: 64, durationS: settings.warmupS, core: 1, tool, auth });
    return;
  }
  let left = 1000;
  const headers: Record<string, string> = { "content-type": "application/json", ...(auth ? { authorization: `Bearer ${auth}` } : {}) };
  const loop = async () => {
    while (left-- > 0) await (await fetch(url, { method: "POST", headers, body })).arrayBuffer();
  };
  await Promise.all(Array.from({ length: 32 }, loop));
}

export async function loadRows(t: Target, body: string, tool: "wrk" | "bun"): Promise<LoadRow[]> {
  await warmUp(t.url, body, tool);
  const rows: LoadRow[] = [];
  for (const conns of settings.conns) {
    const sample = startSample(t.pid, t.ours);
    const r = await runLoad({ url: t.url, body, conns, durationS: settings.durationS, core: 1, tool });
    const s = sample();
    const { total, ...errorDetail } = r.errors;
    rows.push({
      kind: t.kind,
      path: t.path,
      conns,
      requests: r.requests,
      rps: r.rps,
      p50Ms: r.latencyMs.p50,
      p90Ms: r.latencyMs.p90,
      p99Ms: r.latencyMs.p99,
      errors: total,
      errorDetail,
      cpuPct: s.cpuPct,
      peakRssMiB: s.peakRssMiB,
      otherCpuPct: s.otherCpuPct,
      tool: r.tool,
    });
    process.stderr.write(
      `  ${t.kind} ${t.path} c=${conns}: ${r.rps.toFixed(0)} req/s p50 ${r.latencyMs.p50.toFixed(3)} ms, errors ${total}, other CPU ${s.otherCpuPct.toFixed(0)} %\n`,
    );
  }
  return rows;
}

export async function streamClient(job: StreamJob): Promise<StreamClientResult> {
  const proc = spawn(["bun", "bench/stream-client.ts", JSON.stringify(job)], { core: 1, log: "stream-client", pipeStdout: true });
  const out = await new Response(proc.stdout as ReadableStream).text();
  if ((await proc.exited) !== 0) throw new Error(`stream client failed: ${out.slice(-300)}`);
  return JSON.parse(out.trim().split("\n").at(-1)!) as StreamClientResult;
}

export async function streamRow(t: Target, body: string, format: "sse" | "ndjson", chunks: number): Promise<StreamRow> {
  const reps = settings.streamReps[chunks] ?? 5;
  const sample = startSample(t.pid, t.ours);
  const { runs } = await streamClient({ url: t.url, body, format, reps, warmup: settings.streamWarmup[chunks] ?? 10 });
  const { otherCpuPct } = sample();
  const ok = runs.filter((r) => r.status === 200 && r.events >= chunks);
  const totalMs = median(ok.map((r) => r.totalMs));
  const events = median(ok.map((r) => r.events));
  return {
    kind: t.kind,
    path: t.path,
    chunks,
    reps,
    ttfbMs: median(ok.map((r) => r.ttfbMs)),
    totalMs,
    events,
    eventsPerS: events / (totalMs / 1000),
    failures: runs.length - ok.length,
    otherCpuPct,
  };
}

export async function progressiveRow(t: Target, body: string, format: "sse" | "ndjson"): Promise<ProgressiveRow> {
  const { chunks, delayMs } = settings.paced;
  const { runs, arrivals = [] } = await streamClient({ url: t.url, body, format, reps: 1, warmup: 0, arrivals: true });
  const events = runs[0]?.events ?? 0;
  const at = (share: number) => arrivals.find(([, n]) => n >= share * events)?.[0] ?? NaN;
  let maxGap = 0;
  for (let i = 1; i < arrivals.length; i++) maxGap = Math.max(maxGap, arrivals[i]![0] - arrivals[i - 1]![0]);
  const firstMs = arrivals[0]?.[0] ?? NaN;
  const lastMs = arrivals.at(-1)?.[0] ?? NaN;
  const row = {
    kind: t.kind,
    path: t.path,
    chunks,
    delayMs,
    reads: arrivals.length,
    events,
    firstMs,
    lastMs,
    spreadMs: lastMs - firstMs,
    t10Ms: at(0.1),
    t50Ms: at(0.5),
    t90Ms: at(0.9),
    maxGapMs: maxGap,
    progressive: false,
  };
  // Progressive: the events arrive over at least half the upstream's pacing time, in many reads,
  // with the middle of the stream well before its end.
  row.progressive =
    row.spreadMs >= 0.5 * chunks * delayMs && row.reads >= Math.min(50, chunks / 10) && row.t90Ms - row.t10Ms >= 0.4 * chunks * delayMs;
  return row;
}
