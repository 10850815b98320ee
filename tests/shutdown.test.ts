// Graceful shutdown of `bun src/main.ts`: on SIGTERM it stops accepting, lets in-flight requests
// finish (up to SHUTDOWN_GRACE_MS) and exits 0. The slow models come from
// tests/fixtures/slow-plugin/ (loaded through PLUGINS_DIR, like a third-party plugin).
import { afterAll, describe, expect, test } from "bun:test";
import { minimalEnv, removeTempDirs, tempDir } from "./helpers/process.ts";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const MAIN = join(ROOT, "src", "main.ts");
const SLOW_PLUGINS = join(ROOT, "tests", "fixtures", "slow-plugin");
const SLOW_REPLY = "slow and steady wins everything";

const spawned: Bun.Subprocess[] = [];

interface Server {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  url: string;
  port: number;
  lines: string[];
  stderr: () => string;
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
}

function drain(stream: ReadableStream<Uint8Array>, onText: (text: string) => void): void {
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) onText(decoder.decode(chunk, { stream: true }));
  })().catch(() => {});
}

async function startGateway(vars: Record<string, string> = {}, prefix: string[] = []): Promise<Server> {
  const cwd = tempDir("shutdown");
  const proc = Bun.spawn([...prefix, process.execPath, MAIN], {
    cwd,
    env: minimalEnv({ PORT: "0", PLUGINS_DIR: SLOW_PLUGINS, ...vars }),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  spawned.push(proc);
  const lines: string[] = [];
  let partial = "";
  let err = "";
  drain(proc.stdout, (text) => {
    partial += text;
    const parts = partial.split("\n");
    partial = parts.pop()!;
    lines.push(...parts);
  });
  drain(proc.stderr, (text) => void (err += text));
  const waitForLine = async (match: (line: string) => boolean, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = lines.find(match);
      if (line !== undefined) return line;
      if (proc.exitCode !== null || proc.signalCode !== null || Date.now() > deadline) {
        throw new Error(`no such line (exit ${proc.exitCode ?? proc.signalCode}).\nstdout:\n${lines.join("\n")}\nstderr:\n${err}`);
      }
      await Bun.sleep(10);
    }
  };
  const listening = JSON.parse(await waitForLine((l) => l.includes('"Ollaix listening"'))) as { url: string };
  return { proc, url: listening.url, port: Number(new URL(listening.url).port), lines, stderr: () => err, waitForLine };
}

/** Whether a brand-new TCP connection to the port is accepted (no HTTP, no connection pool). */
function tcpConnects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.setTimeout(2000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const chat = (url: string, model: string, stream: boolean) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", connection: "close" },
    body: JSON.stringify({ model, stream, messages: [{ role: "user", content: "take your time" }] }),
    keepalive: false,
  });

afterAll(async () => {
  for (const proc of spawned) if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  await Promise.all(spawned.map((p) => p.exited));
  removeTempDirs();
});

