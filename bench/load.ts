/**
 * Load generation in a separate process: `wrk` (Debian's package, installed when missing and root),
 * else a Bun fallback (this file as entry: N keep-alive connections as fetch loops, fixed duration or
 * request count, log-bucket latency histogram). Both print `BENCH_JSON {...}` in wrk's done() shape.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { baseEnv, LOG_DIR, spawn } from "./spawn.ts";

export interface LoadResult {
  tool: "wrk" | "bun";
  requests: number;
  durationS: number;
  rps: number;
  latencyMs: { mean: number; max: number; p50: number; p90: number; p99: number; p999: number };
  errors: { connect: number; read: number; write: number; status: number; timeout: number; total: number };
}

export interface LoadOptions {
  url: string;
  body: string;
  conns: number;
  durationS: number;
  /** Stop after this many requests (Bun generator only: wrk cannot stop early; the duration then caps the run). */
  maxRequests?: number;
  core?: number;
  tool: "wrk" | "bun";
  /** Sent as `Authorization: Bearer <auth>` (the production profile's key). */
  auth?: string;
}

interface RawResult {
  requests: number;
  duration_us: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latency_us: { mean: number; max: number; p: Record<string, number> };
}

/** wrk's path, installing it with apt-get when missing and running as root; null when unavailable. */
export async function ensureWrk(): Promise<{ path: string | null; note?: string }> {
  const found = Bun.which("wrk");
  if (found) return { path: found };
  if (process.getuid?.() !== 0 || !Bun.which("apt-get")) return { path: null, note: "wrk missing and cannot install (not root or no apt-get)" };
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const apt = (args: string[]) => Bun.spawnSync(["apt-get", ...args], { env, stdout: "ignore", stderr: "ignore" }).exitCode === 0;
  process.stderr.write("bench: installing wrk with apt-get\n");
  if (!apt(["install", "-y", "wrk"])) apt(["update"]) && apt(["install", "-y", "wrk"]);
  const path = Bun.which("wrk");
  return path ? { path, note: "wrk installed by the bench with apt-get" } : { path: null, note: "apt-get install wrk failed" };
}

let bodySeq = 0;
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  mkdirSync(LOG_DIR, { recursive: true });
  const bodyFile = join(LOG_DIR, `body-${process.pid}-${bodySeq++}.json`);
  writeFileSync(bodyFile, o.body);
  const env = baseEnv({
    BENCH_BODY_FILE: bodyFile,
    ...(o.maxRequests ? { BENCH_MAX_REQUESTS: String(o.maxRequests) } : {}),
    ...(o.auth ? { BENCH_AUTH: `Bearer ${o.auth}` } : {}),
  });
  if (o.maxRequests && o.tool === "wrk") throw new Error("maxRequests needs the Bun load generator");
  const cap = o.maxRequests ? 600 : o.durationS;
  const cmd =
    o.tool === "wrk"
      ? ["wrk", "-t1", `-c${o.conns}`, `-d${cap}s`, "--timeout", "10s", "-s", join(import.meta.dir, "post.lua"), o.url]
      : ["bun", join(import.meta.dir, "load.ts"), o.url, String(o.conns), String(cap)];
  const proc = spawn(cmd, { core: o.core, env: { ...env, BUN_CONFIG_MAX_HTTP_REQUESTS: "2048" }, log: "load", pipeStdout: true });
  const out = await new Response(proc.stdout as ReadableStream).text();
  const code = await proc.exited;
  rmSync(bodyFile, { force: true });
  const line = out.split("\n").find((l) => l.startsWith("BENCH_JSON "));
  if (!line) throw new Error(`${o.tool} failed (exit ${code}): ${out.slice(-500)}`);
  const raw = JSON.parse(line.slice("BENCH_JSON ".length)) as RawResult;
  const durationS = raw.duration_us / 1e6;
  const e = raw.errors;
  const ms = (us: number | undefined) => (us ?? NaN) / 1000;
  return {
    tool: o.tool,
    requests: raw.requests,
    durationS,
    rps: raw.requests / durationS,
    latencyMs: {
      mean: ms(raw.latency_us.mean),
      max: ms(raw.latency_us.max),
      p50: ms(raw.latency_us.p["50"]),
      p90: ms(raw.latency_us.p["90"]),
      p99: ms(raw.latency_us.p["99"]),
      p999: ms(raw.latency_us.p["99.9"]),
    },
    errors: { ...e, total: e.connect + e.read + e.write + e.status + e.timeout },
  };
}

// --- Bun fallback load generator (process entry) --------------------------------------------------

const LN_101 = Math.log(1.01);

/** Log buckets, 1 % wide, from 1 µs. */
class Histogram {
  private readonly counts = new Float64Array(2400);
  count = 0;
  sum = 0;
  max = 0;
  record(us: number) {
    const v = Math.max(1, us);
    this.counts[Math.min(this.counts.length - 1, Math.ceil(Math.log(v) / LN_101))]! += 1;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }
  percentile(p: number): number {
    const want = (p / 100) * this.count;
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= want && seen > 0) return Math.min(this.max, 1.01 ** i);
    }
    return this.max;
  }
}

async function bunLoad(url: string, conns: number, durationS: number, max: number) {
  const body = await Bun.file(process.env.BENCH_BODY_FILE!).text();
  const hist = new Histogram();
  const errors = { connect: 0, read: 0, write: 0, status: 0, timeout: 0 };
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (process.env.BENCH_AUTH) headers.authorization = process.env.BENCH_AUTH;
  const init = { method: "POST", headers, body }; // Bun keeps connections alive by default
  const start = performance.now();
  const end = start + durationS * 1000;
  let started = 0;
  const loop = async () => {
    while (performance.now() < end && started < max) {
      started++;
      const t0 = performance.now();
      try {
        const r = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
        await r.arrayBuffer();
        if (r.status < 200 || r.status > 399) errors.status++;
      } catch (error) {
        if ((error as Error).name === "TimeoutError") errors.timeout++;
        else errors.read++;
      }
      hist.record((performance.now() - t0) * 1000);
    }
  };
  await Promise.all(Array.from({ length: conns }, loop));
  const durationUs = (performance.now() - start) * 1000;
  const p: Record<string, number> = {};
  for (const q of [50, 90, 99, 99.9]) p[String(q)] = Math.round(hist.percentile(q));
  const out = { requests: hist.count, duration_us: Math.round(durationUs), errors, latency_us: { mean: hist.sum / hist.count, max: hist.max, p } };
  console.log(`BENCH_JSON ${JSON.stringify(out)}`);
}

if (import.meta.main) {
  const [url, conns, duration] = process.argv.slice(2);
  const max = Number(process.env.BENCH_MAX_REQUESTS ?? Infinity);
  await bunLoad(url!, Number(conns), Number(duration), max);
  process.exit(0);
}
