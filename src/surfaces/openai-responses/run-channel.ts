import type { StoredResponse } from "./store/response-store.ts";

/** How a replica is told to stop a run it holds: a cancel (stored `cancelled`), or a delete (nothing stored). */
export type StopKind = "cancel" | "delete";

/**
 * What replicas sharing a store tell each other about the background responses they run (with
 * `REDIS_URL`; one replica alone needs none of it): a streamed run's events, so that a client that
 * comes back through another replica follows it there, and stops, so that a cancel or a delete on
 * another replica stops the run at once rather than at its next lease renewal.
 */
export interface RunChannel {
  /** A streamed run's SSE frames `first`, `first + 1`, … (frame i has `sequence_number` i). Sent in the background; a failure is logged. */
  append(id: string, first: number, frames: readonly string[]): void;
  /** The run is over and stored as it ended, after `at` frames: followers elsewhere end after its last one. */
  end(id: string, at: number): void;
  /** The run's events go (it was deleted): nothing more is sent for it. */
  discard(id: string): void;
  /**
   * A run's frames after `sequence_number` `after`, then those to come until it ends; undefined when
   * no frames were recorded for it (not a streamed background response, or its events expired).
   * `stored` reads the response's entry (with a lapsed lease read `failed`): a follower whose run is
   * no longer running but sends no end ends with `response.failed` (its replica died) or closes.
   */
  follow(id: string, after: number, stored: () => Promise<StoredResponse | undefined>): Promise<ReadableStream<Uint8Array> | undefined>;
  /** Tells the replica running `id` to stop it now. */
  stop(id: string, kind: StopKind): Promise<void>;
  /**
   * Calls `handler` for every stop sent to any replica (from the first call on). Resolves once this
   * replica hears them, or once the first try failed (it tries again; a stop meanwhile reaches the run
   * at its next lease renewal); never rejects.
   */
  onStop(handler: (id: string, kind: StopKind) => void): Promise<void>;
  /** Ends the streams of the followers reading here (the gateway is stopping): OpenAI's `error` event, after which they can follow again elsewhere. */
  endFollowers(): void;
  /** Ends the followers, and once what was appended is sent (or `waitMs` passed), closes the connections. */
  close(waitMs?: number): Promise<void>;
}
