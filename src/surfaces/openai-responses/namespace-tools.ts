import { InvalidRequestError } from "../../errors.ts";
import type { ResponsesTool } from "./request-schema.ts";
import type { EchoedTool } from "./response-schema.ts";

/**
 * OpenAI's namespace tools (`type: "namespace"`): the client's function and custom tools under one
 * name (Codex sends its MCP servers' tools so). Chat providers know a flat list of functions, so
 * each tool of a namespace reaches them as `<namespace>__<name>` (a name chat functions allow), and
 * its calls come back as `function_call` (or `custom_tool_call`) items with `namespace` and the
 * tool's own `name`; a call sent back with its namespace becomes that function call again.
 */
export const SEPARATOR = "__";

/** The chat function's name of a namespace's tool. */
export const flatName = (namespace: string, name: string): string => `${namespace}${SEPARATOR}${name}`;

/** A chat function's name: letters, digits, `_` and `-`, at most 64 (OpenAI's rule, which others share). */
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The request's tools with each namespace's tools in its place, named `<namespace>__<name>`, with
 * the path a refusal of each should name. A namespace's tools must be function or custom tools,
 * and their flat names valid chat function names.
 */
export function flattenNamespaces(tools: readonly ResponsesTool[]): { tool: ResponsesTool; at: string }[] {
  const out: { tool: ResponsesTool; at: string }[] = [];
  tools.forEach((tool, i) => {
    if (tool.type !== "namespace") {
      out.push({ tool, at: `tools[${i}]` });
      return;
    }
    if (!tool.name) throw new InvalidRequestError(`Missing required parameter: 'tools[${i}].name'.`, { param: `tools[${i}].name` });
    const inner = tool.tools ?? [];
    if (inner.length === 0) throw new InvalidRequestError(`Missing required parameter: 'tools[${i}].tools'.`, { param: `tools[${i}].tools` });
    inner.forEach((member, j) => {
      const at = `tools[${i}].tools[${j}]`;
      if (member.type !== "function" && member.type !== "custom") {
        throw new InvalidRequestError(`Invalid '${at}.type': a namespace holds function and custom tools, not '${member.type}'.`, { param: `${at}.type` });
      }
      if (!member.name) throw new InvalidRequestError(`Missing required parameter: '${at}.name'.`, { param: `${at}.name` });
      const name = flatName(tool.name!, member.name);
      if (!FUNCTION_NAME.test(name)) {
        throw new InvalidRequestError(
          `Invalid '${at}.name': '${tool.name}' and '${member.name}' make the function name '${name}', which providers refuse (letters, digits, _ and -, 64 at most).`,
          { param: `${at}.name` },
        );
      }
      // The namespace's description goes with each of its tools: the model sees no namespace otherwise.
      const described = tool.description ? { description: member.description ? `${member.description} (${tool.name}: ${tool.description})` : `${tool.name}: ${tool.description}` } : {};
      out.push({ tool: { ...member, name, ...described }, at });
    });
  });
  return out;
}

/** How a call's function name reads in the answer: the tool's own name, its namespace, and whether it is a custom tool. */
export interface CallNaming {
  name: string;
  namespace?: string;
  custom: boolean;
}

/**
 * The flat names of a response's namespaced tools (undefined when it has none: most requests), so
 * that a call of one names its namespace and its own name.
 */
export function namespacedCalls(tools: readonly EchoedTool[]): ReadonlyMap<string, CallNaming> | undefined {
  let map: Map<string, CallNaming> | undefined;
  for (const tool of tools) {
    if (tool.type !== "namespace") continue;
    for (const member of tool.tools) (map ??= new Map()).set(flatName(tool.name, member.name), { name: member.name, namespace: tool.name, custom: member.type === "custom" });
  }
  return map;
}
