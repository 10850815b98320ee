import { expect, test } from "bun:test";
import { FetchMemory } from "./fetch-memory.ts";

test("requests take what they read while it fits, and give it all back once when they end", () => {
  const memory = new FetchMemory(100);
  const a = memory.hold();
  const b = memory.hold();
  expect(a.take(60)).toBe(true);
  expect(b.fits(50)).toBe(false);
  expect(b.take(50)).toBe(false); // refused whole: nothing taken
  expect(memory.leftBytes).toBe(40);
  expect(b.take(40)).toBe(true);
  a.release();
  a.release(); // once
  expect(memory.leftBytes).toBe(60);
  // A fetch still running after its request ended takes nothing: it would be held for good.
  expect(a.take(1)).toBe(false);
  b.release();
  expect(memory.leftBytes).toBe(100);
});

test("the refusal is a 503 server_busy with Retry-After, naming the variable", () => {
  const error = new FetchMemory(3 * 1024 * 1024).hold().busy();
  expect(error).toMatchObject({ status: 503, code: "server_busy", retryAfter: 1 });
  expect(error.message).toContain("3 MiB in all, URL_FETCH_MEMORY_MB");
});
