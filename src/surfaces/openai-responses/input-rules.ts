import { InvalidRequestError } from "../../errors.ts";
import { assertHttpUrl, assertImageUrl } from "../../chat-rules.ts";
import { fileFromData } from "../../file-parts.ts";
import { keptUsers, openSummary } from "./compaction.ts";
import type { ResponsesContentPart, ResponsesInputItem, ResponsesRequest } from "./request-schema.ts";

function fail(message: string, param: string): never {
  throw new InvalidRequestError(message, { param });
}

const missing = (param: string): never => fail(`Missing required parameter: '${param}'.`, param);

/**
 * The per-type rules of a request's `input` that its schema cannot say (one object per item, the
 * type as a string), naming `input[i]…` as OpenAI does. Builds nothing when the input is good: the
 * converters (to-chat-request.ts, normalize-input.ts) then read it as it is.
 */
export function assertInputRules(input: ResponsesRequest["input"]): void {
  if (input === undefined || typeof input === "string") return;
  for (let i = 0; i < input.length; i++) checkItem(input[i]!, i, i === input.length - 1);
}

/** Whether a checked input ends with a `compaction_trigger`: the response is then the conversation's compaction (compact.ts). */
export function isCompactionTrigger(input: ResponsesRequest["input"]): boolean {
  return Array.isArray(input) && input.length > 0 && input[input.length - 1]!.type === "compaction_trigger";
}

/** Paths are only spelled out for an error: `i` and `j` are carried until then. */
const itemAt = (i: number) => `input[${i}]`;
const partAt = (i: number, j: number) => `input[${i}].content[${j}]`;
const outputAt = (i: number, j: number) => `input[${i}].output[${j}]`;

/**
 * An item's type as OpenAI reads it: as sent, else `message` when it has a role (`EasyInputMessage`),
 * else `item_reference` when it has an id (`ItemReferenceParam`'s type is optional).
 */
export function itemType(item: ResponsesInputItem): string | undefined {
  return item.type ?? (item.role !== undefined ? "message" : typeof item.id === "string" ? "item_reference" : undefined);
}

function checkItem(item: ResponsesInputItem, i: number, isLast: boolean): void {
  const type = itemType(item);
  switch (type) {
    case "message":
      return checkMessage(item, i);
    case "item_reference":
      if (typeof item.id !== "string") missing(`${itemAt(i)}.id`);
      return;
    case "function_call":
      if (item.call_id === undefined) missing(`${itemAt(i)}.call_id`);
      if (item.name === undefined) missing(`${itemAt(i)}.name`);
      if (item.arguments === undefined) missing(`${itemAt(i)}.arguments`);
      return;
    case "custom_tool_call":
      if (item.call_id === undefined) missing(`${itemAt(i)}.call_id`);
      if (item.name === undefined) missing(`${itemAt(i)}.name`);
      if (item.input === undefined) missing(`${itemAt(i)}.input`);
      return;
    case "function_call_output":
    case "custom_tool_call_output":
      if (item.call_id === undefined) missing(`${itemAt(i)}.call_id`);
      if (item.output === undefined) missing(`${itemAt(i)}.output`);
      if (Array.isArray(item.output)) checkOutputParts(item.output, i);
      return;
    case "reasoning": {
      const summary = item.summary ?? [];
      for (let j = 0; j < summary.length; j++) {
        if (summary[j]!.type !== "summary_text") fail(`Invalid '${itemAt(i)}.summary[${j}].type': expected "summary_text".`, `${itemAt(i)}.summary[${j}].type`);
      }
      // OpenAI's ReasoningItem: `content` is reasoning_text parts.
      const content = item.content;
      if (typeof content === "string") fail(`Invalid '${itemAt(i)}.content': expected an array of reasoning_text parts, got a string.`, `${itemAt(i)}.content`);
      for (let j = 0; j < (content?.length ?? 0); j++) {
        const part = content![j]!;
        if (part.type !== "reasoning_text") fail(`Invalid '${itemAt(i)}.content[${j}].type': expected "reasoning_text".`, `${itemAt(i)}.content[${j}].type`);
        if (typeof part.text !== "string") missing(`${itemAt(i)}.content[${j}].text`);
      }
      return;
    }
    case "compaction":
      // Only this gateway's own summaries can be read (compaction.ts): OpenAI's are encrypted for OpenAI.
      if (typeof item.encrypted_content !== "string") missing(`${itemAt(i)}.encrypted_content`);
      if (openSummary(item.encrypted_content!) === undefined || !keptUsersAreMessages(keptUsers(item.encrypted_content!))) {
        fail(
          `Invalid '${itemAt(i)}.encrypted_content': this compaction item was not made by this gateway, which reads only the compaction items its own POST /v1/responses/compact or compaction_trigger made.`,
          `${itemAt(i)}.encrypted_content`,
        );
      }
      return;
    case "additional_tools":
      // OpenAI's AdditionalToolsItemParam: developer-provided tools, available from this item on (to-chat-request.ts).
      if (item.role === undefined) missing(`${itemAt(i)}.role`);
      if (item.role !== "developer") fail(`Invalid '${itemAt(i)}.role': additional tools are provided by the developer role only.`, `${itemAt(i)}.role`);
      if (item.tools === undefined) missing(`${itemAt(i)}.tools`);
      return;
    case "compaction_trigger":
      // OpenAI's CompactionTriggerItemParam: "Compacts the current context. Must be the final input item."
      if (!isLast) fail(`Invalid '${itemAt(i)}.type': a compaction_trigger must be the final input item.`, `${itemAt(i)}.type`);
      return;
    case undefined:
      return missing(`${itemAt(i)}.type`);
    default:
      return fail(
        `Invalid '${itemAt(i)}.type': input items of type '${type}' are not supported; use message, function_call, function_call_output, custom_tool_call, custom_tool_call_output, reasoning, additional_tools, compaction or compaction_trigger.`,
        `${itemAt(i)}.type`,
      );
  }
}

