import type { CooldownSettings } from "../settings-schema.ts";

/**
 * Per replica: a deployment that failed `failures` times (retryable failures) within `window_s`
 * is skipped for `seconds`. A success clears its record.
 */
export class Cooldowns {
  readonly #failures: number;
  readonly #windowMs: number;
  readonly #coolMs: number;
  readonly #recent = new Map<string, number[]>();
  readonly #until = new Map<string, number>();

  constructor(settings: CooldownSettings = {}) {
    this.#failures = settings.failures ?? 3;
    this.#windowMs = (settings.window_s ?? 60) * 1000;
    this.#coolMs = (settings.seconds ?? 30) * 1000;
  }

  isCooling(model: string, now: number): boolean {
    if (this.#until.size === 0) return false;
    const until = this.#until.get(model);
    if (until === undefined) return false;
    if (now < until) return true;
    this.#until.delete(model);
    return false;
  }

  failed(model: string, now: number): void {
    const list = (this.#recent.get(model) ?? []).filter((t) => now - t < this.#windowMs);
    list.push(now);
    if (list.length >= this.#failures) {
      this.#until.set(model, now + this.#coolMs);
      this.#recent.delete(model);
    } else {
      this.#recent.set(model, list);
    }
  }

  succeeded(model: string): void {
    if (this.#recent.size > 0) this.#recent.delete(model);
  }
}
