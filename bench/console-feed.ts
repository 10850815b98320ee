/**
 * `bun bench/console-feed.ts`: what the console adds to each `/v1/*` request — its outcome
 * subscriber (ring + per-second series, plus queueing for open pages) — measured on the real
 * `createConsole` against an empty outcome bus. Prints a markdown table of ns per request.
 */
import { loadConfig } from "../src/config.ts";
import { createConsole } from "../src/console/console.ts";
import { createLogger } from "../src/logger.ts";
import { OutcomeBus, type RequestOutcome } from "../src/pipeline/outcome.ts";
import { ModelRegistry } from "../src/registry.ts";

const N = 1_000_000;
const ROUNDS = 7;
const logger = createLogger({ level: "error", redact: (t) => t, write: () => undefined });
const config = loadConfig({ PORT: "0" });

// Fresh objects per request, as the pipeline emits them.
const outcomes: RequestOutcome[] = Array.from({ length: 4096 }, (_, i) => ({
  requestId: `req-${i}`, surface: "chat", method: "POST", path: "/v1/chat/completions", status: i % 50 === 0 ? 502 : 200,
  stream: i % 2 === 0, startedAt: performance.now(), durationMs: 20 + (i % 97), ttftMs: i % 2 === 0 ? 5 + (i % 13) : undefined,
  upstreamMs: 18, model: i % 3 === 0 ? "gpt-4o-mini" : "dummy-model:1.0", target: "dummy/dummy-model:1.0", provider: "dummy",
  usage: { input: 30, output: 120, reasoning: 0 },
}));

function nsPerEmit(bus: OutcomeBus): number {
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = Bun.nanoseconds();
    for (let i = 0; i < N; i++) bus.emit({ ...outcomes[i & 4095]! });
    times.push((Bun.nanoseconds() - t0) / N);
  }
  return times.sort((a, b) => a - b)[ROUNDS >> 1]!;
}

const bare = new OutcomeBus();
bare.subscribe(() => undefined); // the bus already has observers in production (logs, metrics)
const baseline = nsPerEmit(bare);

const fed = new OutcomeBus();
fed.subscribe(() => undefined);
const idle = createConsole({ config, registry: new ModelRegistry(logger), logger, redact: (t) => t, outcomes: fed, version: "bench", routes: () => [] });
const withConsole = nsPerEmit(fed);

const watched = new OutcomeBus();
watched.subscribe(() => undefined);
const live = createConsole({ config, registry: new ModelRegistry(logger), logger, redact: (t) => t, outcomes: watched, version: "bench", routes: () => [] });
const abort = new AbortController();
const response = live.events!.open(abort.signal);
const reader = response.body!.getReader();
void (async () => {
  for (;;) if ((await reader.read()).done) break;
})();
const withPage = nsPerEmit(watched);
abort.abort();
live.events!.close();
idle.events?.close();

const row = (name: string, ns: number) => `| ${name} | ${ns.toFixed(0)} | ${(ns - baseline).toFixed(0)} |`;
console.log(`Console feed, ${N.toLocaleString("en")} outcomes × ${ROUNDS} rounds (median), Bun ${Bun.version}\n`);
console.log("| outcome bus | ns / request | added by the console |\n| --- | ---: | ---: |");
console.log(row("no console (baseline: one no-op observer, object spread)", baseline));
console.log(row("console on, no page open", withConsole));
console.log(row("console on, one page streaming events", withPage));
process.exit(0);
