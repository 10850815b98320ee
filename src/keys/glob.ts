/**
 * Model patterns of a key's `models` list and of route ids: `*` matches any run of characters
 * (slashes and colons included, so `ollama/*` covers `ollama/llama3:8b`); everything else is literal.
 */
export function compileGlob(pattern: string): (id: string) => boolean {
  if (!pattern.includes("*")) return (id) => id === pattern;
  // Matched in one pass, not as a regular expression: `.*` twice before literal text backtracks in
  // the square of the id's length (a security probe froze the event loop 40 s with one 150 KB model
  // id against `claude-*-*-latest`). With `*` the only wildcard, each literal part found leftmost in
  // turn is a match if any is.
  const parts = pattern.split("*");
  const head = parts[0]!;
  const tail = parts[parts.length - 1]!;
  const middle = parts.slice(1, -1).filter((part) => part !== "");
  const least = head.length + tail.length + middle.reduce((n, part) => n + part.length, 0);
  return (id) => {
    if (id.length < least || !id.startsWith(head) || !id.endsWith(tail)) return false;
    const end = id.length - tail.length;
    let at = head.length;
    for (const part of middle) {
      const found = id.indexOf(part, at);
      if (found < 0 || found + part.length > end) return false;
      at = found + part.length;
    }
    return true;
  };
}

/** True when any pattern matches. */
export function compileGlobs(patterns: readonly string[]): ((id: string) => boolean) & { exactly: (id: string) => boolean } {
  const exact = new Set(patterns.filter((p) => !p.includes("*")));
  const globs = patterns.filter((p) => p.includes("*")).map(compileGlob);
  // `exactly`: the id is in the list as it is, not through a pattern (key model access: an id named outright).
  return Object.assign((id: string) => exact.has(id) || globs.some((match) => match(id)), { exactly: (id: string) => exact.has(id) });
}

export const isGlob = (pattern: string): boolean => pattern.includes("*");
