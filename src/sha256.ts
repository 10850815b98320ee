/**
 * SHA-256 and constant-time comparison through Bun's own crypto, not `node:crypto`: loading that
 * module (and the stream classes it brings) cost ~4 ms of the binary's start-up, and
 * `Bun.SHA256.hash` is ~2.5× faster than `createHash("sha256")` on a key (0.27 against 0.70 µs).
 */
export const sha256 = (text: string): Uint8Array => Bun.SHA256.hash(text) as Uint8Array;

export const sha256Text = (text: string, encoding: "hex" | "base64url"): string => Bun.SHA256.hash(text, encoding);

/** Whether two digests are equal, in time that does not depend on where they differ. */
export const sameDigest = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && crypto.timingSafeEqual(a, b);
