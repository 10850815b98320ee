import { describe, expect, test } from "bun:test";
import { decodeSignature, encodeSignature } from "./thinking-signature.ts";
import { fromToolUseId, fromToolUseIdParts, toToolUseId } from "./tool-use-id.ts";

describe("toolu_ ids carry the provider's call id", () => {
  test("and the call's extras when it has some: both read back; an id made before extras rode along reads as it did", () => {
    const extras = { extra_content: { google: { thought_signature: "CiQB+/x==" } } };
    const encoded = toToolUseId("call_g1", extras);
    expect(encoded).toMatch(/^toolu_[A-Za-z0-9_-]+$/);
    expect(fromToolUseIdParts(encoded)).toEqual({ id: "call_g1", extras });
    expect(fromToolUseId(encoded)).toBe("call_g1");
    expect(fromToolUseIdParts(toToolUseId("call_plain"))).toEqual({ id: "call_plain" });
    // Something after the separator that is no JSON object is no id of ours: handed on as it is.
    const odd = `toolu_${Buffer.from("call_x\u001enot json").toString("base64url")}`;
    expect(fromToolUseIdParts(odd)).toEqual({ id: odd });
  });

  test.each(["call_abc123", "call_1__thought__CiQB+/x==", "ollama-7", "ü/ñ"])("%s round-trips", (id) => {
    const encoded = toToolUseId(id);
    expect(encoded).toMatch(/^toolu_[A-Za-z0-9_-]+$/);
    expect(fromToolUseId(encoded)).toBe(id);
  });
  test.each(["toolu_01A09q90qw90lq917835lq9", "toolu_", "my-own-id", "toolu_!!"])("a foreign id %s is handed on unchanged", (id) => {
    expect(fromToolUseId(id)).toBe(id);
  });
});

describe("thinking signatures", () => {
  test("round-trip the provider extras of a turn", () => {
    const payload = { calls: { call_1: { extra_content: { google: { thought_signature: "abc" } } } } };
    expect(decodeSignature(encodeSignature(payload))).toEqual(payload);
    expect(decodeSignature(encodeSignature({}))).toEqual({});
  });
  test("round-trip an omitted block's thinking, alone or with extras; a thinking that is not text is not read", () => {
    expect(decodeSignature(encodeSignature({ thinking: "Two plus two is four." }))).toEqual({ thinking: "Two plus two is four." });
    const both = { calls: { call_1: { x: 1 } }, thinking: "é ✓" };
    expect(decodeSignature(encodeSignature(both))).toEqual(both);
    expect(decodeSignature(encodeSignature({ thinking: 5 } as never))).toEqual({});
  });
  test.each([undefined, "", "EqQBCkgIARAB", "ollaix1.e30.wrongcheck", "ollaix1.", `ollaix1.${Buffer.from("[1]").toString("base64url")}.x`])(
    "%j is not ours: ignored",
    (signature) => {
      expect(decodeSignature(signature)).toBeUndefined();
    },
  );
  test("a tampered payload fails its check", () => {
    const good = encodeSignature({ calls: { a: { x: 1 } } });
    const [prefix, body, check] = good.split(".");
    const other = Buffer.from(JSON.stringify({ calls: { a: { x: 2 } } })).toString("base64url");
    expect(decodeSignature(`${prefix}.${other}.${check}`)).toBeUndefined();
    expect(body).not.toBe(other);
  });
});

describe("JSON nested deeper than a body may be, forged into a signature or a toolu_ id (their checks are no key)", () => {
  let deep: Record<string, unknown> = { x: 1 };
  for (let i = 0; i < 1_500; i++) deep = { n: deep };

  test("is no signature or extras of ours: read as none, so it never reaches a provider's body (whose serialising a deeper one overflowed, counted as the upstream's failure)", () => {
    expect(decodeSignature(encodeSignature({ calls: { call_1: deep } }))).toBeUndefined();
    expect(decodeSignature(encodeSignature({ calls: { call_1: { ok: true } } }))).toEqual({ calls: { call_1: { ok: true } } });
    expect(fromToolUseIdParts(toToolUseId("call_1", { deep }))).toEqual({ id: toToolUseId("call_1", { deep }) });
    expect(fromToolUseIdParts(toToolUseId("call_1", { google: { thought_signature: "s" } }))).toEqual({ id: "call_1", extras: { google: { thought_signature: "s" } } });
  });
});
