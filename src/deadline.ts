/**
 * `work`, or a rejection with `late()` once `ms` pass before it settles. The timer never keeps the
 * process up, and goes once either side wins; `work` itself is not stopped (its own owner closes
 * what it runs on, when that is what a late answer means).
 */
export function within<T>(work: Promise<T>, ms: number, late: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late()), ms);
    timer.unref();
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
