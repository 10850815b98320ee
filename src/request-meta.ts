import { randomId } from "./ids.ts";

const VISIBLE_ID = /^[\x21-\x7e]{1,128}$/;

/** The client's `x-request-id` when it is 1-128 visible ASCII characters, else a new one. */
export function requestIdOf(request: Request): string {
  const sent = request.headers.get("x-request-id");
  return sent !== null && VISIBLE_ID.test(sent) ? sent : randomId("req_");
}

/** Hops this request has already made through Ollaix instances (0 when absent or not a count). */
export function hopsOf(request: Request): number {
  const sent = request.headers.get("x-ollaix-hops");
  if (sent === null || !/^\d{1,6}$/.test(sent)) return 0;
  return Number(sent);
}

export const MAX_HOPS = 5;

const STARTED_AT = Symbol("ollaix.startedAt");

/** Stamps when the request arrived (`performance.now()`), for the durations of its outcome. */
export function stampStart(request: Request): void {
  (request as unknown as Record<symbol, number>)[STARTED_AT] = performance.now();
}

/** When the request arrived, if the guard stamped it (requests built by `app.handle` in tests are too). */
export function startOf(request: Request): number | undefined {
  return (request as unknown as Record<symbol, number | undefined>)[STARTED_AT];
}

/**
 * Where a request URL's path starts. Bun gives `http://host/path`, but the bare path (`/v1/x`) when
 * the request's Host is missing (HTTP/1.0), empty or not a host (`a/b`): read as an absolute URL,
 * its path would start at the second slash, and `/v1/models` would be `/models`. -1 for no path.
 */
export function pathStartOf(url: string): number {
  return url.charCodeAt(0) === 47 /* "/" */ ? 0 : url.indexOf("/", url.indexOf("//") + 2);
}

/** The path of a request URL, without the query (`http://h:1/v1/x?y` → `/v1/x`). */
export function pathOf(url: string): string {
  const start = pathStartOf(url);
  if (start < 0) return "/";
  const query = url.indexOf("?", start);
  return query === -1 ? url.slice(start) : url.slice(start, query);
}

/** `Authorization: Bearer …`, the scheme in any case (RFC 9110 §11.1: auth schemes are case-insensitive). */
export const isBearer = (authorization: string): boolean =>
  authorization.startsWith("Bearer ") || (authorization.length > 7 && authorization.charCodeAt(6) === 32 && authorization.slice(0, 6).toLowerCase() === "bearer");
