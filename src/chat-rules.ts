import { InvalidRequestError } from "./errors.ts";
import { assertOpenAIName } from "./openai-names.ts";
import { inlineAudio, inlineFile } from "./file-parts.ts";
import { isDataUrl } from "./image-fetch.ts";
import type { ChatRequest, Message } from "./schemas/chat.ts";
import { assertMetadataKeys } from "./surfaces/metadata-rules.ts";

/**
 * Rules of a chat request that hold whatever the provider and whichever surface it came from: the
 * pipeline checks them once, so every plugin and surface answers the same. `tool_choice` must fit
 * `tools` (OpenAI's wording and `param`).
 */
export function assertToolChoice(request: ChatRequest): void {
  const choice = request.tool_choice;
  if (choice === undefined || choice === "auto" || choice === "none") return;
  const tools = request.tools;
  if (!tools || tools.length === 0) {
    throw new InvalidRequestError("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", {
      param: "tool_choice",
    });
  }
  if (typeof choice === "string") return;
  const name = choice.function.name;
  if (!tools.some((tool) => tool.function.name === name)) {
    throw new InvalidRequestError(`Invalid value for 'tool_choice': no function named '${name}' is in 'tools'.`, {
      param: "tool_choice",
    });
  }
}

/**
 * The message rules of the contract that a JSON schema cannot say well: which roles need content,
 * what each content part needs, and the tool-message link. Runs after the schema check.
 */
export function assertMessageRules(request: ChatRequest): void {
  const { messages } = request;
  for (let i = 0; i < messages.length; i++) assertMessage(messages[i] as Message, i);
  assertToolMessagesAnswer(messages);
  // OpenAI's own refusals of fields that only mean something beside another.
  if (request.stream_options != null && request.stream !== true) {
    fail("Invalid value for 'stream_options': 'stream_options' is only allowed when 'stream' is enabled.", "stream_options");
  }
  if (request.top_logprobs != null && request.logprobs !== true) {
    fail("Invalid value for 'top_logprobs': 'logprobs' must be set to true when 'top_logprobs' is used.", "top_logprobs");
  }
  assertMetadataKeys(request.metadata as Record<string, string> | null | undefined);
  const format = request.response_format;
  if (format?.type === "json_schema") {
    if (!format.json_schema) {
      throw new InvalidRequestError("Missing required parameter: 'response_format.json_schema'.", {
        param: "response_format.json_schema",
      });
    }
    assertOpenAIName(format.json_schema.name, "response_format.json_schema.name");
  }
  const tools = request.tools;
  if (tools) for (let i = 0; i < tools.length; i++) assertOpenAIName(tools[i]!.function.name, `tools[${i}].function.name`);
}

/**
 * OpenAI's rule: a `tool` message answers a call of the assistant message before it (other tool
 * messages between them): "messages with role 'tool' must be a response to a preceeding message
 * with 'tool_calls'". Its `param` is OpenAI's too (`messages.[2].role`).
 */
function assertToolMessagesAnswer(messages: readonly Message[]): void {
  let calls: Message["tool_calls"];
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    if (message.role !== "tool") {
      calls = message.role === "assistant" ? message.tool_calls : undefined;
      continue;
    }
    // A deprecated `function` result (legacy-functions.ts gives it a `call_legacy_` id): the legacy form was
    // always taken with its results where they stand, after a user turn or with no call before them.
    if (message.tool_call_id?.startsWith("call_legacy_")) continue;
    if (calls === undefined || calls.length === 0) {
      fail(`Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.`, `messages.[${i}].role`);
    }
  }
}

function fail(message: string, param: string): never {
  throw new InvalidRequestError(message, { param });
}

