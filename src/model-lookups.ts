/** How long an upstream's "it has this model" is kept. */
export const FOUND_TTL_MS = 60_000;
/** How long its "no such model" is kept: shorter, a model pulled meanwhile is found soon (discovery lists it within its 30-60 s too). */
export const NOT_FOUND_TTL_MS = 30_000;
/** Ids kept at most, all instances together: a flood of made-up ids pushes out the oldest, not the memory. */
export const MAX_LOOKUPS = 1_000;

/**
 * The answers of upstreams asked whether they have a model they did not list (Ollama's `/api/show`,
 * an OpenAI-compatible upstream's `GET /models/{id}`), for `GET /v1/models/{id}` and `/api/show`:
 * found or not found, kept a short while, so that repeating a lookup does not reach the upstream
 * each time (a probe: a key over its rpm still reached it with every one). Lookups of one id under
 * way at once share the first one's answer. A failure to ask (the upstream down, a time-out, the
 * client gone) is no answer: nothing is kept, and a lookup waiting on it asks for itself.
 */
export class ModelLookups {
  readonly #answers = new Map<string, { found: boolean; until: number }>();
  readonly #asking = new Map<string, Promise<boolean>>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Whether instance `instance` has model `id`: a kept answer, else `ask()`'s (kept). */
  async has(instance: string, id: string, ask: () => Promise<boolean>): Promise<boolean> {
    // Instance names have no `/` (INSTANCE_NAME_PATTERN): the key is unambiguous.
    const key = `${instance}/${id}`;
    const kept = this.#answers.get(key);
    if (kept !== undefined) {
      if (kept.until > this.#now()) return kept.found;
      this.#answers.delete(key);
    }
    const asking = this.#asking.get(key);
    if (asking !== undefined) {
      try {
        return await asking;
      } catch {
        // That lookup failed (its client left, the upstream failed): this one asks for itself.
      }
    }
    const mine = ask();
    this.#asking.set(key, mine);
    try {
      const found = await mine;
      this.#keep(key, found);
      return found;
    } finally {
      if (this.#asking.get(key) === mine) this.#asking.delete(key);
    }
  }

  #keep(key: string, found: boolean): void {
    this.#answers.delete(key); // kept anew at the end: the oldest come first
    this.#answers.set(key, { found, until: this.#now() + (found ? FOUND_TTL_MS : NOT_FOUND_TTL_MS) });
    if (this.#answers.size > MAX_LOOKUPS) this.#answers.delete(this.#answers.keys().next().value!);
  }
}
