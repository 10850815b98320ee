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
