import type { LogFields, Logger } from "../logger.ts";

/** How often a warning that keeps repeating is summarised. */
export const SUMMARY_EVERY_MS = 10 * 60_000;

interface Repeat {
  message: string;
  /** When the current run of identical warnings began. */
  since: number;
  lastLogged: number;
  /** Occurrences not logged since the last line. */
  unlogged: number;
  /** Occurrences in the whole run. */
  total: number;
}

/**
 * Warnings about a condition that persists (an absent Ollama polled every 30 s) are logged once,
 * then summarised at most every 10 minutes with how often they recurred, and once more, at info,
 * when the condition clears. A different message for the same subject is logged at once.
 */
export class RepeatLimiter {
  readonly #repeats = new Map<string, Repeat>();

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    private readonly summaryEveryMs = SUMMARY_EVERY_MS,
  ) {}

  /** `subject` names what fails (e.g. `discovery:ollama`); `message` is what is identical each time. */
  warn(subject: string, msg: string, message: string, fields: LogFields): void {
    const now = this.now();
    const repeat = this.#repeats.get(subject);
    if (!repeat || repeat.message !== message) {
      this.#repeats.set(subject, { message, since: now, lastLogged: now, unlogged: 0, total: 1 });
      this.logger.warn(msg, { ...fields, error: message });
      return;
    }
    repeat.unlogged++;
    repeat.total++;
    if (now - repeat.lastLogged < this.summaryEveryMs) return;
    this.logger.warn(msg, { ...fields, error: message, repeated: repeat.unlogged, failing_for_s: Math.round((now - repeat.since) / 1000) });
    repeat.lastLogged = now;
    repeat.unlogged = 0;
  }

  /** The condition is over; logs `msg` at info when a warning about it had been logged. */
  clear(subject: string, msg: string, fields: LogFields): void {
    const repeat = this.#repeats.get(subject);
    if (!repeat) return;
    this.#repeats.delete(subject);
    this.logger.info(msg, { ...fields, failures: repeat.total, failing_for_s: Math.round((this.now() - repeat.since) / 1000) });
  }
}
