import { describe, expect, test } from "bun:test";
import { parseTraceparent, stampTrace, traceparentOf } from "./trace-stamp.ts";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN = "00f067aa0ba902b7";

describe("parseTraceparent (W3C Trace Context)", () => {
  test.each([
    [`00-${TRACE}-${SPAN}-01`, { traceId: TRACE, spanId: SPAN, flags: "01" }],
    [`00-${TRACE}-${SPAN}-00`, { traceId: TRACE, spanId: SPAN, flags: "00" }],
    [`00-${TRACE}-${SPAN}-03`, { traceId: TRACE, spanId: SPAN, flags: "01" }],
    [`01-${TRACE}-${SPAN}-01-future`, { traceId: TRACE, spanId: SPAN, flags: "01" }],
    [`00-${TRACE}-${SPAN}-01-extra`, undefined],
    [`ff-${TRACE}-${SPAN}-01`, undefined],
    [`00-${"0".repeat(32)}-${SPAN}-01`, undefined],
    [`00-${TRACE}-${"0".repeat(16)}-01`, undefined],
    [`00-${TRACE.toUpperCase()}-${SPAN}-01`, undefined],
    ["garbage", undefined],
  ])("%s", (header, expected) => {
    expect(parseTraceparent(header)).toEqual(expected);
  });
  test("absent", () => expect(parseTraceparent(null)).toBeUndefined());
});

describe("stampTrace", () => {
  test("continues the client's trace with a new span whose parent is the client's span", () => {
    const stamp = stampTrace(new Request("http://localhost/", { headers: { traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: "a=1" } }));
    expect(stamp).toMatchObject({ traceId: TRACE, parentSpanId: SPAN, flags: "01", traceState: "a=1" });
    expect(stamp.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(stamp.spanId).not.toBe(SPAN);
    expect(traceparentOf(stamp)).toBe(`00-${TRACE}-${stamp.spanId}-01`);
  });

  test("starts a sampled trace without (or with an invalid) traceparent", () => {
    const stamp = stampTrace(new Request("http://localhost/", { headers: { traceparent: "nope" } }));
    expect(stamp.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(stamp.parentSpanId).toBeUndefined();
    expect(stamp.flags).toBe("01");
  });
});
