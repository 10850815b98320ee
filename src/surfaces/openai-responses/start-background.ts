import { mapError } from "../../error-response.ts";
import { nowSeconds } from "../../ids.ts";
import type { Logger } from "../../logger.ts";
import type { CallInfo, Pipeline } from "../../pipeline/pipeline.ts";
import type { ChatRequest } from "../../schemas/chat.ts";
import type { BackgroundRuns } from "./background.ts";
import { toResponse } from "./from-chat-result.ts";
import { failedResponse, pendingResponse, type ResponseFrame } from "./response-frame.ts";
import type { ResponseObject } from "./response-schema.ts";
import type { ConditionalPut, ResponseStore, StoredResponse } from "./store/response-store.ts";
import { responsesStreamEncoder } from "./stream-encoder.ts";

export interface BackgroundDeps {
  pipeline: Pipeline;
  store: ResponseStore;
  runs: BackgroundRuns;
  logger: Logger;
  redact: (text: string) => string;
  /** This response's store entry (its conversation and owner are the request's), with a lease while it runs. */
  entry(response: ResponseObject, lease?: number): StoredResponse;
}

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
): Promise<ResponseObject | Response> {
  const run = d.runs.open(frame.id, call.owner, chat.stream === true);
  let reached!: () => void;
  const atProvider = new Promise<void>((resolve) => (reached = resolve));
  const life: CallInfo = { ...call, life: run.signal, onProvider: () => reached() };

  // The store's writes for this run, one after another. Once the first has landed, they are
  // conditional (store putIfRunning): a cancel or a delete on another replica, stored meanwhile,
  // stands, and stops the run here. Until then (the store away at the start) they are plain puts:
  // no replica can have cancelled or deleted an entry it never saw (both answer 404 first).
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
  let isStored = false;
  /** Writes `entry`: conditionally once the run's first write landed, else plainly; "written" when the store is away. */
  const store = async (entry: StoredResponse): Promise<ConditionalPut> => {
    try {
      if (isStored) return await d.store.putIfRunning(entry);
      await d.store.put(entry);
      isStored = true;
      return "written";
    } catch (error) {
      return unstored(error);
    }
  };
  let isRenewing = false;
  const renew = () => {
    if (isRenewing) return; // a slow store: no backlog of renewals ahead of the end
    isRenewing = true;
    void write(async () => {
      if (run.isFinished || run.isDeleted) return;
      stoppedElsewhere(await store(d.entry(running, await leaseFrom())));
    }).finally(() => (isRenewing = false));
  };
  let renewal: ReturnType<typeof setInterval> | undefined;
  const start = async () => {
    await write(async () => void (await store(d.entry(running, await leaseFrom()))));
    renewal = setInterval(renew, renewMs);
    renewal.unref();
  };
  const finish = (response: ResponseObject) =>
    write(async () => {
      clearInterval(renewal);
      if (!run.isDeleted) {
        const found = await store(d.entry(response));
        // Deleted on another replica before this end was stored (its stop not yet here): so it stays.
        if (found === "missing") run.markDeleted();
        // Cancelled on another replica before this end was stored: that stands.
        else if (found !== "written") response = (await d.store.get(frame.id).catch(() => undefined))?.response ?? response;
      }
      run.settle(response);
      d.runs.ended(run);
    });
  const failed = (error: unknown) => {
    const mapped = mapError(error, d.redact);
    if (mapped.internal) d.logger.error("background response failed", { id: frame.id, error });
    return failedResponse(frame, mapped, [], nowSeconds());
  };

  try {
    if (chat.stream !== true) {
      const answer = d.pipeline.complete(life, chat);
      await Promise.race([atProvider, answer]);
      await start();
      // A cancel ends it at once, whether or not the provider heeds the abort.
      const answered = answer.then((done) => toResponse(done.result, frame, done.usage, nowSeconds()), failed);
      void Promise.race([answered, run.stopped.then(failed)]).then(finish);
      return pendingResponse(frame, "queued");
    }
    let ended: ResponseObject | undefined;
    const streamed = await d.pipeline.stream(life, chat, responsesStreamEncoder({ frame, onFinish: (response) => void (ended = response) }));
    await start();
    void run
      .record(streamed.body!)
      .catch((error: unknown) => d.logger.warn("background stream not recorded", { id: frame.id, error: error instanceof Error ? error.message : String(error) }))
      .then(() => finish(ended ?? failed(run.signal.aborted ? run.signal.reason : new Error("the stream ended without its last event"))));
    return new Response(run.follow(-1), { status: 200, headers: streamed.headers });
  } catch (error) {
    d.runs.forget(frame.id);
    throw error;
  }
}
