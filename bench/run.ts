/**
 * `bun run bench`: fake upstreams, bare Bun baselines and Ollaix (source and binary), each in its own
 * process, measured by wrk (or the Bun fallback) and a streaming client; see bench/README.md.
 * Everything listens on and talks to 127.0.0.1 only.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { chatBody, messagesBody, responsesBody, DUMMY_MODEL, OLLAMA_MODEL, OPENAI_MODEL, settings, variant } from "./config.ts";
import { ensureWrk, runLoad } from "./load.ts";
import { loadRows, median, progressiveRow, sanity, streamRow, warmUp, type Kind, type PathName, type Target } from "./measure.ts";
import { memory, startSample } from "./proc.ts";
import { measureProduction } from "./production.ts";
import { derive, markdown, writeJson, type Results, type StartupInfo } from "./report.ts";
import { baseEnv, freePort, HAS_TASKSET, installSignalCleanup, pin, readyLine, ROOT, spawn, stop, stopAll, waitHttp } from "./spawn.ts";

type Fakes = { openai: string; ollama: string };
type Child = ReturnType<typeof spawn>;
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const started = performance.now();
const stamp = (): string => `${((performance.now() - started) / 1000).toFixed(1)} s`;

const results: Results = {
  machine: {
    nproc: navigator.hardwareConcurrency,
    cpu: /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? "unknown",
    bun: Bun.version,
    date: new Date().toISOString(),
    kernel: readFileSync("/proc/sys/kernel/osrelease", "utf8").trim(),
    loadTool: "",
    pinned: HAS_TASKSET,
    loadavgStart: loadavg(),
  },
  settings: { ...settings },
  notes: [],
  skipped: [],
  load: [],
  streams: [],
  progressive: [],
  startup: {},
  binary: { exists: false },
};
function loadavg(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}
const note = (s: string) => {
  results.notes.push(s);
  log(s);
};

// --- the binary ------------------------------------------------------------------------------------
function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) newest = Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

async function ensureBinary(): Promise<void> {
  const bin = join(ROOT, "dist/ollaix");
  const sources = Math.max(newestMtime(join(ROOT, "src")), newestMtime(join(ROOT, "plugins")), statSync(join(ROOT, "package.json")).mtimeMs);
  if (!existsSync(bin) || statSync(bin).mtimeMs < sources) {
    log("building dist/ollaix (bun run build)");
    const t0 = performance.now();
    const proc = spawn(["bun", "run", "build"], { log: "build" });
    const code = await proc.exited;
    results.binary.rebuilt = true;
    results.binary.buildS = (performance.now() - t0) / 1000;
    if (code !== 0) {
      results.binary.error = `build failed (exit ${code}, see bench/results/logs/build.log)`;
      return;
    }
  }
  results.binary.exists = true;
  results.binary.sizeMiB = statSync(bin).size / 2 ** 20;
}

// --- Ollaix processes ------------------------------------------------------------------------------
function ollaixEnv(fakes: Fakes, port: number, extra: Record<string, string> = {}): Record<string, string> {
  return baseEnv({
    PORT: String(port),
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
    OLLAMA_BASE_URL: fakes.ollama,
    OPENAI_BASE_URL: `${fakes.openai}/v1`,
    OPENAI_API_KEY: "bench-key",
    ...(process.env.BENCH_PLUGINS_DIR ? { PLUGINS_DIR: process.env.BENCH_PLUGINS_DIR } : {}),
    // Last: a row's own settings (LOG_LEVEL=info, OTEL_*, OLLAIX_CONFIG…) win over the defaults.
    ...extra,
  });
}

async function startOllaix(v: "src" | "bin", fakes: Fakes, tag: string, extra: Record<string, string> = {}): Promise<{ proc: Child; url: string; startupMs: number }> {
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const cmd = v === "src" ? ["bun", "src/main.ts"] : [join(ROOT, "dist/ollaix")];
  const t0 = performance.now();
  const proc = spawn(cmd, { core: 0, env: ollaixEnv(fakes, port, extra), log: `ollaix-${v}-${tag}` });
  try {
    return { proc, url, startupMs: await waitHttp(`${url}/health`, t0, 15_000, proc) };
  } catch (error) {
    await stop(proc);
    throw error;
  }
}

/** The id Ollaix lists for a fake's model (bare, or `<instance>/<id>`), waiting out discovery a little. */
async function listedModel(url: string, bare: string): Promise<string | null> {
  for (let i = 0; i < 10; i++) {
    const body = (await (await fetch(`${url}/v1/models`)).json()) as { data?: { id: string }[] };
    const ids = (body.data ?? []).map((m) => m.id);
    const hit = ids.find((id) => id === bare) ?? ids.find((id) => id.endsWith(`/${bare}`));
    if (hit) return hit;
    await Bun.sleep(100);
  }
  return null;
}

