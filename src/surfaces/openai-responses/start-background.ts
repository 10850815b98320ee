import { endingConnection } from "../../http/connection-clock.ts";
import { mapError } from "../../error-response.ts";
import { StateUnavailableError } from "../../errors.ts";
import { nowSeconds } from "../../ids.ts";
import type { Logger } from "../../logger.ts";
import { type CallInfo, markReported, type Pipeline } from "../../pipeline/pipeline.ts";
import { ClientGoneError } from "../../request-scope.ts";
import type { ChatRequest } from "../../schemas/chat.ts";
import { type BackgroundRuns, LeaseLostError, ResponseCancelledError } from "./background.ts";
import { toResponse } from "./from-chat-result.ts";
import { failedResponse, pendingResponse, type ResponseFrame } from "./response-frame.ts";
import type { EchoedTool, ResponseObject } from "./response-schema.ts";
import { wentUnanswered } from "./store/redis-connection.ts";
import type { ConditionalPut, ResponseStore, StoredResponse } from "./store/response-store.ts";
import { EntryTooLargeError } from "./store/worker-store.ts";
import { responsesStreamEncoder } from "./stream-encoder.ts";

export interface BackgroundDeps {
  pipeline: Pipeline;
  /** STREAM_IDLE_TIMEOUT_MS: how long the stream's client may read nothing while its buffer is full (connection-clock.ts). */
  streamIdleTimeoutMs: number;
  store: ResponseStore;
  runs: BackgroundRuns;
  logger: Logger;
  redact: (text: string) => string;
  /** This response's store entry (its conversation and owner are the request's), with a lease while it runs. */
  entry(response: ResponseObject, lease?: number): StoredResponse;
  /** The request's `include` asked for reasoning items' `encrypted_content`. */
  sealsReasoning?: boolean;
  /** The tools calls are read against, when `additional_tools` items gave more than the request's. */
  tools?: readonly EchoedTool[];
  /** Sees the response once it has ended and is stored (it is added to its conversation then). */
  onEnd?: (response: ResponseObject) => Promise<void>;
  /** An error of the call in the client's terms (`input[2].content[1]…`, not the chat request's fields). */
  inClientTerms(error: unknown): unknown;
}

/** storeEnd's answer for an end the store did not take before the lease lapsed. */
const LAPSED = Symbol("lapsed");

/**
 * `background: true`: the call runs without its client. The create answers once the call reaches
 * its provider (a refusal before that is the create's own error): `queued` for a complete answer,
 * the stream for a streamed one, which goes on if its client leaves. The response is stored
 * `in_progress` meanwhile, and as it ended (completed, incomplete, failed or cancelled) at its end.
 */
