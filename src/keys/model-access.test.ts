import { expect, test } from "bun:test";
import type { ModelRegistry } from "../registry.ts";
import { compileGlobs } from "./glob.ts";
import type { KeyRecord } from "./key-store.ts";
import { mayUse } from "./model-access.ts";

/** A registry listing `gpt-4o` (no tag) and `llama3.2:latest`, as labelOf and resolve read them. */
const registry = {
  labelOf: (id: string) => ({ "gpt-4o": "gpt-4o", "gpt-4o:latest": "gpt-4o", "llama3.2:latest": "llama3.2:latest", "llama3.2": "llama3.2:latest" })[id] ?? "",
  resolve: (id: string) => {
    if (id.startsWith("gpt-4o")) return { provider: { name: "openai" }, upstreamId: "gpt-4o" };
    if (id.startsWith("llama3.2")) return { provider: { name: "ollama" }, upstreamId: "llama3.2:latest" };
    throw new Error("unknown");
  },
} as unknown as ModelRegistry;
const key = (models: string[]): KeyRecord => ({ name: "k", owner: "k", allows: compileGlobs(models), models });

test("a pattern for tags (*:latest) does not reach a model listed without a tag through its :latest alias (a review)", () => {
  const tags = key(["*:latest"]);
  expect(mayUse(tags, "llama3.2:latest", registry)).toBe(true);
  expect(mayUse(tags, "gpt-4o:latest", registry)).toBe(false);
  // A key allowed the untagged model may name it either way.
  expect(mayUse(key(["gpt-4o", "gpt-4o:latest"]), "gpt-4o:latest", registry)).toBe(true);
  expect(mayUse(key(["gpt-4o"]), "gpt-4o", registry)).toBe(true);
  expect(mayUse(key(["ollama/*"]), "llama3.2", registry)).toBe(true);
});

test("a key for a model names it as it is listed: `llama3.2` (Ollama's short name) is the key's `llama3.2:latest` (a probe)", () => {
  expect(mayUse(key(["llama3.2:latest"]), "llama3.2", registry)).toBe(true);
  expect(mayUse(key(["llama*:latest"]), "llama3.2", registry)).toBe(true);
  expect(mayUse(key(["gpt-4o"]), "gpt-4o:latest", registry)).toBe(true);
  expect(mayUse(key(["gpt-4o"]), "llama3.2", registry)).toBe(false);
  expect(mayUse(key(["llama3.2:latest"]), "gpt-4o", registry)).toBe(false);
  expect(mayUse(key(["llama3.2:latest"]), "unknown-model", registry)).toBe(false);
});