/** `bench-model` listed as `openai/bench-model` → `openai/bench-model-c200`. */
const listedVariant = (listed: string, bare: string, suffix: string) => listed.slice(0, listed.length - bare.length) + variant(bare, suffix);

const PLUGIN_FILE: Record<"openai" | "ollama", string> = { openai: "plugins/openai-compatible/index.ts", ollama: "plugins/ollama/index.ts" };
const BARE: Record<"openai" | "ollama", string> = { openai: OPENAI_MODEL, ollama: OLLAMA_MODEL };

// --- measuring one target ---------------------------------------------------------------------------
interface PathPlan {
  path: PathName;
  /** Where non-streaming and streaming requests go. */
  url: string;
  body: string;
  /** Streaming body for `-c<N>` / paced variants, and the stream's framing. */
  streamBody?: (suffix: string) => string;
  format?: "sse" | "ndjson";
  ollamaAnswer?: boolean;
  loadOnly?: boolean;
  streamsOnly?: boolean;
}

let fakePid = 0;

async function measure(kind: Kind, pid: number, plans: PathPlan[], tool: "wrk" | "bun"): Promise<void> {
  for (const p of plans) {
    const t: Target = { kind, path: p.path, pid, ours: [fakePid], url: p.url };
    const problem = await sanity(p.url, p.body, p.ollamaAnswer);
    if (problem) {
      results.skipped.push({ kind, path: p.path, reason: problem });
      log(`${kind} ${p.path}: ${problem}`);
      continue;
    }
    if (!p.streamsOnly) results.load.push(...(await loadRows(t, p.body, tool)));
    if (p.streamBody && p.format && !p.loadOnly) {
      for (const chunks of settings.streamChunks) results.streams.push(await streamRow(t, p.streamBody(`c${chunks}`), p.format, chunks));
      const { chunks, delayMs } = settings.paced;
      results.progressive.push(await progressiveRow(t, p.streamBody(`c${chunks}-d${delayMs}`), p.format));
    }
    log(`${kind} ${p.path}: done (${stamp()})`);
  }
}

const openaiPlan = (base: string): PathPlan => ({
  path: "openai",
  url: `${base}/v1/chat/completions`,
  body: chatBody(OPENAI_MODEL),
  streamBody: (suffix) => chatBody(variant(OPENAI_MODEL, suffix), true),
  format: "sse",
});
/** Ollama's own API for direct and bare rows: `stream: false` is how Ollama is asked for one JSON answer. */
const ollamaNativePlan = (base: string): PathPlan => ({
  path: "ollama",
  url: `${base}/api/chat`,
  body: JSON.stringify({ ...JSON.parse(chatBody(OLLAMA_MODEL)), stream: false }),
  streamBody: (suffix) => chatBody(variant(OLLAMA_MODEL, suffix), true),
  format: "ndjson",
  ollamaAnswer: true,
});

