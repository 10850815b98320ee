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