function assertMessage(message: Message, i: number): void {
  const at = `messages[${i}]`;
  const { content } = message;
  switch (message.role) {
    case "system":
    case "developer":
    case "user":
      if (isEmpty(content)) fail(`Invalid '${at}.content': a ${message.role} message needs non-empty content.`, `${at}.content`);
      break;
    case "assistant":
      if (content == null && !(message.tool_calls && message.tool_calls.length > 0)) {
        fail(`Invalid '${at}.content': an assistant message needs content or tool_calls.`, `${at}.content`);
      }
      break;
    case "tool":
      if (!message.tool_call_id) fail(`Missing required parameter: '${at}.tool_call_id'.`, `${at}.tool_call_id`);
      if (content == null) fail(`Missing required parameter: '${at}.content'.`, `${at}.content`);
      break;
    default: {
      const unknownRole: never = message.role;
      fail(`Invalid '${at}.role': ${String(unknownRole)}.`, `${at}.role`);
    }
  }
  if (Array.isArray(content)) {
    for (let j = 0; j < content.length; j++) {
      const part = content[j]!;
      const where = `${at}.content[${j}]`;
      if (part.type === "text" && typeof part.text !== "string") fail(`Missing required parameter: '${where}.text'.`, `${where}.text`);
      if (part.type === "refusal") {
        if (message.role !== "assistant") fail(`Invalid '${where}.type': refusal parts are only allowed in assistant messages.`, `${where}.type`);
        if (typeof part.refusal !== "string") fail(`Missing required parameter: '${where}.refusal'.`, `${where}.refusal`);
      }
      if (part.type === "image_url") {
        if (message.role !== "user") fail(`Invalid '${where}.type': image_url parts are only allowed in user messages.`, `${where}.type`);
        if (!part.image_url?.url) fail(`Missing required parameter: '${where}.image_url.url'.`, `${where}.image_url.url`);
        assertImageUrl(part.image_url.url, `${where}.image_url.url`);
      }
      if (part.type === "input_audio") {
        if (message.role !== "user") fail(`Invalid '${where}.type': input_audio parts are only allowed in user messages.`, `${where}.type`);
        if (!part.input_audio) fail(`Missing required parameter: '${where}.input_audio'.`, `${where}.input_audio`);
        inlineAudio(part, where);
      }
      if (part.type === "file") {
        if (message.role !== "user") fail(`Invalid '${where}.type': file parts are only allowed in user messages.`, `${where}.type`);
        if (!part.file) fail(`Missing required parameter: '${where}.file'.`, `${where}.file`);
        // Data a provider can read, a URL the pipeline fetches, or an uploaded file's id (whose provider decides).
        if (part.file.file_url) assertHttpUrl(part.file.file_url, `${where}.file.file_url`);
        else if (!part.file.file_id) inlineFile(part, where);
      }
    }
  }
}

/** A URL the gateway will fetch: http(s) only (the fetch checks the address). */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * A `data:` image's base64 is base64, and not empty: else it reached providers as sent (Gemini's
 * refusal then named its own field, not the client's; Ollama read nothing).
 */
export function assertImageData(url: string, param: string): void {
  const comma = url.indexOf(",");
  if (comma < 0 || !url.slice(0, comma).toLowerCase().endsWith(";base64")) return; // the image loader's own 400s
  let data = url.slice(comma + 1);
  if (/\s/.test(data)) data = data.replace(/\s+/g, "");
  if (data === "" || data.length % 4 === 1 || !BASE64.test(data)) {
    throw new InvalidRequestError(`Invalid '${param}': the image's base64 data is ${data === "" ? "empty" : "not base64"}.`, { param });
  }
}

/**
 * An image's URL: a data URL of base64, or one a provider (or the gateway) fetches, http(s) only, as
 * OpenAI takes: never file:, gopher:…, which an upstream that fetches media itself would read on its
 * own network. In the image loader's words (image-fetch.ts), which refuses the same.
 */
export function assertImageUrl(url: string, param: string): void {
  if (isDataUrl(url)) return assertImageData(url, param);
  const parsed = URL.parse(url);
  if (parsed === null) throw new InvalidRequestError(`Invalid image URL in '${param}': not a valid URL.`, { param });
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new InvalidRequestError(`Invalid image URL in '${param}': only http(s) and data: URLs are supported.`, { param });
}

export function assertHttpUrl(url: string, param: string): void {
  const parsed = URL.parse(url);
  if (parsed?.protocol !== "http:" && parsed?.protocol !== "https:") fail(`Invalid '${param}': expected an http(s) URL.`, param);
}

function isEmpty(content: Message["content"]): boolean {
  if (content == null) return true;
  if (typeof content === "string") return content.length === 0;
  return content.length === 0;
}

/**
 * A completion budget larger than the model's whole context window can never be honoured: a 400
 * naming the field, in OpenAI's words, instead of an upstream error later. Only when the provider
 * lists the model's `context_length`.
 */
export function assertTokenLimits(request: ChatRequest, contextLength: number | undefined): void {
  if (contextLength === undefined) return;
  for (const field of ["max_completion_tokens", "max_tokens"] as const) {
    const value = request[field];
    if (typeof value === "number" && value > contextLength) {
      // The limit rides along, for a surface that words this its own way (Anthropic's).
      throw Object.assign(
        new InvalidRequestError(
          `${field} is too large: ${value}. This model supports at most ${contextLength} tokens (its context length), whereas you provided ${value}.`,
          { param: field, code: "invalid_value" },
        ),
        { contextLength },
      );
    }
  }
}
