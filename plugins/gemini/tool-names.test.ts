import { describe, expect, test } from "bun:test";
import { aliasedToolNames, geminiToolName } from "./tool-names.ts";

const GEMINI_RULE = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;

describe("function names Gemini takes", () => {
  test("a name Gemini takes goes as it is", () => {
    for (const name of ["get_weather", "_private", "a", "ns.tool:v2-x", "x".repeat(64)]) expect(geminiToolName(name)).toBe(name);
    expect(aliasedToolNames([{ type: "function", function: { name: "get_weather" } }])).toBeUndefined();
  });

  test("a longer name, a leading digit or dash, or a character Gemini refuses gets a valid alias, the same each time", () => {
    const mcp = "mcp__claude_ai_Google_Drive__search_files_in_shared_drive_with_full_text_and_owner_filters";
    for (const name of [mcp, "1st_tool", "-dash", "tool name/with spaces", "é".repeat(10), "x".repeat(65)]) {
      const alias = geminiToolName(name);
      expect(alias).toMatch(GEMINI_RULE);
      expect(alias).not.toBe(name);
      expect(geminiToolName(name)).toBe(alias);
    }
    expect(geminiToolName(mcp)).toStartWith(mcp.slice(0, 55));
  });

  test("two long names with one beginning get different aliases; the map gives each client's name back", () => {
    const a = `mcp__server__${"a".repeat(60)}_one`;
    const b = `mcp__server__${"a".repeat(60)}_two`;
    expect(geminiToolName(a)).not.toBe(geminiToolName(b));
    const names = aliasedToolNames([a, b, "plain"].map((name) => ({ type: "function" as const, function: { name } })))!;
    expect([...names]).toEqual([
      [geminiToolName(a), a],
      [geminiToolName(b), b],
    ]);
  });
});