async function measureOllaix(v: "src" | "bin", fakes: Fakes, tool: "wrk" | "bun"): Promise<void> {
  const kind: Kind = v === "src" ? "ollaix-src" : "ollaix-bin";
  const { proc, url } = await startOllaix(v, fakes, "load");
  try {
    const plans: PathPlan[] = [
      { path: "dummy", url: `${url}/v1/chat/completions`, body: chatBody(DUMMY_MODEL) },
      // The same call on the Ollama surface (`stream: false`: Ollama streams by default).
      { path: "dummy-api", url: `${url}/api/chat`, body: JSON.stringify({ ...JSON.parse(chatBody(DUMMY_MODEL)), stream: false }), ollamaAnswer: true },
    ];
    const storedLast: PathPlan[] = [];
    for (const path of ["openai", "ollama"] as const) {
      const listed = existsSync(join(ROOT, PLUGIN_FILE[path])) ? await listedModel(url, BARE[path]) : null;
      if (!listed) {
        const why = existsSync(join(ROOT, PLUGIN_FILE[path])) ? `${BARE[path]} not listed by GET /v1/models` : `${PLUGIN_FILE[path]} missing`;
        results.skipped.push({ kind, path, reason: `plugin not available (${why})` });
        log(`${kind} ${path}: plugin not available (${why})`);
        continue;
      }
      plans.push({
        path,
        url: `${url}/v1/chat/completions`,
        body: chatBody(listed),
        streamBody: (suffix) => chatBody(listedVariant(listed, BARE[path], suffix), true),
        format: "sse",
        // quick mode: the binary's ollama load rows are left out to stay under a minute
        ...(settings.quick && v === "bin" && path === "ollama" ? { streamsOnly: true } : {}),
      });
      // The Messages surface over the same upstream call as the `openai` chat row: the difference
      // between the two rows is what the Anthropic conversion costs.
      if (path === "openai") {
        plans.push({
          path: "messages",
          url: `${url}/v1/messages`,
          body: messagesBody(listed),
          streamBody: (suffix) => messagesBody(listedVariant(listed, BARE.openai, suffix), true),
          format: "sse",
          ...(settings.quick && v === "bin" ? { streamsOnly: true } : {}),
        });
        // The same upstream and conversation through /v1/responses: its cost over the chat row is the
        // surface's. Measured last: the 10,000 responses it stores stay in the process and slow every
        // request after them (bench/PROFILE.md, third pass), which the other rows must not carry.
        storedLast.push({
          path: "responses",
          url: `${url}/v1/responses`,
          body: responsesBody(listed),
          streamBody: (suffix) => responsesBody(listedVariant(listed, BARE.openai, suffix), true),
          format: "sse",
          ...(settings.quick && v === "bin" ? { streamsOnly: true } : {}),
        });
      }
    }
    await measure(kind, proc.pid, [...plans, ...storedLast], tool);
  } finally {
    await stop(proc);
  }
}

/**
 * The compiled binary against `bun start` on each path: both gateways up (core 0; only one is loaded
 * at a time), 64-connection runs taking turns, the order flipped each round. The main rows measure
 * the binary minutes after the source, and on this shared machine that drift decided the ratio.
 */
async function measureSideBySide(fakes: Fakes, tool: "wrk" | "bun"): Promise<void> {
  const src = await startOllaix("src", fakes, "pair");
  try {
    const bin = await startOllaix("bin", fakes, "pair");
    try {
      results.sideBySide = [];
      for (const path of ["dummy", "openai", "ollama"] as const) {
        const model = path === "dummy" ? DUMMY_MODEL : existsSync(join(ROOT, PLUGIN_FILE[path])) ? await listedModel(src.url, BARE[path]) : null;
        if (!model) continue;
        const body = chatBody(model);
        const gateways = { src: `${src.url}/v1/chat/completions`, bin: `${bin.url}/v1/chat/completions` };
        for (const url of Object.values(gateways)) await warmUp(url, body, tool);
        const rounds: { src: number; bin: number }[] = [];
        for (let i = 0; i < settings.pairRounds; i++) {
          const round = { src: 0, bin: 0 };
          for (const v of i % 2 === 0 ? (["src", "bin"] as const) : (["bin", "src"] as const)) {
            round[v] = (await runLoad({ url: gateways[v], body, conns: 64, durationS: settings.pairS, core: 1, tool })).rps;
          }
          rounds.push(round);
        }
        results.sideBySide.push({ path, conns: 64, rounds, ratio: median(rounds.map((x) => x.bin / x.src)) });
      }
    } finally {
      await stop(bin.proc);
    }
  } finally {
    await stop(src.proc);
  }
}

