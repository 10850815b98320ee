import type { PluginDefinition } from "../src/kit.ts";
import dummy from "./dummy/index.ts";
import ollama from "./ollama/index.ts";

/**
 * The built-in plugins, in the contract's order (dummy, ollama, gemini, then configured
 * OpenAI-compatible instances). Listed here so `bun build --compile` puts them in the binary.
 */
export const builtinPlugins: readonly PluginDefinition[] = [dummy, ollama];
