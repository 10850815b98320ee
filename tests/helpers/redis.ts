import { freePort } from "./process.ts";

/**
 * A real `redis-server` (Debian's package; `.ci/run` installs it) on a free loopback port, owned by
 * one test file: no persistence, gone when stopped. `stop()` and `start()` again on the same port
 * let tests see what happens while Redis is away and when it comes back.
 */
export interface TestRedis {
  url: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open, and nothing is answered until `resume()`. */
  pause(): void;
  resume(): void;
  /** Runs one command with redis-cli semantics through Bun's client (e.g. `["FLUSHALL"]`). */
  command(args: string[]): Promise<unknown>;
}

export async function startRedis(): Promise<TestRedis> {
  const port = freePort();
  let proc: ReturnType<typeof Bun.spawn> | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const start = async () => {
    proc = Bun.spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdout: "ignore",
      stderr: "inherit",
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
        socket.end();
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
        await Bun.sleep(25);
      }
    }
  };
  const stop = async () => {
    if (!proc) return;
    proc.kill("SIGCONT"); // a paused server too
    proc.kill("SIGKILL");
    await proc.exited;
    proc = undefined;
  };
  await start();
  return {
    url,
    port,
    start,
    stop,
    pause: () => proc?.kill("SIGSTOP"),
    resume: () => proc?.kill("SIGCONT"),
    async command(args) {
      const client = new Bun.RedisClient(url);
      try {
        return await client.send(args[0]!, args.slice(1));
      } finally {
        client.close();
      }
    },
  };
}
