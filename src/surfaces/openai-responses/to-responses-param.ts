import { hasErrorFields } from "../../errors.ts";

/** Chat-request field paths (what plugins and the pipeline name) → the Responses fields they came from. */
const RULES: [RegExp, string][] = [
  [/^reasoning_effort$/, "reasoning.effort"],
  [/^max_(?:completion_)?tokens$/, "max_output_tokens"],
  [/^response_format\.json_schema(?=\.|$)/, "text.format"],
  [/^response_format(?=\.|$)/, "text.format"],
  [/^tools\[(\d+)\]\.function(?=\.|$)/, "tools[$1]"],
  [/^tool_choice\.function(?=\.|$)/, "tool_choice"],
  [/^messages(?:\[\d+\].*)?$/, "input"],
];

/** The same path in the Responses request's terms; unknown paths are returned as they are. */
export function toResponsesParam(param: string): string {
  for (const [pattern, replacement] of RULES) {
    if (pattern.test(param)) return param.replace(pattern, replacement);
  }
  return param;
}

/**
 * An error from the pipeline or a plugin, its `param` renamed for a Responses client (a plugin that
 * refuses `reasoning_effort` is refusing the client's `reasoning.effort`). Returns the same error.
 */
export function withResponsesParam<E>(error: E): E {
  if (hasErrorFields(error) && typeof error.param === "string") error.param = toResponsesParam(error.param);
  return error;
}
