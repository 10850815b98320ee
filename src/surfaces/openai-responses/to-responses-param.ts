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
 * A chat message's path in the Responses request: `messages[i]…` → the field its message came
 * from (`locate(i)`: `instructions`, `previous_response_id`, `input`, or `input[j]`), with the
 * content part's path as a Responses item spells it (`image_url.url` → `image_url`). Without
 * `locate`, or for another path, `toResponsesParam`.
 */
export function toResponsesPath(param: string, locate?: (message: number) => string): string {
  const message = locate ? /^messages\[(\d+)\](.*)$/.exec(param) : null;
  if (!message) return toResponsesParam(param);
  const source = locate!(Number(message[1]));
  if (!source.startsWith("input[")) return source;
  const part = /^\.content(?:\[\d+\](?:\.text|\.image_url)?)?/.exec(message[2]!);
  return part ? source + part[0] : source;
}

/** Identifier-like paths (`max_completion_tokens`, `messages[3].content`) are replaced in a message's text too. */
const SPELLED = /[._[]/;

/**
 * An error from the pipeline or a plugin, its `param` renamed for a Responses client (a plugin that
 * refuses `reasoning_effort` is refusing the client's `reasoning.effort`), and the same path in its
 * message. `locate` places a chat message in the Responses request (see `toResponsesPath`); it
 * runs only for an error that names a message. Returns the same error.
 */
export function withResponsesParam<E>(error: E, locate?: (message: number) => string): E {
  if (!hasErrorFields(error) || typeof error.param !== "string") return error;
  const original = error.param;
  const renamed = toResponsesPath(original, locate);
  if (renamed === original) return error;
  error.param = renamed;
  error.message = SPELLED.test(original) ? error.message.split(original).join(renamed) : error.message.split(`'${original}'`).join(`'${renamed}'`);
  return error;
}