export async function startBackground(
  d: BackgroundDeps,
  call: CallInfo & { owner: string | undefined },
  chat: ChatRequest,
  frame: ResponseFrame,
  /** The create's answer headers: a queued answer gets the call's so far (a limited key's `x-ratelimit-*`, the target). */
  answerHeaders: Record<string, string | number>,
): Promise<ResponseObject | Response> {
  const run = d.runs.open(frame.id, call.owner, chat.stream === true);
  let reached!: () => void;
  const atProvider = new Promise<void>((resolve) => (reached = resolve));
  // The call's outcome is the request's unless the start is refused (then the create's error is).
  let started!: (isKept: boolean) => void;
  const outcomeWhen = new Promise<boolean>((resolve) => (started = resolve));
  const life: CallInfo = {
    ...call,
    life: run.signal,
    onProvider: (headers) => {
      Object.assign(answerHeaders, headers);
      reached();
    },
    outcomeWhen,
  };

  // The store's writes for this run, one after another. The first must land before the create
  // answers (else the create fails with the store's 503 and the call stops: no client ever holds
  // the id of a response the store may not have, and a write whose answer was lost cannot be taken
  // for one that never landed). The others are conditional (store putIfRunning): a cancel or a
  // delete on another replica, stored meanwhile, stands, and stops the run here.
  let writes: Promise<void> = Promise.resolve();
  const write = (next: () => Promise<void>) => (writes = writes.then(next));
  const running = pendingResponse(frame, "in_progress");
  const { leaseMs, renewMs } = d.runs.lease;
  const unstored = (error: unknown) => {
    d.logger.warn("could not store a background response", { id: frame.id, error: error instanceof Error ? error.message : String(error) });
    return "written" as const; // the store is away: carry on as if it had taken it
  };
  const stoppedElsewhere = (found: string) => {
    if (found === "written") return;
    if (found === "missing") run.markDeleted();
    run.cancel();
  };
  /** A lease from now, in the store's time (replicas' clocks may disagree: store `now`). */
  const leaseFrom = async () => (await d.store.now()) + leaseMs;
  // Other replicas read the response `failed` once its lease lapses: a run whose renewals do not
  // land (the store away, or hung) stops a half renewal period before that, and ends so itself.
  let fence: ReturnType<typeof setTimeout> | undefined;
  /** Until when (performance.now()) the stored lease surely holds, with half a renewal period to spare. */
  let heldUntil = 0;
  const leaseHeld = (since: number) => {
    clearTimeout(fence);
    heldUntil = since + leaseMs - renewMs / 2;
    fence = setTimeout(() => run.cancel(new LeaseLostError()), Math.max(0, heldUntil - performance.now()));
    fence.unref();
  };
  /**
   * The end, written again while the lease holds when the store does not take it (a Redis that
   * blipped, a connection being replaced): the model's answer must not be lost to a moment of the
   * store's, and be read `failed` once the lease lapses. Past the lease, others may read it failed
   * already: it is not written then (a failed response never comes back to life).
   */
  const storeEnd = async (response: ResponseObject): Promise<[ConditionalPut | typeof LAPSED, ResponseObject]> => {
    let end = response;
    for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
      try {
        return [await d.store.putIfRunning(d.entry(end)), end];
      } catch (error) {
        // Deleted meanwhile (here): nothing to write; past the lease: too late, others read it failed.
        if (run.isDeleted) return [unstored(error), end];
        // An answer larger than the memory store holds is refused however often it is asked: it ends
        // failed at once, saying why, without its output (not read failed as a lost run a lease later).
        if (error instanceof EntryTooLargeError && end === response) {
          endError = new StateUnavailableError(`The answer could not be kept: ${error.message}`);
          end = failed(endError);
          continue;
        }
        if (performance.now() + delay >= heldUntil) {
          unstored(error);
          return [LAPSED, end];
        }
        await Bun.sleep(delay);
      }
    }
  };
  /** Why the run's end was stored as another than it was (its answer too large to keep). */
  let endError: Error | undefined;
  let isRenewing = false;
  const renew = () => {
    if (isRenewing) return; // a slow store: no backlog of renewals ahead of the end
    isRenewing = true;
    void write(async () => {
      if (run.isFinished || run.isDeleted) return;
      const since = performance.now(); // the lease runs from no earlier than this
      try {
        const found = await d.store.putIfRunning((run.stored = d.entry(running, await leaseFrom())));
        leaseHeld(since);
        stoppedElsewhere(found);
      } catch (error) {
        unstored(error); // the run goes on while its lease holds
      }
    }).finally(() => (isRenewing = false));
  };
  let renewal: ReturnType<typeof setInterval> | undefined;
  let isStarting = false;
  const start = async () => {
    // Clients learn the id only from this create's answer: by then a cancel or delete sent from
    // another replica reaches this one at once (the first run of a replica subscribes here).
    await d.runs.listening;
    isStarting = true;
    const first = async () => {
      const since = performance.now();
      await d.store.put((run.stored = d.entry(running, await leaseFrom())));
      leaseHeld(since);
    };
    // Once more: a blip of the store (a connection lost, replaced by the next command) should not
    // fail the create. Not a store that left it unanswered for REDIS_TIMEOUT_MS: it hangs, and the
    // create would wait as long again (a probe: a 503 after 6 s at 3 s).
    await first().catch((error: unknown) => {
      if (wentUnanswered(error)) throw error;
      return first();
    });
    renewal = setInterval(renew, renewMs);
    renewal.unref();
    started(true);
  };
  /**
   * Stores the run's end, and says what it ended as: a cancel stored meanwhile on another replica
   * stands (its response is read back), a delete too (the run is marked deleted), and an end the
   * store did not take within the lease is the failure the other replicas read once it lapsed.
   */
  let endStored: ResponseObject | undefined;
  /** What was stored for it (itself, or the failure its answer, too large to keep, became). */
  let endStoredAs: ResponseObject | undefined;
  /** The store had no entry for the run's end: deleted on another replica (its stop not here yet), or lost (Redis flushed or restarted empty). */
  let endMissing = false;
  const storedEnd = (response: ResponseObject): Promise<ResponseObject> => {
    let end = response;
    return write(async () => {
      clearInterval(renewal);
      clearTimeout(fence);
      if (run.isDeleted) return;
      // Stored already (a stream's end, settled before its run finishes): as it was stored.
      if (endStored === response) {
        end = endStoredAs ?? response;
        return;
      }
      const [found, stored] = await storeEnd(response);
      if (found === "written") {
        endStored = response;
        endStoredAs = end = stored;
      }
      // Deleted on another replica before this end was stored (its stop not yet here), or lost with the
      // store's data: so it stays (a response is never stored again once gone), and its stream says so.
      else if (found === "missing") {
        endMissing = true;
        d.logger.warn("a background response's entry was gone when its end was to be stored (deleted elsewhere, or the store lost it)", { id: frame.id });
        run.markDeleted();
      }
      else if (found === LAPSED) end = failed(new LeaseLostError());
      // Cancelled on another replica before this end was stored: that stands.
      else end = (await d.store.get(frame.id).catch(() => undefined))?.response ?? response;
    }).then(() => end);
  };
  const finish = async (response: ResponseObject) => {
    const end = await storedEnd(response);
    run.settle(end);
    d.runs.ended(run);
    if (!run.isDeleted) await d.onEnd?.(end);
  };
  /**
   * A stream's last event waits for its end to be stored (encoder `settle`): what its followers,
   * here and on every replica, are told is what the store keeps. A cancel that won ends the stream
   * `response.failed` with the `cancelled` response (its text so far), a lapsed lease with the
   * failure the others read.
   */
  const settleStream = async (response: ResponseObject): Promise<void> => {
    const end = await storedEnd(response);
    // Its client is not told `completed` for a response no replica can read (a delete stopped here ends as failed too).
    if (endMissing) throw new StateUnavailableError("The response was deleted, or the response store lost it, before its end could be stored; it cannot be read or continued.");
    if (end === response || run.isDeleted) return;
    if (endError !== undefined && end.status === "failed") throw endError;
    throw end.status === "cancelled" ? new ResponseCancelledError() : new LeaseLostError();
  };
  const failed = (error: unknown) => {
    const mapped = mapError(d.inClientTerms(error), d.redact);
    if (mapped.internal) d.logger.error("background response failed", { id: frame.id, error });
    return failedResponse(frame, mapped, [], nowSeconds());
  };

  // Until the create answers, no client holds the id: a client that leaves before then (a stream's
  // create waits for the first chunk) stops the call, as a foreground one would (499 client_gone).
  const clientGone = () => {
    if (!isStarting) run.cancel(new ClientGoneError());
  };
  const clientSignal = call.request.signal;
  clientSignal.addEventListener("abort", clientGone, { once: true });
  try {
    if (chat.stream !== true) {
      const answer = d.pipeline.complete(life, chat);
      answer.catch(() => undefined); // settled below, or dropped when the start fails
      await Promise.race([atProvider, answer]);
      await start();
      if (clientSignal.aborted) throw new ClientGoneError(); // gone while it started: its entry goes (below)
      // A cancel ends it at once, whether or not the provider heeds the abort.
      const answered = answer.then((done) => toResponse(done.result, frame, done.usage, nowSeconds(), chat.logprobs === true, d.sealsReasoning, d.tools), failed);
      void Promise.race([answered, run.stopped.then(failed)]).then(finish);
      return pendingResponse(frame, "queued");
    }
    let ended: ResponseObject | undefined;
    const streamed = await d.pipeline.stream(
      life,
      chat,
      responsesStreamEncoder({ frame, logprobs: chat.logprobs === true, sealsReasoning: d.sealsReasoning, tools: d.tools, onFinish: (response) => void (ended = response), settle: settleStream }),
    );
    await start();
    if (clientSignal.aborted) throw new ClientGoneError(); // gone while it started: its entry goes (below)
    void run
      .record(streamed.body!)
      .catch((error: unknown) => d.logger.warn("background stream not recorded", { id: frame.id, error: error instanceof Error ? error.message : String(error) }))
      .then(() => finish(ended ?? failed(run.signal.aborted ? run.signal.reason : new Error("the stream ended without its last event"))));
    // Its connection idles from the replay's end, not the recording's (http/connection-clock.ts).
    return new Response(endingConnection(run.follow(-1), call.request, d.streamIdleTimeoutMs), { status: 200, headers: streamed.headers });
  } catch (error) {
    // Refused before it started, or the store did not take its start: a call under way stops
    // without an outcome of its own (the create's error is the request's), and an entry whose write
    // may have landed unanswered goes (best effort; its lease lapses otherwise).
    // (A stream's unread body ends through the same signal, within the scope's next tick.)
    run.cancel(markReported(new Error("the background response's start was not stored")));
    // A refusal before the start (the pipeline's own, with its outcome) stands; after it, the call's goes.
    clearTimeout(fence);
    started(!isStarting);
    if (isStarting) void d.store.delete(frame.id).catch(() => undefined);
    run.abandon(failed(error));
    d.runs.forget(frame.id);
    throw error;
  } finally {
    clientSignal.removeEventListener("abort", clientGone);
  }
}
