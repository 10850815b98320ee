/** Benchmark knobs (env) and the fixed request payloads. Shared by the orchestrator and its children. */

export const QUICK = process.env.BENCH_QUICK === "1";

function num(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return n;
}

export const settings = {
  quick: QUICK,
  /** Seconds per measured load run (wrk takes whole seconds). */
  durationS: Math.max(1, Math.round(num("BENCH_DURATION", QUICK ? 2 : 10))),
  /** Seconds of warm-up per target, excluded from the numbers. */
  warmupS: 1,
  conns: (process.env.BENCH_CONNS ?? (QUICK ? "1,64" : "1,16,64,256"))
    .split(",")
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0),
  /** Streamed chunk counts (instant upstream) and measured repetitions of each. */
  streamChunks: [200, 2000],
  streamReps: { 200: QUICK ? 20 : 40, 2000: QUICK ? 10 : 30 } as Record<number, number>,
  /**
   * Unmeasured streams first, in the same client process. A fresh client's own first ~30 streams
   * (JIT of its fetch and stream reader) ran 3–5× slower than its later ones, on the bare proxy as
   * well as on Ollaix, and new connections from a warm client did not: two warm-up streams left
   * that in the numbers and made the per-chunk rows swing by 10 µs between runs.
   */
  streamWarmup: { 200: 60, 2000: 30 } as Record<number, number>,
  /** Progressive-delivery check: chunks and pacing between them upstream. */
  paced: { chunks: QUICK ? 300 : 2000, delayMs: 1 },
  /** Requests for the memory growth check (RSS read after each). */
  memory: QUICK ? { first: 2_000, second: 20_000 } : { first: 10_000, second: 100_000 },
  startupRuns: QUICK ? 2 : 5,
  /**
   * The binary against `bun start`, side by side: rounds per path, and seconds per run. Both
   * gateways are up at once and take turns (the order flips each round), so the machine's drift over
   * the minutes between the main source and binary rows does not decide the ratio.
   */
  pairRounds: QUICK ? 1 : 5,
  pairS: QUICK ? 2 : 5,
  /**
   * Responses and chat taking turns in one gateway: rounds, and seconds per turn. Many short turns
   * resolve what a few long ones do not: in 5 s turns the host's load moved single rounds by ±10 µs
   * a request (bench/PROFILE.md, sixth and eighth passes).
   */
  turnRounds: QUICK ? 2 : 14,
  turnS: 2,
  /** BENCH_LOAD=bun forces the Bun load generator instead of wrk. */
  forceBunLoad: process.env.BENCH_LOAD === "bun",
};

/** Models the fakes list. A `-c<N>` suffix sets the chunk count, `-d<ms>` the pacing. */
export const OPENAI_MODEL = "bench-model";
export const OLLAMA_MODEL = "bench-llama:latest";
export const DUMMY_MODEL = "dummy-model:1.0";

/** `bench-llama:latest` + `c200` → `bench-llama-c200:latest`. */
export function variant(model: string, suffix: string): string {
  if (!suffix) return model;
  const colon = model.indexOf(":");
  return colon === -1 ? `${model}-${suffix}` : `${model.slice(0, colon)}-${suffix}${model.slice(colon)}`;
}

/** The seed's three-message conversation. */
export { SEED_MESSAGES } from "../src/seed.ts";
import { SEED_MESSAGES } from "../src/seed.ts";

export const chatBody = (model: string, stream = false): string =>
  JSON.stringify(stream ? { model, messages: SEED_MESSAGES, stream: true } : { model, messages: SEED_MESSAGES });

/** The same conversation as an Anthropic Messages request (`max_tokens` is required there). */
export const messagesBody = (model: string, stream = false): string =>
  JSON.stringify(stream ? { model, max_tokens: 1024, messages: SEED_MESSAGES, stream: true } : { model, max_tokens: 1024, messages: SEED_MESSAGES });

/** The same conversation as a Responses request (`input` items), for the Responses rows; `store: false` when not `stored`. */
export const responsesBody = (model: string, stream = false, stored = true): string =>
  JSON.stringify({ model, input: SEED_MESSAGES, ...(stream ? { stream: true } : {}), ...(stored ? {} : { store: false }) });
