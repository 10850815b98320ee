/**
 * Random ids: a prefix plus 24 hex characters (96 random bits), e.g. `chatcmpl-9f2c…`. Random
 * bytes are drawn 4 KiB at a time and hex-encoded natively: ids are made several times per request.
 */
const pool = Buffer.alloc(4096);
let offset = pool.length;

export function randomId(prefix: string): string {
  return prefix + randomHex(12);
}

/** `bytes` random bytes as lowercase hex (trace and span ids: 16 and 8). */
export function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    crypto.getRandomValues(pool);
    offset = 0;
  }
  const hex = pool.toString("hex", offset, offset + bytes);
  offset += bytes;
  return hex;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
