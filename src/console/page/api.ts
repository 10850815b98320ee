import { readSse, type SseEvent } from "./sse-parser.ts";

const ADMIN_KEY = "ollaix.console.adminKey";

export const session = {
  get adminKey(): string {
    return sessionStorage.getItem(ADMIN_KEY) ?? "";
  },
  set adminKey(value: string) {
    if (value) sessionStorage.setItem(ADMIN_KEY, value);
    else sessionStorage.removeItem(ADMIN_KEY);
  },
};

export class Unauthorized extends Error {}

/** What an HTTP header can carry (fetch refuses the rest): a key with other characters (a pasted smart quote, a "€") is refused here, not by fetch. */
const HEADER_SAFE = /^[\t\x20-\x7e\x80-\xff]*$/;
export const canBeHeader = (value: string): boolean => HEADER_SAFE.test(value);

function headers(): HeadersInit {
  const key = session.adminKey;
  if (!canBeHeader(key)) throw new Unauthorized("the key has characters a header cannot carry");
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** Whether the gateway wants the admin key, and whether the stored one is right (never a 401). */
export const getAccess = () => getJson<{ adminKeyRequired: boolean; signedIn: boolean }>("access");

/** GET /console/api/<path> as JSON; throws Unauthorized on 401. */
export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(`/console/api/${path}`, { headers: headers(), cache: "no-store" });
  if (response.status === 401) throw new Unauthorized("admin key required");
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

/**
 * The live event stream. EventSource cannot send a header, so this reads the SSE body of a fetch;
 * it reconnects after a pause until `signal` aborts.
 */
export async function followEvents(onEvent: (event: SseEvent) => void, onState: (connected: boolean) => void, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const response = await fetch("/console/api/events", { headers: headers(), signal, cache: "no-store" });
      if (response.status === 401) throw new Unauthorized("admin key required");
      if (!response.ok || !response.body) throw new Error(`events: HTTP ${response.status}`);
      onState(true);
      await readSse(response.body, onEvent);
    } catch (error) {
      if (error instanceof Unauthorized) throw error;
      if (signal.aborted) return;
    }
    onState(false);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}