/**
 * The user messages a compaction item holds (compaction.ts) are a user message's content each, as
 * this gateway wrote them: text, or parts a user message may hold (checked as one's are). Content
 * is the client's to send back, and so to change: what is not such content is not this gateway's.
 */
function keptUsersAreMessages(users: readonly unknown[]): boolean {
  for (const user of users) {
    if (typeof user === "string") continue;
    if (!Array.isArray(user)) return false;
    for (let j = 0; j < user.length; j++) {
      const part = user[j] as ResponsesContentPart | null;
      if (typeof part !== "object" || part === null || Array.isArray(part)) return false;
      try {
        checkPart(part, 0, j, "user");
      } catch {
        return false;
      }
    }
  }
  return true;
}

/**
 * A message needs a role and content; empty content is allowed, as OpenAI's document allows it (no
 * minimum length for the text or the parts) and its API takes it: clients send an empty user
 * message when there is nothing but instructions (pydantic-ai's Responses model does).
 */
function checkMessage(item: ResponsesInputItem, i: number): void {
  const role = item.role ?? missing(`${itemAt(i)}.role`);
  const content = item.content ?? missing(`${itemAt(i)}.content`);
  if (typeof content !== "string") for (let j = 0; j < content.length; j++) checkPart(content[j]!, i, j, role);
}

function checkPart(part: ResponsesContentPart, i: number, j: number, role: string): void {
  const isAssistant = role === "assistant";
  switch (part.type) {
    case "input_text":
    case "output_text":
      if (typeof part.text !== "string") missing(`${partAt(i, j)}.text`);
      return;
    case "refusal":
      if (!isAssistant) fail(`Invalid '${partAt(i, j)}.type': refusal parts are only allowed in assistant messages.`, `${partAt(i, j)}.type`);
      if (typeof part.refusal !== "string") missing(`${partAt(i, j)}.refusal`);
      return;
    case "input_image":
      // As Chat Completions: images in user messages only (a system or developer image was dropped by Gemini and Ollama, and refused by OpenAI).
      if (role !== "user") fail(`Invalid '${partAt(i, j)}.type': input_image parts are only allowed in user messages.`, `${partAt(i, j)}.type`);
      return checkImage(part, partAt(i, j));
    case "input_file":
      // Chat Completions takes files in user messages only: a system or developer file would be dropped.
      if (role !== "user") fail(`Invalid '${partAt(i, j)}.type': input_file parts are only allowed in user messages.`, `${partAt(i, j)}.type`);
      return checkFile(part, partAt(i, j));
    default:
      return fail(
        `Invalid '${partAt(i, j)}.type': content parts of type '${part.type}' are not supported; use input_text, input_image, input_file or output_text.`,
        `${partAt(i, j)}.type`,
      );
  }
}

/** An image part, in a message or a function output (`at` its path): by URL or `data:` URL; files are refused. */
function checkImage(part: ResponsesContentPart, at: string): void {
  if (part.file_id) fail(`Invalid '${at}.file_id': files are not supported by this gateway; send the image as image_url.`, `${at}.file_id`);
  if (!part.image_url) missing(`${at}.image_url`);
  assertImageUrl(part.image_url!, `${at}.image_url`);
}

/**
 * A file part: its content as `file_data`, a `file_url` the gateway fetches (http(s)), or an
 * uploaded file's `file_id` (which only an OpenAI upstream can read; others refuse it by name).
 */
function checkFile(part: ResponsesContentPart, at: string): void {
  if (part.file_data) fileFromData(part.file_data, part.filename ?? undefined, `${at}.file_data`);
  else if (part.file_url) assertHttpUrl(part.file_url, `${at}.file_url`);
  else if (!part.file_id) missing(`${at}.file_data`);
}

/** A function (or custom tool) output's parts: text, images and files. */
function checkOutputParts(parts: readonly ResponsesContentPart[], i: number): void {
  for (let j = 0; j < parts.length; j++) {
    const part = parts[j]!;
    switch (part.type) {
      case "input_text":
      case "output_text":
        if (typeof part.text !== "string") missing(`${outputAt(i, j)}.text`);
        break;
      case "input_image":
        checkImage(part, outputAt(i, j));
        break;
      case "input_file":
        checkFile(part, outputAt(i, j));
        break;
      default:
        fail(`Invalid '${outputAt(i, j)}.type': tool outputs may hold input_text, input_image and input_file parts here.`, `${outputAt(i, j)}.type`);
    }
  }
}