/**
 * The Responses surface's own cost: one gateway, the same upstream call through /v1/chat/completions,
 * /v1/responses, and /v1/responses with `store: false` (the surface without its store), 64-connection
 * runs taking turns (the order flipped each round), gateway CPU per request from /proc in each. The store is filled first (the warm-up stores more than it keeps), so
 * both sides run in the process as it is once it serves Responses. The main rows measure the two
 * minutes apart, and the machine's drift over minutes is larger than what is measured.
 */
async function measureResponsesTurns(v: "src" | "bin", fakes: Fakes, tool: "wrk" | "bun"): Promise<void> {
  const { proc, url } = await startOllaix(v, fakes, "responses-turns");
  try {
    const model = existsSync(join(ROOT, PLUGIN_FILE.openai)) ? await listedModel(url, OPENAI_MODEL) : null;
    if (!model) return note(`${v}: responses turns skipped (${OPENAI_MODEL} not listed)`);
    const targets = {
      chat: [`${url}/v1/chat/completions`, chatBody(model)],
      responses: [`${url}/v1/responses`, responsesBody(model)],
      unstored: [`${url}/v1/responses`, responsesBody(model, false, false)],
    } as const;
    await warmUp(...targets.chat, tool);
    // Long enough to store more than the 10,000 responses the memory store keeps.
    await runLoad({ url: targets.responses[0], body: targets.responses[1], conns: 64, durationS: settings.quick ? 3 : 5, core: 1, tool });
    const rounds: { chat: number; responses: number; unstored: number }[] = [];
    const order = ["chat", "responses", "unstored"] as const;
    for (let i = 0; i < settings.turnRounds; i++) {
      const round = { chat: 0, responses: 0, unstored: 0 };
      for (const side of i % 2 === 0 ? order : [...order].reverse()) {
        const [target, body] = targets[side];
        const sample = startSample(proc.pid);
        const load = await runLoad({ url: target, body, conns: 64, durationS: settings.turnS, core: 1, tool });
        const s = sample();
        if (load.errors.total > 0) throw new Error(`${v} ${side}: ${load.errors.total} errors while taking turns`);
        round[side] = ((s.cpuPct / 100) * 1e6) / load.rps;
      }
      rounds.push(round);
    }
    (results.responsesTurns ??= {})[v] = {
      conns: 64,
      rounds,
      addedUs: median(rounds.map((x) => x.responses - x.chat)),
      unstoredAddedUs: median(rounds.map((x) => x.unstored - x.chat)),
    };
  } finally {
    await stop(proc);
  }
}

/**
 * The observability rows: Ollaix from source with the request log on (LOG_LEVEL=info, the default;
 * the other rows run at warn) and with tracing on as well (spans exported to a collector that drops
 * them); metrics are on in every row. Load rows only, dummy and openai paths.
 */
async function measureObserved(fakes: Fakes, tool: "wrk" | "bun"): Promise<void> {
  const collector = spawn(["bun", "bench/null-collector.ts"], { core: 1, log: "null-collector", pipeStdout: true });
  try {
    const { url: collectorUrl } = await readyLine<{ url: string }>(collector);
    const variants: [Kind, Record<string, string>][] = [
      ["ollaix-log", { LOG_LEVEL: "info" }],
      ["ollaix-trace", { LOG_LEVEL: "info", OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl, OTEL_SERVICE_NAME: "ollaix-bench" }],
    ];
    for (const [kind, env] of variants) {
      const { proc, url } = await startOllaix("src", fakes, kind, env);
      try {
        const plans: PathPlan[] = [{ path: "dummy", url: `${url}/v1/chat/completions`, body: chatBody(DUMMY_MODEL) }];
        const listed = await listedModel(url, OPENAI_MODEL);
        if (listed) plans.push({ path: "openai", url: `${url}/v1/chat/completions`, body: chatBody(listed) });
        await measure(kind, proc.pid, plans, tool);
      } finally {
        await stop(proc);
      }
    }
    const exports = (await (await fetch(collectorUrl)).json()) as { exports: number };
    note(`tracing rows: the collector received ${exports.exports} OTLP exports`);
  } finally {
    await stop(collector);
  }
}

