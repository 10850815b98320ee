import { createHash } from "node:crypto";
import { expect, test } from "bun:test";
import { sameDigest, sha256, sha256Text } from "./sha256.ts";

test("the same digests as node:crypto", () => {
  for (const text of ["", "sk-abc", "é😀\u0000", "x".repeat(10_000)]) {
    expect(Buffer.from(sha256(text)).equals(createHash("sha256").update(text).digest())).toBe(true);
    expect(sha256Text(text, "hex")).toBe(createHash("sha256").update(text).digest("hex"));
    expect(sha256Text(text, "base64url")).toBe(createHash("sha256").update(text).digest("base64url"));
  }
});

test("sameDigest: equal only for the same bytes, false (not a throw) for different lengths", () => {
  expect(sameDigest(sha256("a"), sha256("a"))).toBe(true);
  expect(sameDigest(sha256("a"), sha256("b"))).toBe(false);
  expect(sameDigest(sha256("a"), sha256("a").subarray(0, 31))).toBe(false);
});
