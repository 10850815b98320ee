// Constant time: the presented key's digest is compared with every stored digest, whichever matches
// and wherever it sits, so the time taken says nothing about which key (if any) was presented.
import { expect, mock, test } from "bun:test";
import * as digests from "../sha256.ts";

let comparisons = 0;
const realSameDigest = digests.sameDigest;
// Delegates to the real function: other test files in this process are unaffected.
mock.module("../sha256.ts", () => ({
  ...digests,
  sameDigest: (a: Uint8Array, b: Uint8Array) => {
    comparisons++;
    return realSameDigest(a, b);
  },
}));
const { KeyStore } = await import("./key-store.ts");

test.each([["sk-first-key"], ["sk-middle-key"], ["sk-last-key"], ["sk-unknown"], ["x"]])("%s: compared with all 3 digests", (presented) => {
  const store = KeyStore.from(undefined, ["sk-first-key", "sk-middle-key", "sk-last-key"], {}, () => undefined);
  comparisons = 0;
  store.identify(presented);
  expect(comparisons).toBe(3);
});
