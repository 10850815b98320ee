import { InvalidRequestError } from "../../errors.ts";
import { randomId } from "../../ids.ts";
import { inputItemId } from "./item-ids.ts";
import type { ResponsesContentPart, ResponsesInputItem, ResponsesRequest } from "./request-schema.ts";
import type { InputItemResource } from "./response-schema.ts";

function fail(message: string, param: string): never {
  throw new InvalidRequestError(message, { param });
}

const missing = (param: string): never => fail(`Missing required parameter: '${param}'.`, param);

/**
 * A request's `input` as the items OpenAI lists under `input_items` (`ItemResource`: every item has
 * an `id` and a `type`, message content is always parts). Checks the per-type rules the schema
 * cannot say, naming `input[i]…` as OpenAI does. A string is one user message; an `item_reference`
 * is replaced by the stored item it names (`references`, fetched by the caller). Pure.
 */
export function normalizeInput(
  input: ResponsesRequest["input"],
  references: ReadonlyMap<string, InputItemResource> = NO_REFERENCES,
  responseId: string = randomId("resp_"),
): InputItemResource[] {
  if (input === undefined) return [];
  if (typeof input === "string") {
    const content = [{ type: "input_text", text: input }];
    return [{ id: inputItemId("msg_", responseId, 0), type: "message", role: "user", status: "completed", content }];
  }
  const items: InputItemResource[] = new Array(input.length);
  for (let i = 0; i < input.length; i++) {
    const item = input[i]!;
    items[i] = item.type === "item_reference" ? referenced(item, `input[${i}]`, references) : normalizeItem(item, `input[${i}]`, responseId, i);
  }
  return items;
}

const NO_REFERENCES: ReadonlyMap<string, InputItemResource> = new Map();

/** The ids of the `item_reference` items of an input: what the caller looks up before normalizing. */
export function referencedIds(input: ResponsesRequest["input"]): string[] {
  if (!Array.isArray(input)) return [];
  const ids: string[] = [];
  for (const item of input) if (item.type === "item_reference" && typeof item.id === "string") ids.push(item.id);
  return ids;
}

function referenced(item: ResponsesInputItem, at: string, references: ReadonlyMap<string, InputItemResource>): InputItemResource {
  if (typeof item.id !== "string") return missing(`${at}.id`);
  const found = references.get(item.id);
  if (!found) fail(`Item with id '${item.id}' not found.`, `${at}.id`);
  return found!;
}

/** An item given without an id gets one made from the response's id and the item's place. */
function normalizeItem(item: ResponsesInputItem, at: string, responseId: string, index: number): InputItemResource {
  const type = item.type ?? (item.role !== undefined ? "message" : undefined);
  const id = item.id ?? undefined;
  switch (type) {
    case "message":
      return normalizeMessage(item, at, id ?? inputItemId("msg_", responseId, index));
    case "function_call":
      if (item.call_id === undefined) missing(`${at}.call_id`);
      if (item.name === undefined) missing(`${at}.name`);
      if (item.arguments === undefined) missing(`${at}.arguments`);
      return {
        id: id ?? inputItemId("fc_", responseId, index),
        type,
        status: "completed",
        call_id: item.call_id!,
        name: item.name!,
        arguments: item.arguments!,
      };
    case "function_call_output":
      if (item.call_id === undefined) missing(`${at}.call_id`);
      if (item.output === undefined) missing(`${at}.output`);
      if (Array.isArray(item.output)) checkOutputParts(item.output, `${at}.output`);
      return { id: id ?? inputItemId("fco_", responseId, index), type, status: "completed", call_id: item.call_id!, output: item.output! };
    case "reasoning": {
      const summary = (item.summary ?? []).map((part, j) => {
        if (part.type !== "summary_text") fail(`Invalid '${at}.summary[${j}].type': expected "summary_text".`, `${at}.summary[${j}].type`);
        return { type: "summary_text" as const, text: part.text };
      });
      return {
        id: id ?? inputItemId("rs_", responseId, index),
        type,
        summary,
        ...(item.encrypted_content ? { encrypted_content: item.encrypted_content } : {}),
      };
    }
    case undefined:
      return missing(`${at}.type`);
    default:
      return fail(
        `Invalid '${at}.type': input items of type '${type}' are not supported; use message, function_call, function_call_output or reasoning.`,
        `${at}.type`,
      );
  }
}

function normalizeMessage(item: ResponsesInputItem, at: string, id: string): InputItemResource {
  const role = item.role ?? missing(`${at}.role`);
  const content = item.content ?? missing(`${at}.content`);
  const isAssistant = role === "assistant";
  let parts: Record<string, unknown>[];
  if (typeof content === "string") {
    parts = [isAssistant ? outputText(content) : { type: "input_text", text: content }];
  } else {
    parts = content.map((part, j) => normalizePart(part, `${at}.content[${j}]`, isAssistant));
  }
  if (!isAssistant && (parts.length === 0 || (parts.length === 1 && parts[0]!.text === ""))) {
    fail(`Invalid '${at}.content': a ${role} message needs non-empty content.`, `${at}.content`);
  }
  return {
    id,
    type: "message",
    role,
    status: "completed",
    content: parts,
  };
}

const outputText = (text: string) => ({ type: "output_text", text, annotations: [], logprobs: [] });

function normalizePart(part: ResponsesContentPart, at: string, isAssistant: boolean): Record<string, unknown> {
  switch (part.type) {
    case "input_text":
    case "output_text":
      if (typeof part.text !== "string") missing(`${at}.text`);
      // OpenAI's item resources keep input parts in input messages and output parts in assistant ones.
      return isAssistant ? outputText(part.text!) : { type: "input_text", text: part.text! };
    case "refusal":
      if (!isAssistant) fail(`Invalid '${at}.type': refusal parts are only allowed in assistant messages.`, `${at}.type`);
      if (typeof part.refusal !== "string") missing(`${at}.refusal`);
      return { type: "refusal", refusal: part.refusal! };
    case "input_image":
      if (isAssistant) fail(`Invalid '${at}.type': input_image parts are not allowed in assistant messages.`, `${at}.type`);
      if (part.file_id) fail(`Invalid '${at}.file_id': files are not supported by this gateway; send the image as image_url.`, `${at}.file_id`);
      if (!part.image_url) missing(`${at}.image_url`);
      return { type: "input_image", image_url: part.image_url!, detail: part.detail ?? "auto" };
    default:
      return fail(
        `Invalid '${at}.type': content parts of type '${part.type}' are not supported; use input_text, input_image or output_text.`,
        `${at}.type`,
      );
  }
}

function checkOutputParts(parts: readonly ResponsesContentPart[], at: string): void {
  for (let j = 0; j < parts.length; j++) {
    const part = parts[j]!;
    if (part.type !== "input_text" && part.type !== "output_text") {
      fail(`Invalid '${at}[${j}].type': function outputs may only hold text parts here.`, `${at}[${j}].type`);
    }
    if (typeof part.text !== "string") missing(`${at}[${j}].text`);
  }
}
