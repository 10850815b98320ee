import { expect, test } from "bun:test";
import {
  InvalidRequestError,
  ModelNotFoundError,
  RateLimitError,
  UpstreamAuthError,
  UpstreamError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
  LoopDetectedError,
  ServerBusyError,
} from "../errors.ts";
import { backoffMs, isRetryable } from "./retry.ts";

test.each([
  [new RateLimitError("slow down"), true],
  [new UpstreamError("5xx"), true],
  [new UpstreamUnavailableError("down"), true],
  [new UpstreamTimeoutError("slow"), true],
  [new UpstreamAuthError("key refused"), true],
  [new InvalidRequestError("context too long"), false],
  [new ModelNotFoundError("m"), false],
  [new LoopDetectedError("loop"), false],
  // The gateway's own memory for fetched files spent: another target would fetch the same bytes.
  [new ServerBusyError("busy"), false],
  [new Error("a bug"), false],
])("%p retryable: %p", (error, expected) => {
  expect(isRetryable(error)).toBe(expected);
});

test("back-off grows, is jittered, honours Retry-After and stops at 10 s", () => {
  expect(backoffMs(0, undefined, () => 0)).toBe(100);
  expect(backoffMs(0, undefined, () => 1)).toBe(200);
  expect(backoffMs(3, undefined, () => 1)).toBe(1600);
  expect(backoffMs(0, new RateLimitError("x", { retryAfter: 2 }), () => 0)).toBe(2000);
  expect(backoffMs(0, new RateLimitError("x", { retryAfter: 600 }), () => 0)).toBe(10_000);
  expect(backoffMs(20, undefined, () => 1)).toBe(10_000);
});
