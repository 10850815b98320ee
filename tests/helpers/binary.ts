import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

/** The compiled binary for tests: `bun run build` once per test process, or OLLAIX_BINARY when set. */
export const ROOT = resolve(import.meta.dir, "..", "..");
export const BINARY = process.env.OLLAIX_BINARY ? resolve(process.env.OLLAIX_BINARY) : join(ROOT, "dist", "ollaix");
export const BUILD_TIMEOUT_MS = 180_000;

export interface Finished {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

/** Runs a command to its end (killed after timeoutMs) and returns what it printed. */
export async function runToExit(cmd: string[], opts: { cwd: string; env: Record<string, string> }, timeoutMs = 30_000): Promise<Finished> {
  const proc = Bun.spawn(cmd, { ...opts, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { stdout, stderr, exitCode };
}

// Test files share one process: several of them may ask, one build serves them all.
const shared = globalThis as { ollaixBinaryBuild?: Promise<string> };

/** Builds dist/ollaix (once per `bun test` run) and returns its path. */
export function buildBinaryOnce(): Promise<string> {
  shared.ollaixBinaryBuild ??= (async () => {
    if (!process.env.OLLAIX_BINARY) {
      const build = await runToExit([process.execPath, "run", "build"], { cwd: ROOT, env: { ...process.env } as Record<string, string> }, BUILD_TIMEOUT_MS);
      if (build.exitCode !== 0) throw new Error(`bun run build failed (${build.exitCode}):\n${build.stdout}\n${build.stderr}`);
    }
    if (!existsSync(BINARY)) throw new Error(`no binary at ${BINARY}`);
    return BINARY;
  })();
  return shared.ollaixBinaryBuild;
}
