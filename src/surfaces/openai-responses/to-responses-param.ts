import { renameByRules, type RenameRules, withRenamedParam } from "../rename-param.ts";

/** Chat-request field paths (what plugins and the pipeline name) → the Responses fields they came from. */
const RULES: RenameRules = [
  [/^reasoning_effort$/, "reasoning.effort"],
  [/^verbosity$/, "text.verbosity"],
  [/^max_(?:completion_)?tokens$/, "max_output_tokens"],
  [/^response_format\.json_schema(?=\.|$)/, "text.format"],
  [/^response_format(?=\.|$)/, "text.format"],
  [/^tools\[(\d+)\]\.function(?=\.|$)/, "tools[$1]"],
  [/^tool_choice\.function(?=\.|$)/, "tool_choice"],
  [/^messages(?:\[\d+\].*)?$/, "input"],
];

/** The same path in the Responses request's terms; unknown paths are returned as they are. */
export function toResponsesParam(param: string): string {
  return renameByRules(param, RULES);
}

/**
 * An item of the Responses request that a chat message (or one of its tool calls) came from: its
 * field (`instructions`, `previous_response_id`, `input`, or `input[j]`) and its type as the client
 * sent it (`item_reference` for an item the client named by id: named alone, it has no fields).
 */
export interface ItemPlace {
  field: string;
  type: "instructions" | "message" | "function_call" | "function_call_output" | "custom_tool_call" | "custom_tool_call_output" | "compaction" | "compaction_trigger" | "item_reference";
}

/**
 * Where a chat message came from, as the route finds it; for an assistant turn, each tool call's
 * item too; for the user message of a function output's images, the output part of each content part.
 */
export interface MessagePlace extends ItemPlace {
  calls?: readonly ItemPlace[];
  parts?: readonly number[];
}

/**
 * A message part's path as a Responses message item spells it (`image_url.url` → `image_url`; a
 * file part's `file.file_data` → the input_file's own `file_data`).
 */
const MESSAGE_FIELD = /^\.(?:content(?:\[\d+\](?:\.text|\.image_url|\.file\.(?:file_data|file_id|file_url))?)?|role)/;
const CALL = /^\.tool_calls\[(\d+)\](.*)$/;

const OUTPUT_PART = /^\.content\[(\d+)\](\.image_url|\.file\.(?:file_data|file_id|file_url))?/;

/** The field of an item that a chat message's `rest` (what follows `messages[i]`) names, or "" for the item itself. */
function itemField(place: MessagePlace, rest: string): string {
  switch (place.type) {
    case "message":
      return MESSAGE_FIELD.exec(rest)?.[0].replace(".file.", ".") ?? "";
    case "function_call_output":
    case "custom_tool_call_output": {
      // A tool message's `tool_call_id` and `content` were the item's `call_id` and `output`; the
      // user message of its images holds its image parts (`parts`: which part each one was).
      if (rest.startsWith(".tool_call_id")) return ".call_id";
      const part = place.parts ? OUTPUT_PART.exec(rest) : null;
      const j = part ? place.parts![Number(part[1])] : undefined;
      if (j !== undefined && j >= 0) return `.output[${j}]${part![2]?.replace(".file.", ".") ?? ""}`;
      return rest.startsWith(".content") ? ".output" : "";
    }
    case "function_call":
    case "custom_tool_call":
      // A custom call's input was the function's arguments (custom-tools.ts).
      if (rest === ".function.arguments") return place.type === "function_call" ? ".arguments" : ".input";
      return rest === ".function.name" ? ".name" : rest === ".id" ? ".call_id" : "";
    default:
      return "";
  }
}

/**
 * A chat message's path in the Responses request: `messages[i]…` → the item its message came from
 * (`locate(i)`), with the item's own field where it has one: a part of a message item, a function
 * call's `arguments`, `name` or `call_id` (an assistant turn's `tool_calls[c]` was its own item), a
 * function output's `output` or `call_id`. A stored item (`previous_response_id`), a referenced one
 * or `instructions` is named alone. Without `locate`, or for another path, `toResponsesParam`.
 */
export function toResponsesPath(param: string, locate?: (message: number) => MessagePlace | undefined): string {
  const message = locate ? /^messages\[(\d+)\](.*)$/.exec(param) : null;
  if (!message) return toResponsesParam(param);
  const place = locate!(Number(message[1]));
  if (!place) return "input";
  const rest = message[2]!;
  const call = CALL.exec(rest);
  const callPlace = call ? place.calls?.[Number(call[1])] : undefined;
  return callPlace ? pathIn(callPlace, call![2]!) : pathIn(place, rest);
}

/** A client's own item by its field (`input[j]` and the field `rest` names); any other by its field alone. */
const pathIn = (place: MessagePlace, rest: string): string => (place.field.startsWith("input[") ? place.field + itemField(place, rest) : place.field);

/**
 * An error from the pipeline or a plugin, its `param` renamed for a Responses client (a plugin that
 * refuses `reasoning_effort` is refusing the client's `reasoning.effort`), and the same path in its
 * message. `locate` places a chat message in the Responses request (see `toResponsesPath`); it
 * runs only for an error that names a message. Returns the same error.
 */
export function withResponsesParam<E>(error: E, locate?: (message: number) => MessagePlace | undefined): E {
  return withRenamedParam(error, (param) => toResponsesPath(param, locate));
}
