/**
 * Model patterns of a key's `models` list and of route ids: `*` matches any run of characters
 * (slashes and colons included, so `ollama/*` covers `ollama/llama3:8b`); everything else is literal.
 */
export function compileGlob(pattern: string): (id: string) => boolean {
  if (!pattern.includes("*")) return (id) => id === pattern;
  const source = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
  const regex = new RegExp(`^${source}$`, "s");
  return (id) => regex.test(id);
}

/** True when any pattern matches. */
export function compileGlobs(patterns: readonly string[]): (id: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.includes("*")));
  const globs = patterns.filter((p) => p.includes("*")).map(compileGlob);
  return (id) => exact.has(id) || globs.some((match) => match(id));
}

export const isGlob = (pattern: string): boolean => pattern.includes("*");
