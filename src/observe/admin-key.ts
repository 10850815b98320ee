import { isBearer } from "../request-meta.ts";
import { sameDigest, sha256 } from "../sha256.ts";

/**
 * `Authorization: Bearer <OLLAIX_ADMIN_KEY>` check. Both sides are hashed first, so the comparison
 * is constant-time and leaks neither the key's content nor its length. No key configured: open.
 */
export function adminKeyCheck(adminKey: string | undefined): (authorization: string | null) => boolean {
  if (!adminKey) return () => true;
  const expected = sha256(adminKey);
  return (authorization) => {
    if (authorization === null || !isBearer(authorization)) return false;
    return sameDigest(sha256(authorization.slice(7).trim()), expected);
  };
}
