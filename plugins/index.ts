import type { PluginDefinition } from "../src/kit.ts";
import dummy from "./dummy/index.ts";
import gemini from "./gemini/index.ts";
import ollama from "./ollama/index.ts";
import openaiCompatible from "./openai-compatible/index.ts";

/**
 * The built-in plugins, in the contract's order (dummy, ollama, gemini, then configured
 * OpenAI-compatible instances). Listed here so `bun build --compile` puts them in the binary.
 */
export const builtinPlugins: readonly PluginDefinition[] = [dummy, ollama, gemini, openaiCompatible];
