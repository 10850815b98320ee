/**
 * `work`, or a rejection with `late()` once `ms` pass before it settles. The timer goes once either
 * side wins; `work` itself is not stopped (its own owner closes what it runs on, when that is what a
 * late answer means). The timer never keeps the process up, unless `holdsProcess`: for a wait that
 * may be all the process has (start-up's import or `create()` of a plugin that never settles leaves
 * nothing alive, and Bun would exit 0 with it pending, never reaching the deadline).
 */
export function within<T>(work: Promise<T>, ms: number, late: () => Error, options: { holdsProcess?: boolean } = {}): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late()), ms);
    if (!options.holdsProcess) timer.unref();
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
