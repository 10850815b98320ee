import { describe, expect, test } from "bun:test";
import type { ToolCall } from "../../src/kit.ts";
import { geminiIdOf, newToolCallId, thoughtSignatureOf, toExtraContent } from "./tool-call-id.ts";

const call = (id: string, extra?: unknown): ToolCall =>
  ({ id, type: "function", function: { name: "get_weather", arguments: "{}" }, ...(extra === undefined ? {} : { extra_content: extra }) }) as ToolCall;

describe("tool-call ids", () => {
  test("a plain id when Gemini sent no signature", () => {
    expect(newToolCallId()).toMatch(/^call_[0-9A-Za-z]{24}$/);
    expect(newToolCallId(undefined)).not.toBe(newToolCallId(undefined));
  });

  test("the signature rides in the id, byte for byte (base64 with + / =)", () => {
    const signature = "CiQB0e2Kb+/x9Z==";
    const id = newToolCallId(signature);
    expect(id).toMatch(/^call_[0-9A-Za-z]{24}__thought__CiQB0e2Kb\+\/x9Z==$/);
    expect(thoughtSignatureOf(call(id))).toBe(signature);
  });

  test("extra_content.google.thought_signature wins over the id", () => {
    expect(toExtraContent("sig-A")).toEqual({ google: { thought_signature: "sig-A" } });
    expect(thoughtSignatureOf(call("call_x__thought__sig-B", toExtraContent("sig-A")))).toBe("sig-A");
  });

  test("no signature: plain ids, empty suffixes, foreign extra_content", () => {
    expect(thoughtSignatureOf(call("call_abc"))).toBeUndefined();
    expect(thoughtSignatureOf(call("call_abc__thought__"))).toBeUndefined();
    expect(thoughtSignatureOf(call("call_abc", { google: { thought_signature: 42 } }))).toBeUndefined();
    expect(thoughtSignatureOf(call("call_abc", { other: true }))).toBeUndefined();
  });

  test("Gemini's own call id rides in the id before the signature, and is read back", () => {
    const id = newToolCallId("CiQB+/=", "fc_1a2b");
    expect(id).toMatch(/^call_[0-9A-Za-z]{24}__gid__fc_1a2b__thought__CiQB\+\/=$/);
    expect(geminiIdOf(id)).toBe("fc_1a2b");
    expect(thoughtSignatureOf(call(id))).toBe("CiQB+/=");
    expect(geminiIdOf(newToolCallId(undefined, "x9"))).toBe("x9");
    // None given, an empty one, or one that could run into the markers: no id is carried.
    expect(geminiIdOf(newToolCallId("sig"))).toBeUndefined();
    expect(geminiIdOf(newToolCallId(undefined, ""))).toBeUndefined();
    expect(newToolCallId(undefined, "a__thought__b")).toMatch(/^call_[0-9A-Za-z]{24}$/);
    expect(geminiIdOf(undefined)).toBeUndefined();
    expect(geminiIdOf("call_abc")).toBeUndefined();
  });
});
