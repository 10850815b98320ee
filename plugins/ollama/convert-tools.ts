import { InvalidRequestError, type ChatRequest, type Tool } from "../../src/kit.ts";
import type { OllamaTool } from "./wire.ts";

/**
 * OpenAI `tools` + `tool_choice` as Ollama's `tools`. Ollama has no `tool_choice`: `none` drops the
 * tools, a named function keeps only that tool, and `auto`/`required` send them all (Ollama cannot
 * force a call, so `required` is the model's choice there).
 */
export function toOllamaTools(tools: ChatRequest["tools"], choice: ChatRequest["tool_choice"]): OllamaTool[] | undefined {
  if (!tools || tools.length === 0) return undefined;
  const all = tools.map(toOllamaTool);
  if (choice === undefined) return all;
  if (typeof choice === "string") {
    switch (choice) {
      case "none":
        return undefined;
      case "auto":
      case "required":
        return all;
      default: {
        const unknownChoice: never = choice;
        throw new InvalidRequestError(`Invalid 'tool_choice': ${String(unknownChoice)}.`, { param: "tool_choice" });
      }
    }
  }
  const name = choice.function.name;
  const named = all.filter((tool) => tool.function.name === name);
  if (named.length === 0) {
    throw new InvalidRequestError(`Invalid 'tool_choice': no function named '${name}' in 'tools'.`, { param: "tool_choice.function.name" });
  }
  return named;
}

function toOllamaTool(tool: Tool): OllamaTool {
  const { name, description, parameters } = tool.function;
  const fn: OllamaTool["function"] = { name };
  if (description !== undefined) fn.description = description;
  if (parameters !== undefined) fn.parameters = parameters;
  return { type: "function", function: fn };
}
