import { renameByRules, type RenameRules, withRenamedParam } from "../rename-param.ts";
import type { MessageSource } from "./to-chat-request.ts";

/** Chat-request fields (what plugins and the pipeline name) → the Messages fields they came from. */
const RULES: RenameRules = [
  [/^max_(?:completion_)?tokens$/, "max_tokens"],
  [/^reasoning_effort$/, "thinking"],
  [/^response_format\.json_schema\.schema(?=\.|\[|$)/, "output_config.format.schema"],
  [/^response_format(?=\.|$)/, "output_config.format"],
  [/^stop(?=\[|$)/, "stop_sequences"],
  [/^tools\[(\d+)\]\.function\.parameters(?=\.|\[|$)/, "tools[$1].input_schema"],
  [/^tools\[(\d+)\]\.function(?=\.|$)/, "tools[$1]"],
  [/^tool_choice\.function(?=\.|$)/, "tool_choice"],
];

const MESSAGE = /^messages\[(\d+)\](.*)$/;
const PART = /^\.content\[(\d+)\](.*)$/;
const CALL = /^\.tool_calls\[(\d+)\](.*)$/;

/**
 * A chat path in the Messages request's terms. `messages[i]…` is placed by `locate(i)` (the chat
 * message's source: the system prompt shifts the indexes, a tool result is its own message, and its
 * images lead the user turn): a content part → its block (`image_url` → the image's `source`, a
 * `file` → the document's), a
 * tool call → its `tool_use` block (`arguments` → `input`), a tool message → its `tool_result` block
 * (`tool_call_id` → `tool_use_id`). `reasoning_effort` → `effortField` (where the request's effort came
 * from). Anything else: the rules above, or the path as it is.
 */
export function toAnthropicPath(param: string, locate?: (message: number) => MessageSource | undefined, effortField = "thinking"): string {
  if (param === "reasoning_effort") return effortField;
  const message = locate ? MESSAGE.exec(param) : null;
  if (!message) return renameByRules(param, RULES);
  const source = locate!(Number(message[1]));
  if (!source) return "messages";
  if (source.at === "system") return "system";
  const rest = message[2]!;
  const part = PART.exec(rest);
  const block = part && source.parts?.[Number(part[1])];
  if (block) return block + (part![2]!.startsWith(".image_url") || part![2]!.startsWith(".file") ? ".source" : part![2]!.startsWith(".text") ? ".text" : "");
  const call = CALL.exec(rest);
  const use = call && source.calls?.[Number(call[1])];
  if (use) {
    const field = call![2]!;
    return use + (field.startsWith(".function.arguments") ? ".input" : field.startsWith(".function.name") ? ".name" : field === ".id" ? ".id" : "");
  }
  if (source.at.includes(".content[")) {
    // A tool message: its tool_result block.
    return source.at + (rest.startsWith(".tool_call_id") ? ".tool_use_id" : rest.startsWith(".content") ? ".content" : "");
  }
  return source.at + (rest.startsWith(".content") ? ".content" : rest.startsWith(".role") ? ".role" : "");
}

/**
 * An error from the pipeline or a plugin, renamed for a Messages client: its `param` and the path in
 * its message (the only place an Anthropic client sees it) name the client's own fields.
 */
export function withAnthropicParam<E>(error: E, locate?: (message: number) => MessageSource | undefined, effortField?: string): E {
  return withRenamedParam(error, (param) => toAnthropicPath(param, locate, effortField));
}
