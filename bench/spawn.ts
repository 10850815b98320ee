/** Child-process lifecycle: pinned spawning, readiness, and cleanup that always runs (also on SIGINT). */
import type { Subprocess } from "bun";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "..");
export const LOG_DIR = join(import.meta.dir, "results", "logs");
export const HAS_TASKSET = Bun.which("taskset") !== null;

const children = new Set<Subprocess>();

/** `taskset -c <core>` when available; unpinned otherwise (the report says so). */
export const pin = (core: number | undefined): string[] =>
  core === undefined || !HAS_TASKSET ? [] : ["taskset", "-c", String(core)];

/** A minimal environment: nothing from the caller's shell (keys, PORT, LOG_LEVEL…) leaks in. */
export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of ["PATH", "HOME", "TMPDIR", "LANG"]) if (process.env[k]) env[k] = process.env[k]!;
  return { ...env, ...extra };
}

export interface SpawnOptions {
  core?: number;
  env?: Record<string, string>;
  /** Name of the log file (stdout+stderr) under bench/results/logs; stdout is piped when `pipeStdout`. */
  log: string;
  pipeStdout?: boolean;
}

export function spawn(cmd: string[], o: SpawnOptions): Subprocess<"pipe", "pipe" | Bun.BunFile, Bun.BunFile> {
  mkdirSync(LOG_DIR, { recursive: true });
  const log = Bun.file(join(LOG_DIR, `${o.log}.log`));
  const proc = Bun.spawn([...pin(o.core), ...cmd], {
    cwd: ROOT,
    env: o.env ?? baseEnv(),
    stdin: "pipe", // our own children exit when this closes (orchestrator gone)
    stdout: o.pipeStdout ? "pipe" : log,
    stderr: log,
  });
  children.add(proc);
  void proc.exited.then(() => children.delete(proc));
  return proc as Subprocess<"pipe", "pipe" | Bun.BunFile, Bun.BunFile>;
}

/** Reads the first stdout line of a child (our children print one JSON line when ready), then keeps draining. */
export async function readyLine<T>(proc: Subprocess<"pipe", "pipe" | Bun.BunFile, Bun.BunFile>, timeoutMs = 10_000): Promise<T> {
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Bun.sleep(timeoutMs).then(() => null);
  while (!text.includes("\n")) {
    const r = await Promise.race([reader.read(), deadline]);
    if (r === null) throw new Error("child did not report ready in time");
    if (r.done) throw new Error(`child exited before ready (code ${await proc.exited})`);
    text += decoder.decode(r.value, { stream: true });
  }
  void (async () => {
    while (!(await reader.read()).done);
  })().catch(() => undefined);
  return JSON.parse(text.slice(0, text.indexOf("\n"))) as T;
}

export async function stop(proc: Subprocess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill("SIGTERM");
  const done = await Promise.race([proc.exited.then(() => true), Bun.sleep(3000).then(() => false)]);
  if (!done) {
    proc.kill("SIGKILL");
    await proc.exited;
  }
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((p) => stop(p)));
}

/** Kills every child on SIGINT/SIGTERM of the orchestrator, then exits. */
export function installSignalCleanup(): void {
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping ${children.size} child process(es)\n`);
      for (const p of children) p.kill("SIGKILL");
      process.exit(130);
    });
  }
}

/** For our own child entries: exit when the orchestrator's end of stdin closes. */
export function exitWithParent(): void {
  void (async () => {
    const reader = Bun.stdin.stream().getReader();
    while (!(await reader.read()).done);
    process.exit(0);
  })().catch(() => process.exit(0));
}

export { freePort } from "../tests/helpers/process.ts";

/** Polls `url` until it answers 2xx; returns ms since `since` (performance.now() time). */
export async function waitHttp(url: string, since: number, timeoutMs = 15_000, proc?: Subprocess): Promise<number> {
  const end = since + timeoutMs;
  while (performance.now() < end) {
    if (proc && proc.exitCode !== null) throw new Error(`process exited with code ${proc.exitCode} before ${url} answered`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      if (r.ok) return performance.now() - since;
    } catch {
      // not listening yet
    }
    await Bun.sleep(1);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}
