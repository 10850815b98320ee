import { describe, expect, test } from "bun:test";
import { within } from "./deadline.ts";

describe("within", () => {
  test("the work's value or its own failure when it settles in time", async () => {
    expect(await within(Promise.resolve(7), 50, () => new Error("late"))).toBe(7);
    expect(await within(Promise.reject(new Error("own")), 50, () => new Error("late")).catch((e: Error) => e.message)).toBe("own");
  });

  test("the late error once the time passes, whatever the work does after", async () => {
    let settle!: (value: number) => void;
    const work = new Promise<number>((resolve) => (settle = resolve));
    const started = performance.now();
    const error = await within(work, 30, () => new Error("late")).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe("late");
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    settle(1); // settling afterwards changes nothing, and throws nothing
    expect(await work).toBe(1);
  });
});

describe("within, holding the process", () => {
  /** A process whose only work is a promise that never settles, under a deadline of 100 ms: what it prints. */
  const run = (holdsProcess: boolean) => {
    const script = `import { within } from ${JSON.stringify(`${import.meta.dir}/deadline.ts`)};
within(new Promise(() => {}), 100, () => new Error("late"), { holdsProcess: ${holdsProcess} }).catch((e) => console.log(e.message));`;
    const proc = Bun.spawnSync([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe", timeout: 10_000 });
    return { out: proc.stdout.toString().trim(), exitCode: proc.exitCode };
  };

  test("the deadline fires although nothing else keeps the process up", () => {
    expect(run(true)).toEqual({ out: "late", exitCode: 0 });
  });

  test("without it, the process ends first: the deadline never fires (what other waits want)", () => {
    expect(run(false)).toEqual({ out: "", exitCode: 0 });
  });
});
