import { expect, test } from "bun:test";
import type { RequestOutcome } from "../pipeline/outcome.ts";
import { toRequestRecord } from "./request-record.ts";
import { RequestRing } from "./ring.ts";

const outcome = (n: number): RequestOutcome => ({
  requestId: `req-${n}`, surface: "chat", method: "POST", path: "/v1/chat/completions", status: 200, stream: false,
  startedAt: 1000 + n, durationMs: 12.345, upstreamMs: 10, model: "dummy-model:1.0",
});

test("keeps the last `capacity` outcomes, newest first", () => {
  const ring = new RequestRing(3);
  expect(ring.newest()).toEqual([]);
  for (let n = 1; n <= 2; n++) ring.add(outcome(n));
  expect(ring.newest().map((o) => o.requestId)).toEqual(["req-2", "req-1"]);
  for (let n = 3; n <= 7; n++) ring.add(outcome(n));
  expect(ring.size).toBe(3);
  expect(ring.newest().map((o) => o.requestId)).toEqual(["req-7", "req-6", "req-5"]);
  expect(ring.newest(2).map((o) => o.requestId)).toEqual(["req-7", "req-6"]);
});

test("a capacity that is not a positive integer is refused", () => {
  expect(() => new RequestRing(0)).toThrow(RangeError);
  expect(() => new RequestRing(1.5)).toThrow(RangeError);
});

test("a record carries timings, routing and counts; the wall clock is the time origin plus startedAt", () => {
  const record = toRequestRecord(
    { ...outcome(1), stream: true, ttftMs: 3.21, target: "dummy/dummy-model:1.0", provider: "dummy", key: "team-a", usage: { input: 5, output: 7, reasoning: 0, estimated: true }, finishReason: "stop", attempts: 1 },
    1_700_000_000_000,
  );
  expect(record).toEqual({
    requestId: "req-1", time: 1_700_000_001_001, surface: "chat", method: "POST", path: "/v1/chat/completions", status: 200, stream: true,
    durationMs: 12.3, ttftMs: 3.2, upstreamMs: 10, model: "dummy-model:1.0", target: "dummy/dummy-model:1.0", provider: "dummy", key: "team-a",
    inputTokens: 5, outputTokens: 7, reasoningTokens: 0, tokensEstimated: true, finishReason: "stop", error: null, attempts: 1,
  });
});
