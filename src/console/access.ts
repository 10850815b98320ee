import { createHash, timingSafeEqual } from "node:crypto";

/** True for a listen address only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackAddress(host: string): boolean {
  const h = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const lower = h.toLowerCase();
  return lower === "localhost" || lower.endsWith(".localhost") || lower === "::1" || /^(?:::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(lower);
}

/** The host part of a `Host` header (`127.0.0.1:8000`, `[::1]:8000`, `localhost`). */
export function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith("[")) return hostHeader.slice(0, hostHeader.indexOf("]") + 1);
  const colon = hostHeader.lastIndexOf(":");
  return colon === -1 ? hostHeader : hostHeader.slice(0, colon);
}

const sha256 = (text: string) => createHash("sha256").update(text).digest();

/**
 * Checks `Authorization: Bearer <admin key>`. Both sides are compared as SHA-256 digests with
 * timingSafeEqual, so neither the key's content nor its length leaks through timing.
 */
export function adminKeyCheck(adminKey: string): (authorization: string | null) => boolean {
  const expected = sha256(adminKey);
  return function isAdmin(authorization) {
    if (authorization === null || !authorization.startsWith("Bearer ")) return false;
    return timingSafeEqual(sha256(authorization.slice(7).trim()), expected);
  };
}

/**
 * The console's API answers its own page only. A browser always sends `Origin` on cross-origin
 * fetches: one that names another host than the request's is refused, so another web site open in
 * the operator's browser cannot read the console's data.
 */
export function isSameOrigin(origin: string | null, hostHeader: string | null): boolean {
  if (origin === null) return true;
  if (hostHeader === null) return false;
  try {
    return new URL(origin).host === hostHeader.toLowerCase();
  } catch {
    return false;
  }
}