/** The hot-path cost of observing one request, measured in its own process (stdout to /dev/null). */
async function measureObserveCost(): Promise<void> {
  const proc = Bun.spawn([...pin(0), "bun", "bench/observe-cost.ts"], { cwd: ROOT, env: baseEnv({ OBSERVE_COST_N: settings.quick ? "50000" : "200000" }), stdout: "ignore", stderr: "pipe" });
  const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`bench/observe-cost.ts exited ${code}: ${err.slice(-400)}`);
  results.observe = JSON.parse(err.trim().split("\n").at(-1)!) as NonNullable<Results["observe"]>;
}

async function measureStartup(v: "src" | "bin", fakes: Fakes): Promise<StartupInfo> {
  const runsMs: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < settings.startupRuns; i++) {
    const { proc, startupMs } = await startOllaix(v, fakes, "startup");
    try {
      runsMs.push(startupMs);
      await Bun.sleep(settings.quick ? 500 : 1000);
      rss.push(memory(proc.pid).rssMiB);
    } finally {
      await stop(proc);
    }
  }
  return { runsMs, medianMs: median(runsMs), idleRssMiB: median(rss) };
}

async function measureMemory(fakes: Fakes): Promise<void> {
  const { proc, url } = await startOllaix("src", fakes, "memory");
  try {
    const openai = await listedModel(url, OPENAI_MODEL).catch(() => null);
    const path: PathName = openai ? "openai" : "dummy";
    const body = chatBody(openai ?? DUMMY_MODEL);
    const target = `${url}/v1/chat/completions`;
    const conns = 64;
    const { first, second } = settings.memory;
    // wrk cannot stop after N requests: the Bun generator counts them
    const a = await runLoad({ url: target, body, conns, durationS: 0, maxRequests: first, core: 1, tool: "bun" });
    await Bun.sleep(200);
    const rss1 = memory(proc.pid).rssMiB;
    const b = await runLoad({ url: target, body, conns, durationS: 0, maxRequests: second - a.requests, core: 1, tool: "bun" });
    await Bun.sleep(200);
    const rss2 = memory(proc.pid).rssMiB;
    if (a.errors.total + b.errors.total > 0) note(`memory run: ${a.errors.total + b.errors.total} errors`);
    results.memory = {
      kind: "ollaix-src",
      path,
      conns,
      first: { requests: a.requests, rssMiB: rss1 },
      second: { requests: a.requests + b.requests, rssMiB: rss2 },
      growthPct: ((rss2 - rss1) / rss1) * 100,
    };
  } finally {
    await stop(proc);
  }
}

/** Runs one part; a failure is noted and the run goes on with the next part. */
async function phase(name: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
    log(`${name}: done (${stamp()})`);
  } catch (error) {
    note(`${name} failed: ${(error as Error).message}`);
  }
}

