/**
 * The "production profile", on the OpenAI-compatible path: Ollaix as a team runs it — 10 keys with
 * limits, two routes, metrics, the request log line (LOG_LEVEL=info) and the console's ring — the
 * requests going through the `fast` route (→ the OpenAI-compatible fake) with one of the keys, next
 * to the same Ollaix without keys or routes asked for the same upstream model, measured back to back;
 * then the same profile with its counters in a local redis-server. The cost per request is
 * (1/rps − 1/rps of the plain row), in µs, at the same connection count; report.ts compares the
 * in-process profile with the bare Bun proxy (target ≥ 0.80×).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DUMMY_MODEL, OPENAI_MODEL, chatBody, settings } from "./config.ts";
import { runLoad } from "./load.ts";
import { warmUp } from "./measure.ts";
import { startSample } from "./proc.ts";
import { freePort, LOG_DIR, spawn, stop } from "./spawn.ts";

export type Profile = "plain" | "keys+routes (in-process)" | "keys+routes (Redis)";

export interface ProductionRow {
  profile: Profile;
  conns: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  cpuPct: number;
  otherCpuPct: number;
  /** Added µs of gateway time per request vs the plain row at the same conns. */
  costUsPerRequest?: number;
}

const KEY = "sk-bench-key-10";

/** 10 keys with limits far above what the bench sends (never refused, always counted), two routes. */
function writeProductionConfig(): string {
  const keys = Array.from({ length: 10 }, (_, i) => ({
    name: `team-${i + 1}`,
    key_env: `BENCH_KEY_${i + 1}`,
    models: ["smart", "fast", "dummy-*"],
    rpm: 100_000_000,
    tpm: 1_000_000_000_000,
    tokens_per_day: 1_000_000_000_000,
  }));
  const routes = [
    { model: "smart", targets: [{ model: DUMMY_MODEL, weight: 3 }, { model: `dummy/${DUMMY_MODEL}` }], retries: 1 },
    { model: "fast", targets: [{ model: `openai/${OPENAI_MODEL}` }], fallbacks: [DUMMY_MODEL] },
  ];
  const file = join(LOG_DIR, "production-profile.json");
  writeFileSync(file, JSON.stringify({ keys, routes }, null, 2));
  return file;
}

const keyEnv = (): Record<string, string> => Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`BENCH_KEY_${i + 1}`, `sk-bench-key-${i + 1}`]));

type Start = (extraEnv: Record<string, string>, tag: string) => Promise<{ proc: { pid: number }; url: string }>;

async function rows(profile: Profile, url: string, pid: number, body: string, tool: "wrk" | "bun", auth?: string): Promise<ProductionRow[]> {
  await warmUp(url, body, tool, auth);
  const out: ProductionRow[] = [];
  for (const conns of settings.conns) {
    const sample = startSample(pid, []);
    const r = await runLoad({ url, body, conns, durationS: settings.durationS, core: 1, tool, auth });
    const s = sample();
    out.push({ profile, conns, rps: r.rps, p50Ms: r.latencyMs.p50, p99Ms: r.latencyMs.p99, errors: r.errors.total, cpuPct: s.cpuPct, otherCpuPct: s.otherCpuPct });
    process.stderr.write(`  production ${profile} c=${conns}: ${r.rps.toFixed(0)} req/s p50 ${r.latencyMs.p50.toFixed(3)} ms, errors ${r.errors.total}\n`);
  }
  return out;
}

/** Measures plain, in-process and (when redis-server exists) Redis profiles; returns the rows with costs. */
export async function measureProduction(start: Start, tool: "wrk" | "bun", note: (s: string) => void): Promise<ProductionRow[]> {
  const config = writeProductionConfig();
  const all: ProductionRow[] = [];
  const run = async (profile: Profile, env: Record<string, string>, model: string, auth?: string) => {
    const { proc, url } = await start(env, profile.replace(/\W+/g, "-"));
    try {
      all.push(...(await rows(profile, `${url}/v1/chat/completions`, proc.pid, chatBody(model), tool, auth)));
    } finally {
      await stop(proc as Parameters<typeof stop>[0]);
    }
  };
  const info = { LOG_LEVEL: "info" };
  await run("plain", info, OPENAI_MODEL);
  await run("keys+routes (in-process)", { ...info, OLLAIX_CONFIG: config, ...keyEnv() }, "fast", KEY);
  if (Bun.which("redis-server")) {
    const port = freePort();
    const redis = spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { core: 1, log: "redis" });
    try {
      await Bun.sleep(300);
      await run("keys+routes (Redis)", { ...info, OLLAIX_CONFIG: config, REDIS_URL: `redis://127.0.0.1:${port}`, ...keyEnv() }, "fast", KEY);
    } finally {
      await stop(redis);
    }
  } else {
    note("production profile with Redis skipped: redis-server not installed");
  }
  for (const row of all) {
    const plain = all.find((p) => p.profile === "plain" && p.conns === row.conns);
    if (plain && row.profile !== "plain") row.costUsPerRequest = (1 / row.rps - 1 / plain.rps) * 1e6;
  }
  return all;
}
