/** Derived numbers (overheads, Ollaix / bare ratios, targets) and the two outputs: markdown on stdout, JSON file. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Kind, LoadRow, PathName, ProgressiveRow, StreamRow } from "./measure.ts";
import type { ProductionRow } from "./production.ts";

export interface StartupInfo {
  runsMs: number[];
  medianMs: number;
  idleRssMiB: number;
}

export interface Results {
  machine: { nproc: number; cpu: string; bun: string; date: string; kernel: string; loadTool: string; pinned: boolean; loadavgStart: string; loadavgEnd?: string };
  settings: Record<string, unknown>;
  notes: string[];
  skipped: { kind: Kind; path: PathName; reason: string }[];
  load: LoadRow[];
  streams: StreamRow[];
  progressive: ProgressiveRow[];
  startup: Partial<Record<"src" | "bin", StartupInfo>>;
  binary: { exists: boolean; sizeMiB?: number; rebuilt?: boolean; buildS?: number; error?: string };
  production?: ProductionRow[];
  /** bench/observe-cost.ts: µs per request of the metrics and the request log line (median of rounds). */
  observe?: { metricsUs: number; logUs: number; totalUs: number; n: number };
  memory?: { kind: Kind; path: PathName; conns: number; first: { requests: number; rssMiB: number }; second: { requests: number; rssMiB: number }; growthPct: number };
  /** The binary and `bun start` taking turns on one path at 64 conns: req/s per round, and the median of bin / src. */
  sideBySide?: { path: PathName; conns: number; rounds: { src: number; bin: number }[]; ratio: number }[];
  /**
   * One gateway, its Responses store already full, taking turns between the same call on
   * /v1/chat/completions, /v1/responses and /v1/responses with `store: false` at 64 conns: gateway
   * CPU µs per request in each turn, and the medians of the per-round differences with chat.
   */
  responsesTurns?: Partial<
    Record<"src" | "bin", { conns: number; rounds: { chat: number; responses: number; unstored?: number }[]; addedUs: number; unstoredAddedUs?: number }>
  >;
  elapsedS?: number;
  ratios?: Record<string, Record<string, number | null>>;
  targets?: TargetCheck[];
}

export interface TargetCheck {
  name: string;
  limit: string;
  variant: "src" | "bin";
  value: number | null;
  unit: string;
  met: boolean | null;
  /** A load row it was computed from ran while other processes used > NOISY % CPU. */
  noisy?: boolean;
  note?: string;
}

const VARIANTS = ["src", "bin"] as const;
const kindOf = (v: "src" | "bin"): Kind => (v === "src" ? "ollaix-src" : "ollaix-bin");
const LABEL: Record<Kind, string> = {
  direct: "upstream direct",
  bare: "bare Bun",
  "ollaix-src": "Ollaix (bun src)",
  "ollaix-bin": "Ollaix (dist/ollaix)",
  "ollaix-log": "Ollaix (bun src, LOG_LEVEL=info)",
  "ollaix-trace": "Ollaix (bun src, info + tracing on)",
};
const label = (kind: Kind, path: PathName) => (kind === "bare" ? (path === "dummy" ? "bare Bun dummy" : "bare Bun proxy") : LABEL[kind]);

const find = (r: Results, kind: Kind, path: PathName, conns: number) => r.load.find((x) => x.kind === kind && x.path === path && x.conns === conns);
const findStream = (r: Results, kind: Kind, path: PathName, chunks: number) => r.streams.find((x) => x.kind === kind && x.path === path && x.chunks === chunks);
const num = (x: number | undefined | null): number | null => (x === undefined || x === null || !Number.isFinite(x) ? null : x);