// --- main ------------------------------------------------------------------------------------------
async function main(): Promise<void> {
  installSignalCleanup();
  if (!HAS_TASKSET) note("taskset not found: all processes run unpinned");
  let tool: "wrk" | "bun" = "bun";
  if (settings.forceBunLoad) note("BENCH_LOAD=bun: Bun load generator");
  else {
    const wrk = await ensureWrk();
    if (wrk.note) note(wrk.note);
    if (wrk.path) tool = "wrk";
    else note("wrk unavailable: Bun load generator (bench/load.ts) used; its numbers are lower than wrk's");
  }
  const wrkVersion = tool === "wrk" ? Bun.spawnSync(["wrk", "-v"]).stdout.toString().split("\n")[0]?.split(" Copyright")[0]?.trim() : "";
  results.machine.loadTool = tool === "wrk" ? `${wrkVersion}, 1 thread` : "Bun fetch loops (bench/load.ts)";
  if (settings.quick) note("quick mode: the binary's ollama path is measured for streams only; smaller stream and memory runs");
  if (process.env.BENCH_PLUGINS_DIR) note(`PLUGINS_DIR=${process.env.BENCH_PLUGINS_DIR} passed to Ollaix (BENCH_PLUGINS_DIR)`);
  await ensureBinary(); // before measuring: a build meanwhile would load both cores

  const fake = spawn(["bun", "bench/fake-upstreams.ts"], { core: 1, env: baseEnv({ FAKE_VARIANTS: `c200,c2000,c${settings.paced.chunks}-d${settings.paced.delayMs}` }), log: "fake", pipeStdout: true });
  const fakes = await readyLine<Fakes>(fake);
  fakePid = fake.pid;
  log(`fake upstreams ${fakes.openai} ${fakes.ollama}`);

  // 1. the fake upstream hit directly (its own CPU/RSS)
  const direct = [openaiPlan(fakes.openai), ollamaNativePlan(fakes.ollama)];
  direct[1]!.streamsOnly = true; // its load rows feed no ratio; the stream rows are the per-chunk baseline
  await measure("direct", fake.pid, direct, tool);

  // 2. the bare Bun proxy, and 5. the bare dummy server
  const proxy = spawn(["bun", "bench/bare-proxy.ts"], { core: 0, env: baseEnv({ UPSTREAM_OPENAI: fakes.openai, UPSTREAM_OLLAMA: fakes.ollama }), log: "bare-proxy", pipeStdout: true });
  try {
    const { url } = await readyLine<{ url: string }>(proxy);
    await measure("bare", proxy.pid, [openaiPlan(url), ollamaNativePlan(url)], tool);
  } finally {
    await stop(proxy);
  }
  const dummy = spawn(["bun", "bench/bare-dummy.ts"], { core: 0, log: "bare-dummy", pipeStdout: true });
  try {
    const { url } = await readyLine<{ url: string }>(dummy);
    await measure("bare", dummy.pid, [{ path: "dummy", url, body: chatBody(DUMMY_MODEL) }], tool);
  } finally {
    await stop(dummy);
  }

  // 3. Ollaix from source; 4. the compiled binary
  await phase("Ollaix (bun src) load and streams", () => measureOllaix("src", fakes, tool));
  if (results.binary.exists) await phase("dist/ollaix load and streams", () => measureOllaix("bin", fakes, tool));
  else note(`binary rows skipped: ${results.binary.error}`);
  if (results.binary.exists) await phase("dist/ollaix and bun src side by side", () => measureSideBySide(fakes, tool));
  await phase("Responses and chat taking turns (bun src)", () => measureResponsesTurns("src", fakes, tool));
  if (results.binary.exists) await phase("Responses and chat taking turns (dist/ollaix)", () => measureResponsesTurns("bin", fakes, tool));
  await phase("Ollaix with the request log, and with tracing", () => measureObserved(fakes, tool));
  await phase("observing one request (metrics + log line)", measureObserveCost);

  // the production profile: keys with limits and routes, in-process and in Redis, next to plain
  await phase("production profile", async () => {
    results.production = await measureProduction((env, tag) => startOllaix("src", fakes, `production-${tag}`, env), tool, note);
  });

  // start-up, idle RSS, memory growth
  await phase("start-up (src)", async () => void (results.startup.src = await measureStartup("src", fakes)));
  if (results.binary.exists) await phase("start-up (bin)", async () => void (results.startup.bin = await measureStartup("bin", fakes)));
  await phase("memory growth", () => measureMemory(fakes));

  const stats = await (await fetch(`${fakes.openai}/__stats`)).json();
  results.settings.fakeUpstreamRequests = stats;
  await stop(fake);
}

try {
  await main();
} catch (error) {
  note(`run aborted: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
results.elapsedS = (performance.now() - started) / 1000;
results.machine.loadavgEnd = loadavg();
derive(results);
const file = join(import.meta.dir, "results", "latest.json");
writeJson(results, file);
console.log(markdown(results));
console.log(`\n_JSON: ${file}_`);
