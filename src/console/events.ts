import type { RequestOutcome } from "../pipeline/outcome.ts";
import { toRequestRecord, type RequestRecord } from "./request-record.ts";
import type { RequestRing } from "./ring.ts";
import type { SeriesPoint, TrafficSeries } from "./series.ts";

/** Events on `/console/api/events`, each `event: <name>\ndata: <json>\n\n`. */
export interface ConsoleEventMap {
  /** First event: what the page needs to draw at once. */
  snapshot: { now: number; requests: RequestRecord[]; series: SeriesPoint[] };
  /** Requests finished since the last batch, oldest first. */
  requests: RequestRecord[];
  /** Every second: `now` (Unix s) and the seconds that closed since the last tick. */
  tick: { now: number; points: SeriesPoint[] };
}

interface Client {
  controller: ReadableStreamDefaultController<Uint8Array>;
}

const encoder = new TextEncoder();
const frame = <K extends keyof ConsoleEventMap>(name: K, data: ConsoleEventMap[K]) =>
  encoder.encode(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);

/** A client this far behind (bytes queued) is dropped rather than buffered without end. */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

/**
 * The console's live stream. Nothing runs while no page is open: outcomes are only queued (and
 * the 1 s tick only runs) while at least one client listens; a batch is serialised once for all.
 */
export class ConsoleEvents {
  readonly #clients = new Set<Client>();
  #pending: RequestOutcome[] = [];
  #flush: ReturnType<typeof setTimeout> | undefined;
  #tick: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly ring: RequestRing,
    private readonly series: TrafficSeries,
    private readonly options: { batchMs?: number; tickMs?: number; snapshotRequests?: number } = {},
  ) {}

  get clients(): number {
    return this.#clients.size;
  }

  /** From the outcome subscriber: cheap, the record is built in the batch. */
  push(outcome: RequestOutcome): void {
    if (this.#clients.size === 0) return;
    this.#pending.push(outcome);
    this.#flush ??= setTimeout(() => this.#sendPending(), this.options.batchMs ?? 200);
  }

  /** A new SSE response; it ends when the client leaves (`signal`) or falls too far behind. */
  open(signal: AbortSignal): Response {
    let client: Client | undefined;
    const stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          client = { controller };
          const now = Date.now();
          const requests = this.ring.newest(this.options.snapshotRequests ?? 200).map((o) => toRequestRecord(o));
          controller.enqueue(frame("snapshot", { now: Math.floor(now / 1000), requests, series: this.series.points(now) }));
          this.#clients.add(client);
          this.#startTicking(now);
        },
        cancel: () => client && this.#drop(client),
      },
      { highWaterMark: MAX_QUEUED_BYTES, size: (chunk) => chunk?.byteLength ?? 0 },
    );
    signal.addEventListener("abort", () => client && this.#drop(client), { once: true });
    return new Response(stream, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        "x-accel-buffering": "no",
      },
    });
  }

  /** Ends every stream (shutdown, tests). */
  close(): void {
    for (const client of [...this.#clients]) {
      this.#drop(client);
      try {
        client.controller.close();
      } catch {
        // Already closed by the client's side.
      }
    }
  }

  #sendPending(): void {
    this.#flush = undefined;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length > 0) this.#broadcast(frame("requests", batch.map((o) => toRequestRecord(o))));
  }

  #startTicking(snapshotAt: number): void {
    // Ticks that begin follow the first page's snapshot (taken at `snapshotAt`): they hand out the seconds after it.
    if (this.#tick === undefined) this.series.handOutFrom(snapshotAt);
    this.#tick ??= setInterval(() => {
      const now = Date.now();
      this.#broadcast(frame("tick", { now: Math.floor(now / 1000), points: this.series.closeBefore(now) }));
    }, this.options.tickMs ?? 1000);
  }

  #broadcast(bytes: Uint8Array): void {
    for (const client of this.#clients) {
      const { controller } = client;
      if ((controller.desiredSize ?? 0) <= 0) {
        this.#drop(client);
        try {
          controller.error(new Error("console client too slow"));
        } catch {
          // The stream already ended.
        }
        continue;
      }
      try {
        controller.enqueue(bytes);
      } catch {
        this.#drop(client); // closed under us: the client left
      }
    }
  }

  #drop(client: Client): void {
    if (!this.#clients.delete(client) || this.#clients.size > 0) return;
    clearInterval(this.#tick);
    this.#tick = undefined;
    clearTimeout(this.#flush);
    this.#flush = undefined;
    this.#pending = [];
  }
}
