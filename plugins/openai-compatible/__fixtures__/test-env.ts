import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Writes an OLLAIX_CONFIG file (YAML when the name ends in .yaml, else JSON); returns its path. */
export function writeConfigFile(settings: unknown, fileName = "ollaix.json"): string {
  const path = join(mkdtempSync(join(tmpdir(), "ollaix-openai-compatible-")), fileName);
  // JSON is valid YAML, so one writer serves both kinds of file.
  writeFileSync(path, JSON.stringify(settings, null, 2));
  return path;
}

export { freePort } from "../../../tests/helpers/process.ts";

/** Resolves when `check` passes; fails after `attempts` tries (it waits for background work, not for speed). */
export async function eventually(check: () => Promise<boolean> | boolean, attempts = 100, pauseMs = 50): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await Bun.sleep(pauseMs);
  }
  throw new Error("the condition never became true");
}

/** Resolves when the signal aborts; fails if it never does. */
export function abortOf(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the upstream request was not aborted")), 5000);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
