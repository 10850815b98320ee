import type { InputItemResource, ResponseObject } from "../response-schema.ts";

/** One stored response: the answer, and every item the model read for it (what `input_items` lists). */
export interface StoredResponse {
  response: ResponseObject;
  /** The conversation before the answer, oldest first: a previous response's input and output, then this request's input. */
  input: InputItemResource[];
  /**
   * The name of the key that created it (absent without keys): only that key reads, continues or
   * deletes it, as OpenAI scopes responses to a project.
   */
  owner?: string;
}

/**
 * Where stored responses live (`store` not false): in-process memory by default, Redis when
 * `REDIS_URL` is set so every replica sees every response. Entries expire after `RESPONSES_TTL_S`.
 */
export interface ResponseStore {
  get(id: string): Promise<StoredResponse | undefined>;
  put(entry: StoredResponse): Promise<void>;
  /**
   * Output items of stored responses by their id (clients send `item_reference` items instead of
   * repeating them); undefined where unknown or expired.
   */
  getItems(ids: readonly string[], owner: string | undefined): Promise<(InputItemResource | undefined)[]>;
  /** True when there was something to delete. */
  delete(id: string): Promise<boolean>;
  close(): void;
}