/** Fills per-chunk overheads, the ratios and the target checks. */
export function derive(r: Results): void {
  for (const s of r.streams) {
    const direct = findStream(r, "direct", s.path, s.chunks);
    const bare = findStream(r, "bare", s.path, s.chunks);
    if (direct) s.overheadVsDirectUs = ((s.totalMs - direct.totalMs) / s.chunks) * 1000;
    if (bare) s.overheadVsBareUs = ((s.totalMs - bare.totalMs) / s.chunks) * 1000;
  }
  const ratios: Record<string, Record<string, number | null>> = {};
  const targets: TargetCheck[] = [];
  const check = (v: "src" | "bin", name: string, limit: string, value: number | null, unit: string, ok: (x: number) => boolean, note?: string, rows: ({ otherCpuPct: number } | undefined)[] = []) =>
    targets.push({ name, limit, variant: v, value, unit, met: value === null ? null : ok(value), noisy: rows.some((x) => x !== undefined && x.otherCpuPct > NOISY), note });
  const skipNote = (v: "src" | "bin", path: PathName) => r.skipped.find((s) => s.kind === kindOf(v) && s.path === path)?.reason;

  for (const v of VARIANTS) {
    const k = kindOf(v);
    const out: Record<string, number | null> = {};
    for (const path of ["dummy", "openai", "ollama"] as const) {
      for (const c of r.settings.conns as number[]) {
        const o = find(r, k, path, c);
        const b = find(r, "bare", path, c);
        out[`${path}.rps_ratio@${c}`] = o && b ? o.rps / b.rps : null;
      }
      const o1 = find(r, k, path, 1);
      const b1 = find(r, "bare", path, 1);
      out[`${path}.added_p50_ms@1`] = o1 && b1 ? o1.p50Ms - b1.p50Ms : null;
      const o64 = find(r, k, path, 64);
      const b64 = find(r, "bare", path, 64);
      out[`${path}.p99_ratio@64`] = o64 && b64 ? o64.p99Ms / b64.p99Ms : null;
      if (path !== "dummy") {
        for (const chunks of r.streams.map((s) => s.chunks).filter((c, i, a) => a.indexOf(c) === i)) {
          const s = findStream(r, k, path, chunks);
          const b = findStream(r, "bare", path, chunks);
          out[`${path}.stream${chunks}.per_chunk_overhead_us`] = num(s?.overheadVsBareUs);
          out[`${path}.stream${chunks}.ttfb_added_ms`] = s && b ? s.ttfbMs - b.ttfbMs : null;
        }
      }
    }
    // The Ollama surface against the same dummy call on Chat Completions, both through Ollaix.
    const api1 = [find(r, k, "dummy-api", 1), find(r, k, "dummy", 1)];
    const api64 = [find(r, k, "dummy-api", 64), find(r, k, "dummy", 64)];
    out["dummy-api.added_p50_us_vs_chat@1"] = api1[0] && api1[1] ? (api1[0].p50Ms - api1[1].p50Ms) * 1000 : null;
    out["dummy-api.rps_ratio_vs_chat@64"] = api64[0] && api64[1] ? api64[0].rps / api64[1].rps : null;
    // Responses over the same upstream call as the openai chat row, in the same run: gateway CPU per
    // request (CPU % ÷ req/s) and stream time per chunk, as differences.
    const cpuPerReqUs = (x: LoadRow | undefined) => (x && x.rps > 0 ? ((x.cpuPct / 100) * 1e6) / x.rps : null);
    for (const c of r.settings.conns as number[]) {
      const resp = cpuPerReqUs(find(r, k, "responses", c));
      const chat = cpuPerReqUs(find(r, k, "openai", c));
      out[`responses.cpu_us_per_req_vs_chat@${c}`] = resp !== null && chat !== null ? resp - chat : null;
    }
    for (const chunks of r.streams.map((x) => x.chunks).filter((c, i, a) => a.indexOf(c) === i)) {
      const resp = findStream(r, k, "responses", chunks);
      const chat = findStream(r, k, "openai", chunks);
      out[`responses.stream${chunks}.us_per_chunk_vs_chat`] = resp && chat ? ((resp.totalMs - chat.totalMs) / chunks) * 1000 : null;
    }
    ratios[v] = out;
    check(v, "/api/chat vs /v1/chat/completions (dummy): added p50 at 1 conn", "≤ 5 µs", out["dummy-api.added_p50_us_vs_chat@1"] ?? null, "µs", (x) => x <= 5, skipNote(v, "dummy-api"), api1);

    // Issue 17's targets: the OpenAI-compatible path ≥ 0.85× the bare proxy, the Ollama path ≥ 0.70×
    // of the same, the dummy ≥ 0.70× of the bare JSON server (each with every feature on by default).
    const RPS_TARGET = { openai: 0.85, ollama: 0.7, dummy: 0.7 } as const;
    for (const path of ["dummy", "openai", "ollama"] as const) {
      const note = skipNote(v, path);
      const at1 = [find(r, k, path, 1), find(r, "bare", path, 1)];
      const at64 = [find(r, k, path, 64), find(r, "bare", path, 64)];
      const target = RPS_TARGET[path];
      check(v, `${path}: req/s at 64 conns vs bare`, `≥ ${target.toFixed(2)}`, out[`${path}.rps_ratio@64`] ?? null, "×", (x) => x >= target, note, at64);
      check(v, `${path}: added p50 at 1 conn`, "≤ 0.15 ms", out[`${path}.added_p50_ms@1`] ?? null, "ms", (x) => x <= 0.15, note, at1);
      check(v, `${path}: p99 at 64 conns vs bare`, "≤ 1.2×", out[`${path}.p99_ratio@64`] ?? null, "×", (x) => x <= 1.2, note, at64);
    }
    // Messages vs Chat Completions on the same upstream call: the Anthropic surface's own cost.
    const m1 = find(r, k, "messages", 1);
    const c1 = find(r, k, "openai", 1);
    out["messages.added_p50_us_vs_chat@1"] = m1 && c1 ? (m1.p50Ms - c1.p50Ms) * 1000 : null;
    for (const chunks of [200, 2000]) {
      const ms = findStream(r, k, "messages", chunks);
      const cs = findStream(r, k, "openai", chunks);
      out[`messages.stream${chunks}.per_chunk_us_vs_chat`] = ms && cs ? ((ms.totalMs - cs.totalMs) / chunks) * 1000 : null;
    }
    const mNote = skipNote(v, "messages");
    check(v, "messages: added p50 vs the same chat call (1 conn)", "≤ 5 µs", out["messages.added_p50_us_vs_chat@1"] ?? null, "µs", (x) => x <= 5, mNote, [m1, c1]);
    check(v, "messages stream: per-chunk cost vs the same chat stream (2,000 chunks)", "≤ 5 µs", out["messages.stream2000.per_chunk_us_vs_chat"] ?? null, "µs", (x) => x <= 5, mNote, [findStream(r, k, "messages", 2000), findStream(r, k, "openai", 2000)]);
    const note = skipNote(v, "openai");
    const s2000 = [findStream(r, k, "openai", 2000), findStream(r, "bare", "openai", 2000)];
    const s200 = [findStream(r, k, "openai", 200), findStream(r, "bare", "openai", 200)];
    check(v, "openai stream: per-chunk overhead vs bare proxy (2,000 chunks)", "≤ 5 µs", out["openai.stream2000.per_chunk_overhead_us"] ?? null, "µs", (x) => x <= 5, note, s2000);
    check(v, "ollama stream: per-chunk overhead vs bare proxy (2,000 chunks)", "≤ 5 µs", out["ollama.stream2000.per_chunk_overhead_us"] ?? null, "µs", (x) => x <= 5, skipNote(v, "ollama"), [findStream(r, k, "ollama", 2000), findStream(r, "bare", "ollama", 2000)]);
    check(v, "openai stream: TTFB added vs bare proxy (200 chunks)", "≤ 1 ms", out["openai.stream200.ttfb_added_ms"] ?? null, "ms", (x) => x <= 1, note, s200);
    const respAt64 = [find(r, k, "responses", 64), find(r, k, "openai", 64)];
    const turns = r.responsesTurns?.[v];
    if (turns) {
      // Taking turns in one process: the main rows run minutes apart, and the machine's drift over
      // those minutes is larger than the difference measured.
      out["responses.cpu_us_per_req_vs_chat_turns@64"] = turns.addedUs;
      // Not a target: how much of it is the surface and how much its store.
      if (turns.unstoredAddedUs !== undefined) out["responses.unstored.cpu_us_per_req_vs_chat_turns@64"] = turns.unstoredAddedUs;
      const spread = pairedInterval(turns.rounds.map((x) => x.responses - x.chat));
      check(
        v,
        `responses: gateway CPU per request vs the same chat call (64 conns, taking turns, median of ${turns.rounds.length} rounds)`,
        "≤ 5 µs",
        turns.addedUs,
        "µs",
        (x) => x <= 5,
        spread && `mean ${f(spread.mean, 1)} µs, 95 % interval ${f(spread.mean - spread.half, 1)} to ${f(spread.mean + spread.half, 1)} µs`,
      );
    } else {
      check(v, "responses: gateway CPU per request vs the same chat call (64 conns)", "≤ 5 µs", out["responses.cpu_us_per_req_vs_chat@64"] ?? null, "µs", (x) => x <= 5, skipNote(v, "responses") ?? note, respAt64);
    }
    check(v, "responses stream: time per chunk vs the same chat stream (2,000 chunks)", "≤ 5 µs", out["responses.stream2000.us_per_chunk_vs_chat"] ?? null, "µs", (x) => x <= 5, skipNote(v, "responses") ?? note, [findStream(r, k, "responses", 2000), findStream(r, k, "openai", 2000)]);
    check(v, "idle RSS after start", "≤ 60 MiB", num(r.startup[v]?.idleRssMiB), "MiB", (x) => x <= 60);
  }
  if (r.memory) {
    const quick = r.settings.quick ? "quick mode: small counts, warm-up growth dominates; the full run is the reference" : undefined;
    check("src", `RSS after ${r.memory.second.requests} vs after ${r.memory.first.requests} requests`, "≤ +10 %", r.memory.growthPct, "%", (x) => x <= 10, quick);
  }
  // The compiled binary is no worse than `bun start` (same paths, same run; 5 % for noise).
  for (const path of ["dummy", "openai", "ollama"] as const) {
    // Side by side when measured (the two gateways taking turns); else the main rows, which run
    // minutes apart and so also measure how the machine drifted meanwhile.
    const pair = r.sideBySide?.find((x) => x.path === path);
    if (pair) {
      check("bin", `${path}: binary req/s vs bun start at 64 conns (side by side, median of ${pair.rounds.length} rounds)`, "≥ 0.95", pair.ratio, "×", (x) => x >= 0.95);
      continue;
    }
    const bin = find(r, "ollaix-bin", path, 64);
    const src = find(r, "ollaix-src", path, 64);
    check("bin", `${path}: binary req/s vs bun start at 64 conns`, "≥ 0.95", bin && src ? bin.rps / src.rps : null, "×", (x) => x >= 0.95, skipNote("bin", path), [bin, src]);
  }
  const production = r.production?.find((x) => x.profile === "keys+routes (in-process)" && x.conns === 64);
  const bareProxy = find(r, "bare", "openai", 64);
  check("src", "production profile (keys, limits, routes, metrics, request log, console ring; in-process) vs the bare proxy at 64 conns", "≥ 0.80", production && bareProxy ? production.rps / bareProxy.rps : null, "×", (x) => x >= 0.8, undefined, [production, bareProxy]);
  if (r.observe) check("src", "metrics + request log line per request (bench/observe-cost.ts)", "≤ 5 µs", r.observe.totalUs, "µs", (x) => x <= 5);
  check("bin", "dist/ollaix start-up to first /health", "≤ 100 ms", num(r.startup.bin?.medianMs), "ms", (x) => x <= 100, r.binary.error);
  r.ratios = ratios;
  r.targets = targets;
}

