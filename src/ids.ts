/**
 * Random ids: a prefix plus 24 hex characters (96 random bits), e.g. `chatcmpl-9f2c…`. Random
 * bytes are drawn 4 KiB at a time and hex-encoded natively in one call; each id is then a slice of
 * that text (a native `toString("hex")` per id cost ~150 ns more, and ids are made several times
 * per request).
 */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let hex = "";
let offset = 0;

export function randomId(prefix: string): string {
  return prefix + randomHex(12);
}

/** `bytes` random bytes as lowercase hex (trace and span ids: 16 and 8). At most 4 KiB. */
export function randomHex(bytes: number): string {
  const end = offset + bytes * 2;
  if (end > hex.length) {
    crypto.getRandomValues(pool);
    hex = pool.toString("hex");
    offset = 0;
    return randomHex(bytes);
  }
  const text = hex.slice(offset, end);
  offset = end;
  return text;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
