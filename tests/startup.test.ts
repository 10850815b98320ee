// Start-up of `bun src/main.ts` as a process: configuration errors stop it with a message naming
// the variable, a good start logs where it listens, and a `.env` file in the working folder is read.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { freePort, minimalEnv, removeTempDirs, tempDir } from "./helpers/process.ts";
import { join, resolve } from "node:path";

const MAIN = resolve(import.meta.dir, "..", "src", "main.ts");

const spawned: Bun.Subprocess[] = [];

/** Runs `bun src/main.ts` (in an empty folder unless told) until it exits; killed after timeoutMs. */
async function runToExit(vars: Record<string, string>, timeoutMs = 15_000) {
  const proc = Bun.spawn([process.execPath, MAIN], { cwd: tempDir("startup"), env: minimalEnv(vars), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  spawned.push(proc);
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { stdout, stderr, exitCode, signal: proc.signalCode };
}

/** Starts `bun src/main.ts` and waits for its "Ollaix listening" line; returns the parsed line, and the lines before it. */
async function startListening(vars: Record<string, string>, cwd = tempDir("startup")) {
  const proc = Bun.spawn([process.execPath, MAIN], { cwd, env: minimalEnv(vars), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  spawned.push(proc);
  let stderr = "";
  void new Response(proc.stderr).text().then((t) => (stderr = t), () => {});
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  const deadline = Date.now() + 15_000;
  for (;;) {
    const timeLeft = deadline - Date.now();
    if (timeLeft <= 0) throw new Error(`no listening line in time; stdout so far:\n${buffered}`);
    const next = await Promise.race([reader.read(), Bun.sleep(timeLeft).then(() => undefined)]);
    if (!next) continue;
    if (next.done) {
      await proc.exited;
      throw new Error(`exited (${proc.exitCode}) before listening.\nstdout:\n${buffered}\nstderr:\n${stderr}`);
    }
    buffered += decoder.decode(next.value, { stream: true });
    const line = buffered.split("\n").find((l) => l.includes('"Ollaix listening"'));
    if (line) {
      // Keep draining stdout so the process never blocks on a full pipe.
      void (async () => {
        for (;;) if ((await reader.read()).done) break;
      })().catch(() => {});
      const before = buffered.slice(0, buffered.indexOf(line)).split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      return { proc, before, log: JSON.parse(line) as { level: string; msg: string; url: string; docs: string; models: number } };
    }
  }
}

afterAll(async () => {
  for (const proc of spawned) if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  await Promise.all(spawned.map((p) => p.exited));
  removeTempDirs();
});

describe("bun src/main.ts start-up", () => {
  test("PORT=abc exits non-zero with a message naming PORT on stderr", async () => {
    const result = await runToExit({ PORT: "abc" });
    expect(result.signal).toBeNull();
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain("PORT");
    expect(result.stdout).not.toContain("Ollaix listening");
  });

  test("LOG_LEVEL=loud exits non-zero with a message naming LOG_LEVEL on stderr", async () => {
    const result = await runToExit({ LOG_LEVEL: "loud" });
    expect(result.signal).toBeNull();
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain("LOG_LEVEL");
    expect(result.stdout).not.toContain("Ollaix listening");
  });

  test("a valid start prints the listening log line and serves", async () => {
    const port = freePort();
    const { proc, log } = await startListening({ PORT: String(port) });
    expect(log.level).toBe("info");
    expect(log.url).toBe(`http://127.0.0.1:${port}`);
    expect(log.docs).toBe(`http://127.0.0.1:${port}/docs`);
    expect(log.models).toBeGreaterThanOrEqual(1);
    const health = await fetch(`${log.url}/health`);
    expect(health.status).toBe(200);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
  });

  test("the listening line says how many upstream requests Bun's fetch sends at once: 256 by default, BUN_CONFIG_MAX_HTTP_REQUESTS when set (bun start sets 4096)", async () => {
    const plain = await startListening({ PORT: String(freePort()) });
    expect((plain.log as unknown as { upstream_requests_at_once: number }).upstream_requests_at_once).toBe(256);
    plain.proc.kill("SIGTERM");
    const raised = await startListening({ PORT: String(freePort()), BUN_CONFIG_MAX_HTTP_REQUESTS: "4096" });
    expect((raised.log as unknown as { upstream_requests_at_once: number }).upstream_requests_at_once).toBe(4096);
    raised.proc.kill("SIGTERM");
    await Promise.all([plain.proc.exited, raised.proc.exited]);
    const scripts = (await Bun.file(new URL("../package.json", import.meta.url)).json()).scripts as Record<string, string>;
    expect(scripts.start).toContain("BUN_CONFIG_MAX_HTTP_REQUESTS=${BUN_CONFIG_MAX_HTTP_REQUESTS:-4096}");
  });

  test("a plugin whose module or create() never settles is skipped at PLUGIN_START_TIMEOUT_MS, named, and the gateway listens (it exited 0 before listening, nothing left to keep it up)", async () => {
    const plugins = tempDir("stuck-plugins");
    mkdirSync(join(plugins, "hangs"));
    writeFileSync(join(plugins, "hangs", "index.ts"), `import { definePlugin } from "ollaix/plugin";\nexport default definePlugin({ name: "hangs", create() { return new Promise(() => {}); } });\n`);
    writeFileSync(join(plugins, "waits.ts"), "await new Promise(() => {});\nexport default {};\n");
    const config = join(tempDir("stuck-config"), "ollaix.json");
    writeFileSync(config, JSON.stringify({ plugins: { ollama: { enabled: false } } }));
    const { proc, log, before } = await startListening({ PORT: String(freePort()), PLUGINS_DIR: plugins, PLUGIN_START_TIMEOUT_MS: "300", OLLAIX_CONFIG: config });
    expect(before).toContainEqual(
      expect.objectContaining({ level: "error", msg: "plugin skipped: its create() did not finish within 300 ms (PLUGIN_START_TIMEOUT_MS)", plugin: "hangs", source: join(plugins, "hangs", "index.ts") }),
    );
    expect(before).toContainEqual(
      expect.objectContaining({ level: "error", msg: "plugin skipped: its module did not finish loading within 300 ms (PLUGIN_START_TIMEOUT_MS)", source: join(plugins, "waits.ts") }),
    );
    expect(log.models).toBeGreaterThanOrEqual(1); // the built-in dummy's
    expect((await fetch(`${log.url}/health`)).status).toBe(200);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
  });

  test("a .env file in the working folder is read", async () => {
    const port = freePort();
    const cwd = tempDir("startup");
    writeFileSync(join(cwd, ".env"), `# written by tests/startup.test.ts\nPORT=${port}\n`);
    const { proc, log } = await startListening({}, cwd);
    expect(log.url).toBe(`http://127.0.0.1:${port}`);
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { status: string };
    expect(health.status).toBe("healthy");
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
  });
});