/** Other processes' CPU % above which a row is flagged as noisy. */
const NOISY = 10;

const f = (x: number | null | undefined, digits = 2) => (x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(digits));
const table = (head: string[], rows: (string | number)[][]) =>
  [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`, ...rows.map((row) => `| ${row.join(" | ")} |`)].join("\n");

export function markdown(r: Results): string {
  const m = r.machine;
  const s = r.settings;
  const out: string[] = [];
  out.push(`## Ollaix benchmark (${s.quick ? "quick" : "full"})`);
  out.push(
    `${m.date} · ${m.nproc} cores, ${m.cpu} · Bun ${m.bun} · ${m.kernel} · load: ${m.loadTool} · ` +
      (m.pinned ? "gateway on core 0, load + fake upstream on core 1" : "**unpinned (no taskset)**") +
      ` · ${s.durationS} s per run, warm-up excluded · load average ${m.loadavgStart} at start, ${m.loadavgEnd ?? "?"} at end`,
  );
  const noisy = [...r.load, ...r.streams].filter((x) => x.otherCpuPct > NOISY).length;
  if (noisy) {
    out.push(`- **${noisy} of ${r.load.length + r.streams.length} load and stream rows ran while other processes used > ${NOISY} % CPU: compare with care, or re-run on a quiet machine.**`);
  }
  for (const n of r.notes) out.push(`- ${n}`);
  for (const k of r.skipped) out.push(`- skipped ${label(k.kind, k.path)} / ${k.path}: ${k.reason}`);

  out.push("\n### Non-streaming chat completions (seed payload)");
  out.push(
    table(
      ["target", "path", "conns", "req/s", "p50 ms", "p90 ms", "p99 ms", "errors", "CPU %", "peak RSS MiB", "other CPU %"],
      r.load.map((x) => [
        label(x.kind, x.path),
        x.path,
        x.conns,
        f(x.rps, 0),
        f(x.p50Ms, 3),
        f(x.p90Ms, 3),
        f(x.p99Ms, 3),
        x.errors,
        f(x.cpuPct, 0),
        f(x.peakRssMiB, 1),
        x.otherCpuPct > NOISY ? `**${f(x.otherCpuPct, 0)}**` : f(x.otherCpuPct, 0),
      ]),
    ),
  );
  out.push(
    "\n_CPU % and peak RSS are the measured process's: the fake upstream for `upstream direct` (which then shares core 1 with the load), else the gateway (core 0). " +
      `Other CPU % is what processes outside the bench used meanwhile (of ${r.machine.nproc * 100} %); in bold above ${NOISY} %: that row is noisy._`,
  );

  if (r.production?.length) {
    out.push("\n### Production profile (bun src, dummy model through a route; 10 keys with limits)");
    out.push(
      table(
        ["profile", "conns", "req/s", "p50 ms", "p99 ms", "errors", "cost µs/request vs plain", "CPU %", "other CPU %"],
        r.production.map((x) => [x.profile, x.conns, f(x.rps, 0), f(x.p50Ms, 3), f(x.p99Ms, 3), x.errors, f(x.costUsPerRequest, 1), f(x.cpuPct, 0), x.otherCpuPct > NOISY ? `**${f(x.otherCpuPct, 0)}**` : f(x.otherCpuPct, 0)]),
      ),
    );
    out.push("\n_Measured back to back in one phase; cost = 1/rps − 1/rps of the plain row at the same conns, in µs._");
  }

  if (r.sideBySide?.length) {
    out.push("\n### dist/ollaix and bun src/main.ts side by side (64 conns, taking turns)");
    out.push(
      table(
        ["path", "rounds: src / bin req/s", "bin / src, median"],
        r.sideBySide.map((x) => [x.path, x.rounds.map((k) => `${f(k.src, 0)} / ${f(k.bin, 0)}`).join(", "), `${f(x.ratio, 3)} ×`]),
      ),
    );
  }

  const turnRows = (["src", "bin"] as const).flatMap((v) => {
    const t = r.responsesTurns?.[v];
    if (!t) return [];
    const rounds = t.rounds.map((x) => `${f(x.chat, 1)} / ${f(x.responses, 1)} / ${x.unstored === undefined ? "–" : f(x.unstored, 1)}`).join(", ");
    const spread = pairedInterval(t.rounds.map((x) => x.responses - x.chat));
    const interval = spread ? `${f(spread.mean, 1)} ± ${f(spread.half, 1)} µs` : "–";
    return [[v, rounds, `${f(t.addedUs, 1)} µs`, interval, t.unstoredAddedUs === undefined ? "–" : `${f(t.unstoredAddedUs, 1)} µs`]];
  });
  if (turnRows.length) {
    out.push("\n### /v1/responses and /v1/chat/completions taking turns (one gateway, store full, 64 conns)");
    out.push(
      table(
        ["variant", "rounds: chat / responses / responses with store: false, gateway CPU µs per request", "responses − chat, median", "responses − chat, mean ± 95 % interval", "store: false − chat, median"],
        turnRows,
      ),
    );
  }

  out.push("\n### Streams (instant upstream; medians)");
  out.push(
    table(
      ["target", "path", "chunks", "TTFB ms", "total ms", "events/s", "µs/chunk vs direct", "µs/chunk vs bare", "failed", "other CPU %"],
      r.streams.map((x) => [
        label(x.kind, x.path),
        x.path,
        x.chunks,
        f(x.ttfbMs, 3),
        f(x.totalMs, 2),
        f(x.eventsPerS, 0),
        f(x.overheadVsDirectUs, 2),
        f(x.overheadVsBareUs, 2),
        x.failures,
        x.otherCpuPct > NOISY ? `**${f(x.otherCpuPct, 0)}**` : f(x.otherCpuPct, 0),
      ]),
    ),
  );

  if (r.progressive.length) {
    const p0 = r.progressive[0]!;
    out.push(`\n### Progressive delivery (${p0.chunks} chunks, ${p0.delayMs} ms apart upstream; arrival times at the client)`);
    out.push(
      table(
        ["target", "path", "reads", "first ms", "10 % ms", "50 % ms", "90 % ms", "last ms", "spread ms", "max gap ms", "progressive"],
        r.progressive.map((x) => [label(x.kind, x.path), x.path, x.reads, f(x.firstMs, 1), f(x.t10Ms, 1), f(x.t50Ms, 1), f(x.t90Ms, 1), f(x.lastMs, 1), f(x.spreadMs, 1), f(x.maxGapMs, 1), x.progressive ? "yes" : "**NO (buffered)**"]),
      ),
    );
  }

  out.push("\n### Ollaix process");
  const st = r.startup;
  const rows: (string | number)[][] = [
    ["start-up to first /health, median ms", f(st.src?.medianMs, 1), f(st.bin?.medianMs, 1)],
    ["start-up runs ms", st.src?.runsMs.map((x) => f(x, 0)).join(", ") ?? "–", st.bin?.runsMs.map((x) => f(x, 0)).join(", ") ?? "–"],
    ["idle RSS after start, MiB", f(st.src?.idleRssMiB, 1), f(st.bin?.idleRssMiB, 1)],
    ["binary size, MiB", "", r.binary.exists ? f(r.binary.sizeMiB, 1) : `– ${r.binary.error ?? ""}`],
  ];
  if (r.memory) {
    const mm = r.memory;
    rows.push([`RSS after ${mm.first.requests} / ${mm.second.requests} requests (${mm.path}, ${mm.conns} conns), MiB`, `${f(mm.first.rssMiB, 1)} / ${f(mm.second.rssMiB, 1)} (${mm.growthPct >= 0 ? "+" : ""}${f(mm.growthPct, 1)} %)`, ""]);
  }
  out.push(table(["", "bun src/main.ts", "dist/ollaix"], rows));

  if (r.observe) {
    const o = r.observe;
    out.push("\n### Observing one request (bench/observe-cost.ts, in-process, median of 7 rounds of " + o.n + ")");
    out.push(table(["metrics (GatewayMetrics.observe)", "request log line (JSON, redacted, buffered stdout)", "both"], [[`${f(o.metricsUs, 3)} µs`, `${f(o.logUs, 3)} µs`, `${f(o.totalUs, 3)} µs`]]));
  }

  out.push("\n### Ollaix / bare Bun (proxy for openai & ollama, dummy server for dummy)");
  const keys = Object.keys(r.ratios?.src ?? {}).filter((k) => Object.values(r.ratios ?? {}).some((v) => v[k] !== null));
  out.push(table(["ratio", "src", "bin"], keys.map((k) => [k, f(r.ratios?.src?.[k], 3), f(r.ratios?.bin?.[k], 3)])));

  out.push("\n### Targets");
  out.push(
    table(
      ["target", "limit", "variant", "value", "result"],
      (r.targets ?? []).map((t) => [t.name, t.limit, t.variant, t.value === null ? "–" : `${f(t.value, 3)} ${t.unit}`, t.met === null ? `not measured${t.note ? ` (${t.note})` : ""}` : (t.met ? "met" : "**missed**") + (t.noisy ? " (noisy: other processes were busy)" : "") + (t.note ? ` (${t.note})` : "")]),
    ),
  );
  if (r.elapsedS !== undefined) out.push(`\n_run took ${f(r.elapsedS, 1)} s_`);
  return out.join("\n");
}

export function writeJson(r: Results, file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
}

/** Student's t for a two-sided 95 % interval, by degrees of freedom (1 to 30). */
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/**
 * The mean of paired per-round differences and the half-width of its 95 % interval (Student's t;
 * past 30 degrees of freedom 1.96 + 2.4 / df, within 0.1 % there). On a shared machine the rounds of
 * one run differ by tens of µs, so a median of 14 is only good to several µs: the interval says how
 * many. Undefined for fewer than 3 rounds.
 */
export function pairedInterval(differences: number[]): { mean: number; half: number } | undefined {
  const n = differences.length;
  if (n < 3) return undefined;
  const mean = differences.reduce((a, b) => a + b, 0) / n;
  const variance = differences.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  const t = T95[n - 2] ?? 1.96 + 2.4 / (n - 1);
  return { mean, half: t * Math.sqrt(variance / n) };
}
