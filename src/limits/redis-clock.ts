/**
 * How fast two clocks may drift apart: 500 ppm is the most an NTP daemon slews a clock (a free-running
 * crystal drifts far less), so a reading this old is off by at most this much, short of a step.
 */
const DRIFT_PER_MS = 500e-6;
/**
 * Both clocks are read in whole milliseconds (Redis's TIME floored, `Date.now()`), and a timer may
 * fire a millisecond early: what the lower bound and the give-up time may be off by, at most.
 */
const ROUNDING_MS = 3;
/**
 * A reading this much below the bound kept is a clock step (NTP stepping either clock), not a late
 * answer: it is taken as it is. A late answer (this process busy when it came) reads lower by its
 * delay, which the bound kept does not have.
 */
const STEP_MS = 100;
/** Readings in a row below the bound kept that make it theirs (one late answer is not three). */
const LOWER_READINGS = 3;

/**
 * Redis's clock as this host knows it, for a deadline a Lua script can read against Redis's own
 * `TIME`: the gateway's "I stop waiting at T" in Redis's time, so that a command a hung Redis runs
 * only after T (queued while it hung) can tell it came too late. Clocks are never assumed to agree.
 *
 * Each reading is Redis's time in an answer and when this host had the answer: Redis read its clock
 * before this host got it, so `redis - received` is a lower bound on Redis's time minus this host's
 * (the answer's way back, and this process's own delay, make it lower). A lower bound is the side to
 * err on: the deadline comes no later than the moment the gateway gives up, by Redis's clock. Every
 * admission's answer is a reading, so it stays fresh while requests come; an old one is allowed the
 * drift since. The bound kept is the highest of the readings (each less the drift since it was
 * made): one this process read late (a stall of 35 ms) is that much low, and its deadline that much
 * early, which with a small `REDIS_TIMEOUT_MS` refused admissions Redis ran within a millisecond (a
 * review).
 */
export class RedisClock {
  /** Redis's time minus this host's, at least (ms); undefined before any reading. */
  #offset: number | undefined;
  #readAt = 0;
  /** Readings in a row below the bound kept (by less than a step), and the best of them. */
  #lower: { best: number; count: number } | undefined;

  /** Redis's time `redisMs` (its TIME, in ms), in an answer this host had at `receivedAt` (`Date.now()`). */
  heard(redisMs: number, receivedAt: number): void {
    const offset = redisMs - receivedAt;
    const kept = this.#offset === undefined ? undefined : this.#offset - Math.max(0, receivedAt - this.#readAt) * DRIFT_PER_MS;
    if (kept === undefined || offset >= kept || offset < kept - STEP_MS) {
      this.#offset = offset;
      this.#lower = undefined;
    } else {
      // Lower by less than a step: a late answer, or a small step of one clock. Readings that all come
      // in lower, LOWER_READINGS in a row, are the clocks now: the best of them is taken (a review: a
      // 90 ms step would otherwise stand for minutes, its deadline that much late).
      this.#lower = this.#lower === undefined ? { best: offset, count: 1 } : { best: Math.max(this.#lower.best, offset), count: this.#lower.count + 1 };
      if (this.#lower.count >= LOWER_READINGS) {
        this.#offset = this.#lower.best;
        this.#lower = undefined;
      } else this.#offset = kept;
    }
    this.#readAt = receivedAt;
  }

  /**
   * This host's `giveUpAt` (`Date.now()` terms) in Redis's time, as early as it may be, for a script
   * to refuse a command it runs after it; 0 (no deadline) with no reading (Redis refused TIME).
   * `maxDriftMs` caps the drift allowed for an old reading (a gateway idle for hours), and the
   * rounding allowed is at most half of it (a time-out of a few ms is not all rounding).
   */
  deadline(giveUpAt: number, maxDriftMs: number): number {
    if (this.#offset === undefined) return 0;
    const drift = Math.min((giveUpAt - this.#readAt) * DRIFT_PER_MS, maxDriftMs);
    return Math.floor(giveUpAt + this.#offset - Math.max(0, drift) - Math.min(ROUNDING_MS, maxDriftMs / 2));
  }
}
