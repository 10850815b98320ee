import { InvalidRequestError } from "../../errors.ts";
import { isCompactionTrigger, itemType } from "./input-rules.ts";
import { inputItemId } from "./item-ids.ts";
import type { ResponsesContentPart, ResponsesInputItem, ResponsesRequest } from "./request-schema.ts";
import type { InputItemResource } from "./response-schema.ts";
import type { StoredResponse } from "./store/response-store.ts";

/**
 * A request's `input`, which passed `assertInputRules`, as the items OpenAI lists under
 * `input_items` (`ItemResource`: every item has an `id` and a `type`, message content is always
 * parts). A string is one user message; an `item_reference` is replaced by the stored item it names
 * (`references`, fetched by the caller: a 400 naming `input[i].id` when it is not there). An item
 * sent without an id gets one made from the response's id and its place (item-ids.ts), so the same
 * input gives the same items each time: stored responses keep the input as sent and normalize it
 * when read (`storedInputItems`). Pure.
 */
export function normalizeInput(
  input: ResponsesRequest["input"],
  responseId: string,
  references: ReadonlyMap<string, InputItemResource> = NO_REFERENCES,
): InputItemResource[] {
  if (input === undefined) return [];
  if (typeof input === "string") {
    const content = [{ type: "input_text", text: input }];
    return [{ id: inputItemId("msg_", responseId, 0), type: "message", role: "user", status: "completed", content }];
  }
  // A final compaction_trigger asked for the response's compaction item and is no item of its own:
  // OpenAI's ItemResource has no such type, and the compaction item stands for the turns before it.
  const length = isCompactionTrigger(input) ? input.length - 1 : input.length;
  const items: InputItemResource[] = new Array(length);
  for (let i = 0; i < length; i++) {
    const item = input[i]!;
    items[i] = itemType(item) === "item_reference" ? referenced(item.id!, i, references) : normalizeItem(item, responseId, i);
  }
  return items;
}

const NO_REFERENCES: ReadonlyMap<string, InputItemResource> = new Map();

/** Every item a stored response's model read: the conversation before it, then its own input, normalized. */
export function storedInputItems(stored: StoredResponse): InputItemResource[] {
  if (stored.requestInput === undefined) return stored.input;
  return [...stored.input, ...normalizeInput(stored.requestInput, stored.response.id)];
}

/** The ids of the `item_reference` items of an input: what the caller looks up before normalizing. */
export function referencedIds(input: ResponsesRequest["input"]): string[] {
  if (!Array.isArray(input)) return [];
  const ids: string[] = [];
  for (const item of input) if (itemType(item) === "item_reference" && typeof item.id === "string") ids.push(item.id);
  return ids;
}

function referenced(id: string, i: number, references: ReadonlyMap<string, InputItemResource>): InputItemResource {
  const found = references.get(id);
  if (!found) throw new InvalidRequestError(`Item with id '${id}' not found.`, { param: `input[${i}].id` });
  return found;
}

function normalizeItem(item: ResponsesInputItem, responseId: string, index: number): InputItemResource {
  const id = item.id ?? undefined;
  switch (item.type ?? "message") {
    case "message":
      return normalizeMessage(item, id ?? inputItemId("msg_", responseId, index));
    case "function_call":
      return {
        id: id ?? inputItemId("fc_", responseId, index),
        type: "function_call",
        status: "completed",
        call_id: item.call_id!,
        ...(item.namespace ? { namespace: item.namespace } : {}),
        name: item.name!,
        arguments: item.arguments!,
      };
    case "custom_tool_call":
      return {
        id: id ?? inputItemId("ctc_", responseId, index),
        type: "custom_tool_call",
        status: "completed",
        call_id: item.call_id!,
        ...(item.namespace ? { namespace: item.namespace } : {}),
        name: item.name!,
        input: item.input!,
      };
    case "function_call_output":
    case "custom_tool_call_output": {
      const isCustom = item.type === "custom_tool_call_output";
      return {
        id: id ?? inputItemId(isCustom ? "ctco_" : "fco_", responseId, index),
        type: isCustom ? "custom_tool_call_output" : "function_call_output",
        status: "completed",
        call_id: item.call_id!,
        // Parts as OpenAI's FunctionAndCustomToolCallOutput has them: input_text, input_image with its detail, input_file.
        output: typeof item.output === "string" ? item.output : item.output!.map((part) => normalizePart(part, false)),
      };
    }
    case "compaction":
      return { id: id ?? inputItemId("cmp_", responseId, index), type: "compaction", encrypted_content: item.encrypted_content! };
    case "additional_tools":
      return { id: id ?? inputItemId("at_", responseId, index), type: "additional_tools", role: "developer", tools: item.tools! };
    default: {
      // reasoning: the rules admit no other type
      const summary = (item.summary ?? []).map((part) => ({ type: "summary_text" as const, text: part.text }));
      return {
        id: id ?? inputItemId("rs_", responseId, index),
        type: "reasoning",
        summary,
        ...(Array.isArray(item.content) ? { content: item.content.map((part) => ({ type: "reasoning_text" as const, text: part.text! })) } : {}),
        ...(item.encrypted_content ? { encrypted_content: item.encrypted_content } : {}),
      };
    }
  }
}

function normalizeMessage(item: ResponsesInputItem, id: string): InputItemResource {
  const content = item.content!;
  const isAssistant = item.role === "assistant";
  const parts =
    typeof content === "string"
      ? [isAssistant ? outputText(content) : { type: "input_text", text: content }]
      : content.map((part) => normalizePart(part, isAssistant));
  // An assistant turn keeps the status it had (one cut by the output limit is `incomplete`).
  const status = isAssistant && item.status != null ? item.status : "completed";
  return { id, type: "message", role: item.role!, status, content: parts };
}

const outputText = (text: string, annotations: unknown[] = []) => ({ type: "output_text", text, annotations, logprobs: [] });

function normalizePart(part: ResponsesContentPart, isAssistant: boolean): Record<string, unknown> {
  switch (part.type) {
    case "refusal":
      return { type: "refusal", refusal: part.refusal! };
    case "input_image":
      return { type: "input_image", image_url: part.image_url!, detail: part.detail ?? "auto" };
    case "input_file": {
      const file: Record<string, unknown> = { type: "input_file" };
      if (part.file_id != null) file.file_id = part.file_id;
      if (part.filename != null) file.filename = part.filename;
      if (part.file_data != null) file.file_data = part.file_data;
      if (part.file_url != null) file.file_url = part.file_url;
      return file;
    }
    default: {
      // input_text or output_text: OpenAI's item resources keep input parts in input messages and output parts in assistant ones.
      // An assistant's text keeps its annotations (citations) as sent.
      if (isAssistant) {
        const annotations = (part as Record<string, unknown>).annotations;
        return outputText(part.text!, Array.isArray(annotations) ? annotations : []);
      }
      const breakpoint = (part as { prompt_cache_breakpoint?: unknown }).prompt_cache_breakpoint;
      return breakpoint == null ? { type: "input_text", text: part.text! } : { type: "input_text", text: part.text!, prompt_cache_breakpoint: breakpoint };
    }
  }
}
