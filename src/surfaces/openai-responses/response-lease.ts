import type { ResponseObject } from "./response-schema.ts";
import type { StoredResponse } from "./store/response-store.ts";

/**
 * A running background response is stored with a lease, which the replica running it renews; one
 * whose lease lapsed belongs to a replica that died with it (a crash, a kill: a stopping gateway
 * ends its runs itself), and would otherwise read `in_progress` until it expires.
 */
export const LEASE_MS = 60_000;
export const RENEW_MS = 20_000;

export const LAPSED_MESSAGE = "The gateway running this background response stopped before it finished.";

/** A response that has not ended yet: `queued` (a background create) or `in_progress`. */
export const isRunning = (status: string | undefined): boolean => status === "queued" || status === "in_progress";

/** The entry as read: `failed` once a running response's lease has lapsed (the store keeps it as it was). */
export function withLapsedLease(stored: StoredResponse, now: number): StoredResponse {
  const status = stored.response.status;
  if (!isRunning(status) || stored.lease === undefined || stored.lease >= now) return stored;
  const response: ResponseObject = {
    ...stored.response,
    status: "failed",
    error: { code: "server_error", message: LAPSED_MESSAGE },
  };
  return { ...stored, response };
}
