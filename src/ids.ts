/**
 * Random ids: a prefix plus 24 hex characters (96 random bits), e.g. `chatcmpl-9f2c…`. Random
 * bytes are drawn 4 KiB at a time and hex-encoded natively: ids are made several times per request.
 */
const pool = Buffer.alloc(4096);
let offset = pool.length;

export function randomId(prefix: string): string {
  if (offset + 12 > pool.length) {
    crypto.getRandomValues(pool);
    offset = 0;
  }
  const id = prefix + pool.toString("hex", offset, offset + 12);
  offset += 12;
  return id;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
