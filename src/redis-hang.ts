/** How often a Redis that left a command unanswered is asked again. */
const PROBE_EVERY_MS = 500;

/**
 * Whether the Redis at REDIS_URL hangs, as this process's connections to it found out: once one
 * leaves a command unanswered for REDIS_TIMEOUT_MS, the others (limits, the stores, the run channel)
 * fail at once, as they would after waiting that long, instead of each waiting again: a stored
 * response of a limited key waited for both. It is over once a command is answered again on any of
 * them, or a probe's PING is (at once, then every 500 ms, one at a time). A connection refused fails at once by
 * itself: only silence is shared.
 */
export class RedisHang {
  #isHanging = false;
  #probe: ReturnType<typeof setInterval> | undefined;
  #isProbing = false;

  /** `ping` asks Redis on a connection that does not wait on this (readiness's own); it fails once unanswered. */
  constructor(private readonly ping: () => Promise<unknown>) {}

  get isHanging(): boolean {
    return this.#isHanging;
  }

  /** A command went REDIS_TIMEOUT_MS without an answer. */
  unanswered(): void {
    if (this.#isHanging) return;
    this.#isHanging = true;
    this.#probe ??= setInterval(() => void this.#tryAgain(), PROBE_EVERY_MS);
    this.#probe.unref();
    // At once too: one command slower than the time-out, on a Redis that answers the rest, fails the others for a PING's round trip only.
    void this.#tryAgain();
  }

  /** A command was answered: Redis does not hang (cheap: every answer says so). */
  answered(): void {
    if (!this.#isHanging) return;
    this.#isHanging = false;
    clearInterval(this.#probe);
    this.#probe = undefined;
  }

  close(): void {
    clearInterval(this.#probe);
    this.#probe = undefined;
  }

  async #tryAgain(): Promise<void> {
    if (this.#isProbing) return; // a PING still unanswered: one at a time
    this.#isProbing = true;
    try {
      await this.ping();
      this.answered();
    } catch {
      // Still hanging (or away); the next probe asks again.
    } finally {
      this.#isProbing = false;
    }
  }
}