describe("graceful shutdown on SIGTERM", () => {
  test("an in-flight request completes, new connections are refused, exit code 0", async () => {
    const gw = await startGateway();
    expect(await tcpConnects(gw.port)).toBe(true);

    const started = Date.now();
    const inFlight = chat(gw.url, "slow-1", false).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));
    await Bun.sleep(300); // the request has reached the plugin, which answers after ~1.5 s
    gw.proc.kill("SIGTERM");
    await gw.waitForLine((l) => l.includes('"shutting down"'), 5000);
    await Bun.sleep(50);

    expect(await tcpConnects(gw.port)).toBe(false);
    expect(gw.proc.exitCode).toBeNull(); // still finishing the request

    const { status, body } = await inFlight;
    expect(status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(body.object).toBe("chat.completion");
    expect(body.model).toBe("slow-1");
    expect(body.choices[0].message.content).toBe(SLOW_REPLY);
    expect(body.choices[0].finish_reason).toBe("stop");

    expect(await gw.proc.exited).toBe(0);
    expect(gw.proc.signalCode).toBeNull();
  });

  test("SIGHUP (a closed terminal, an operator expecting a reload) drains the same way: the request completes, exit code 0", async () => {
    const gw = await startGateway();
    const inFlight = chat(gw.url, "slow-1", false);
    await Bun.sleep(300);
    gw.proc.kill("SIGHUP");
    await gw.waitForLine((l) => l.includes('"shutting down"') && l.includes("SIGHUP"), 5000);
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe(SLOW_REPLY);
    expect(await gw.proc.exited).toBe(0);
    expect(gw.proc.signalCode).toBeNull();
  });

  test("a SIGTERM during start-up (a plugin still starting) ends the process at once, exit 0, also as PID 1 (a container's entrypoint), where a signal with no handler is ignored (an operations probe: it then served until killed)", async () => {
    const slowStart = tempDir("slow-start");
    mkdirSync(join(slowStart, "slow-start"));
    writeFileSync(join(slowStart, "slow-start", "index.ts"), `export default { name: "slow-start", create: () => new Promise((resolve) => setTimeout(() => resolve(undefined), 4000)) };\n`);
    // As PID 1 of a new PID namespace where the machine allows one (root, as in CI), else as a plain process.
    const asPid1 = Bun.spawnSync(["unshare", "--pid", "--fork", "--kill-child", "true"]).exitCode === 0;
    for (const prefix of asPid1 ? [[], ["unshare", "--pid", "--fork", "--kill-child"]] : [[]]) {
      const proc = Bun.spawn([...prefix, process.execPath, MAIN], { cwd: tempDir("shutdown"), env: minimalEnv({ PORT: "0", PLUGINS_DIR: slowStart }), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
      spawned.push(proc);
      await Bun.sleep(1000); // its handlers are in; the plugin holds start-up for 3 s more
      // unshare's child is the PID 1: the signal goes to it.
      const target = prefix.length === 0 ? proc.pid : Number(readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, "utf8").trim().split(" ")[0]);
      process.kill(target, "SIGTERM");
      const exited = await Promise.race([proc.exited, Bun.sleep(2500).then(() => "still running")]);
      expect([prefix.join(" "), exited]).toEqual([prefix.join(" "), 0]);
    }
  });

  test("started under nohup (SIGHUP ignored), SIGHUP is still ignored: the gateway serves on (a review)", async () => {
    const gw = await startGateway({}, ["nohup"]);
    gw.proc.kill("SIGHUP");
    await Bun.sleep(300);
    expect(gw.proc.exitCode).toBeNull();
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
    gw.proc.kill("SIGTERM");
    expect(await gw.proc.exited).toBe(0);
  });

  test("an in-flight stream is sent in full before the process exits 0", async () => {
    const gw = await startGateway();
    const response = await chat(gw.url, "slow-1", true);
    expect(response.status).toBe(200);
    const text = response.text();
    await Bun.sleep(300); // a word or so has been streamed
    gw.proc.kill("SIGTERM");
    await gw.waitForLine((l) => l.includes('"shutting down"'), 5000);
    await Bun.sleep(50);
    expect(await tcpConnects(gw.port)).toBe(false);

    const body = await text;
    expect(body.endsWith("data: [DONE]\n\n")).toBe(true);
    const content = body
      .split("\n\n")
      .filter((e) => e.startsWith("data: {"))
      .map((e) => JSON.parse(e.slice(6)) as { choices: { delta: { content?: string } }[] })
      .map((c) => c.choices[0]?.delta.content ?? "")
      .join("");
    expect(content).toBe(SLOW_REPLY);
    expect(await gw.proc.exited).toBe(0);
  });

  test("SHUTDOWN_GRACE_MS bounds the wait: a 5 s request does not hold the exit", async () => {
    const gw = await startGateway({ SHUTDOWN_GRACE_MS: "300" });
    const started = Date.now();
    const inFlight = chat(gw.url, "slow-5", false).then(
      (r) => r.status,
      (error: Error) => error,
    );
    await Bun.sleep(300);
    const signalled = Date.now();
    gw.proc.kill("SIGTERM");
    const exitCode = await Promise.race([gw.proc.exited, Bun.sleep(4000).then(() => "still running" as const)]);
    expect(exitCode).toBe(0);
    const exitedAfter = Date.now() - signalled;
    expect(Date.now() - started).toBeLessThan(5000); // before the plugin would have answered
    expect(exitedAfter).toBeLessThan(4000);
    await inFlight; // cut off (an error or a 5xx), whichever: it must just not hang
    expect(gw.lines.some((l) => l.includes("shutdown grace elapsed"))).toBe(true);
  });

  test("requests the grace cuts short end as the gateway's failure: a 503 server_shutting_down answer, a stream's error event, logged as such", async () => {
    const gw = await startGateway({ SHUTDOWN_GRACE_MS: "300", LOG_LEVEL: "info" });
    const answer = chat(gw.url, "slow-5", false).then(async (r) => ({ status: r.status, body: (await r.json()) as { error: { code: string; type: string } } }));
    const stream = await chat(gw.url, "slow-5", true);
    expect(stream.status).toBe(200);
    const streamed = stream.text();
    await Bun.sleep(300);
    gw.proc.kill("SIGTERM");
    const { status, body } = await answer;
    expect(status).toBe(503);
    expect(body.error).toMatchObject({ code: "server_shutting_down", type: "server_error" });
    const events = (await streamed).split("\n\n").filter((e) => e.startsWith("data: {"));
    expect(JSON.parse(events.at(-1)!.slice(6))).toMatchObject({ error: { code: "server_shutting_down" } });
    expect(await gw.proc.exited).toBe(0);
    // Both reported as the gateway's ending, not as clients that left (499 client_gone).
    const logged = gw.lines.filter((l) => l.includes('"msg":"request"')).map((l) => JSON.parse(l) as { status: number; error?: string });
    expect(logged).toHaveLength(2);
    for (const line of logged) expect(line).toMatchObject({ status: 503, error: "server_shutting_down" });
  });

  test("a request waiting between a route's tries when the grace elapses ends as the gateway's failure too (503), not as a client that left", async () => {
    const config = join(tempDir("shutdown-route"), "ollaix.yaml");
    await Bun.write(config, "routes:\n  - model: patient\n    targets: [{ model: slow/busy }]\n    retries: 2\n");
    const gw = await startGateway({ SHUTDOWN_GRACE_MS: "500", LOG_LEVEL: "info", OLLAIX_CONFIG: config });
    const answer = chat(gw.url, "patient", false).then(async (r) => ({ status: r.status, body: (await r.json()) as { error: { code: string } } }));
    await Bun.sleep(400); // the first try failed; the route waits out Retry-After (8 s, capped at 10)
    gw.proc.kill("SIGTERM");
    const { status, body } = await answer;
    expect(status).toBe(503);
    expect(body.error.code).toBe("server_shutting_down");
    expect(await gw.proc.exited).toBe(0);
    const logged = gw.lines.filter((l) => l.includes('"msg":"request"')).map((l) => JSON.parse(l) as { status: number; error?: string });
    expect(logged).toEqual([expect.objectContaining({ status: 503, error: "server_shutting_down" })]);
  });
});
