import type { Tool } from "../../src/kit.ts";

/**
 * A function name Gemini takes: letters, digits, `_ . : -`, starting with a letter or an underscore,
 * at most 64 characters (Google's FunctionDeclaration.name). OpenAI's rule (`[a-zA-Z0-9_-]{1,64}`)
 * allows a leading digit or dash, and Anthropic's names may be longer (Claude Code's MCP tools,
 * `mcp__<server>__<tool>`, often are): Gemini answers 400 to those.
 */
const GEMINI_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;

/**
 * The name a function goes to Gemini by: its own when Gemini takes it, else an alias made from it
 * (characters Gemini refuses as `_`, a leading `_` where needed, cut to 55 characters, then `_` and
 * 8 hex digits of the name's hash, so two long names with one beginning stay apart). The same name
 * always gets the same alias, so declarations, the history's calls and results, and `tool_choice`
 * agree without any state.
 */
export function geminiToolName(name: string): string {
  if (GEMINI_NAME.test(name)) return name;
  let cleaned = name.replace(/[^A-Za-z0-9_.:-]/g, "_");
  if (!/^[A-Za-z_]/.test(cleaned)) cleaned = `_${cleaned}`;
  const hash = (Bun.hash.wyhash(name) & 0xffffffffn).toString(16).padStart(8, "0");
  return `${cleaned.slice(0, 55)}_${hash}`;
}

/** Alias → the client's name, for the request's tools Gemini gets by an alias; undefined when none (the usual case). */
export function aliasedToolNames(tools: readonly Tool[] | undefined): ReadonlyMap<string, string> | undefined {
  let aliases: Map<string, string> | undefined;
  for (const tool of tools ?? []) {
    const name = tool.function.name;
    if (GEMINI_NAME.test(name)) continue;
    (aliases ??= new Map()).set(geminiToolName(name), name);
  }
  return aliases;
}
