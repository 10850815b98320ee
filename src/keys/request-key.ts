import type { KeyRecord } from "./key-store.ts";

/**
 * The key the guard identified, per request: the guard runs before routes, the gate and the model
 * list read it later. A WeakMap, so nothing outlives its request.
 */
const byRequest = new WeakMap<Request, KeyRecord>();

export const bindKey = (request: Request, key: KeyRecord): void => void byRequest.set(request, key);
export const keyOf = (request: Request): KeyRecord | undefined => byRequest.get(request);

/** The owner of what the request's key stores (KeyRecord.owner); undefined without keys. */
export const ownerOf = (request: Request): string | undefined => byRequest.get(request)?.owner;
