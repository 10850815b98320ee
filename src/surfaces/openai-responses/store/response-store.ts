import { storedItemOf } from "../item-ids.ts";
import { storedInputItems } from "../normalize-input.ts";
import type { ResponsesRequest } from "../request-schema.ts";
import type { InputItemResource, ResponseObject } from "../response-schema.ts";

/**
 * One stored response: the answer, and every item the model read for it (what `input_items` lists,
 * `storedInputItems` in normalize-input.ts).
 */
export interface StoredResponse {
  response: ResponseObject;
  /**
   * The conversation before the answer, oldest first, as items: a previous response's input and
   * output, then (unless `requestInput` is there) this request's input. With `chain`, this
   * request's own input items only.
   */
  input: InputItemResource[];
  /**
   * The stored responses this one continues (`previous_response_id`), oldest first, its previous
   * response last: the first holds its whole conversation, each next one its own input after the
   * one before it. Absent, `input` holds everything before (a copy of the conversation every
   * MAX_CHAIN turns, so a long chain is stored in about its own size, not its square).
   */
  chain?: string[];
  /**
   * A response in a conversation (Conversations API), whose `input` is its own input only: the id
   * of the conversation's last item its model read (absent: none). The conversation's items up to
   * this response's turn come before its input when it is listed or continued.
   */
  conversationThrough?: string;
  /**
   * This request's input as it was sent, after `input`: made into items only when read (most
   * stored responses are never read; serialising the request's few fields costs less than its items).
   */
  requestInput?: ResponsesRequest["input"];
  /**
   * The name of the key that created it (absent without keys): only that key reads, continues or
   * deletes it, as OpenAI scopes responses to a project.
   */
  owner?: string;
  /**
   * A running background response's lease (epoch ms): the replica running it stores it again before
   * then. Past it, the replica is taken to have died with the run (response-lease.ts).
   */
  lease?: number;
}

/**
 * Where stored responses live (`store` not false): in-process memory by default, Redis when
 * `REDIS_URL` is set so every replica sees every response. Entries expire after `RESPONSES_TTL_S`.
 */
export interface ResponseStore {
  get(id: string): Promise<StoredResponse | undefined>;
  /** Several at once (one round to the worker, one MGET), in the order asked. */
  getMany(ids: readonly string[]): Promise<(StoredResponse | undefined)[]>;
  /**
   * Whether the store keeps a chain's responses as long as the last one linked to them (Redis
   * renews their expiry with each link); if not, a chain is cut to a whole copy before its start
   * may go (`retentionMs`, the TTL).
   */
  readonly keepsChains: boolean;
  /** How long entries are kept now, when the store's bounds drop them before their TTL (the memory store's); undefined: the TTL. */
  retentionMs?(): number | undefined;
  /** `responseJson` is `entry.response` already serialised (the route sends that text too). */
  put(entry: StoredResponse, responseJson?: string): Promise<void>;
  /**
   * Output items of stored responses by their id (clients send `item_reference` items instead of
   * repeating them); undefined where unknown or expired.
   */
  getItems(ids: readonly string[], owner: string | undefined): Promise<(InputItemResource | undefined)[]>;
  /**
   * A running background response's next state (a lease renewal, its end), stored only while the
   * stored one still runs (`queued`, `in_progress`) or, for a `cancelled` state, is `cancelled`
   * already (the run's own end after a cancel elsewhere keeps its text so far). Answers `written`,
   * else what was found: `missing` (deleted; the memory store, whose deletes reach the run first,
   * writes a running response its bounds dropped again instead) or the stored status. Atomic in Redis, where replicas
   * race (a cancel or a delete on another replica against the run's writes).
   */
  putIfRunning(entry: StoredResponse): Promise<ConditionalPut>;
  /** True when there was something to delete. */
  delete(id: string): Promise<boolean>;
  /**
   * The time leases are written and read in (epoch ms): the store's own, so that replicas whose
   * clocks disagree still agree on whether a lease lapsed (Redis: its TIME; memory: this process's).
   */
  now(): Promise<number>;
  close(): void;
}

export type ConditionalPut = "written" | "missing" | string;

/** Whether `putIfRunning` may replace a stored status with `next`. */
export const mayReplace = (stored: string, next: string): boolean =>
  stored === "queued" || stored === "in_progress" || (stored === "cancelled" && next === "cancelled");

/**
 * `putIfRunning` for a store that one process owns (the memory store): a read, then the write. Not
 * atomic, and it need not be: a running response's writes are its run's, one after another, and the
 * process's own cancel and delete go through the run (background.ts) before they touch the store.
 * For the same reason an entry not found was not deleted but dropped by the store's bounds (the
 * oldest go first when 10,000 newer responses or the byte bound pass it): written again, so that a
 * long run's end is kept, never lost.
 */
export async function putIfRunningInProcess(store: Pick<ResponseStore, "get" | "put">, entry: StoredResponse): Promise<ConditionalPut> {
  const stored = await store.get(entry.response.id);
  if (stored === undefined) {
    await store.put(entry);
    return "written";
  }
  if (!mayReplace(stored.response.status, entry.response.status)) return stored.response.status;
  await store.put(entry);
  return "written";
}

/**
 * `JSON.stringify(entry)` as one text (what Redis keeps), with the response's JSON text given rather
 * than serialised again: the same text key for key.
 */
export function storedJson(entry: StoredResponse, responseJson: string = JSON.stringify(entry.response)): string {
  const rest = JSON.stringify({ input: entry.input, requestInput: entry.requestInput, chain: entry.chain, conversationThrough: entry.conversationThrough, owner: entry.owner, lease: entry.lease });
  return `{"response":${responseJson},${rest.slice(1)}`;
}

/**
 * `getItems` for a store without an index of items: each item is found in its response (item-ids.ts),
 * among its output or its input items, and each response is fetched once, all in one `getResponses` call.
 */
export async function itemsThroughResponses(
  getResponses: (responseIds: string[]) => Promise<(StoredResponse | undefined)[]>,
  ids: readonly string[],
  owner: string | undefined,
): Promise<(InputItemResource | undefined)[]> {
  const places = ids.map(storedItemOf);
  const distinct = [...new Set(places.filter((place) => place !== undefined).map((place) => place.responseId))];
  const stored = distinct.length > 0 ? await getResponses(distinct) : [];
  const byId = new Map(distinct.map((id, i) => [id, stored[i]]));
  return ids.map((id, i) => {
    const place = places[i];
    const entry = place === undefined ? undefined : byId.get(place.responseId);
    if (entry === undefined || entry.owner !== owner) return undefined;
    const items: readonly { id?: string | null }[] = place!.isInput ? storedInputItems(entry) : entry.response.output;
    return items.find((item) => item.id === id) as InputItemResource | undefined;
  });
}
