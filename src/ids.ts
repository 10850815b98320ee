/** `chatcmpl-` plus 24 random base-62 characters, like OpenAI's ids. */
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const pool = new Uint8Array(4096);
let offset = pool.length;

export function randomId(prefix: string, length = 24): string {
  if (offset + length > pool.length) {
    crypto.getRandomValues(pool);
    offset = 0;
  }
  let out = prefix;
  // 256 % 62 skews a little toward the first characters; ids need uniqueness, not uniformity.
  for (let i = 0; i < length; i++) out += ALPHABET[pool[offset++]! % 62];
  return out;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
