import { REASONING_EFFORTS, type ReasoningEffort } from "../../schemas/chat.ts";
import { InvalidRequestError } from "../../errors.ts";
import { assertHttpUrl, assertImageData } from "../../chat-rules.ts";
import { sha256Text } from "../../sha256.ts";
import { fileFromData, fileNameFor } from "../../file-parts.ts";
import type { ChatRequest, ContentPart, Message, ResponseFormat, Tool, ToolCall, ToolChoice } from "../../schemas/chat.ts";
import { withThinkingBudget } from "../../thinking-budget.ts";
import type { BlockSource, ContentBlock, CountTokensRequest, MessageParam, MessagesRequest, OutputFormat, ThinkingParam, ToolChoiceParam, ToolParam } from "./schema.ts";
import { decodeSignature } from "./thinking-signature.ts";
import { THREAD_UNSUPPORTED } from "./envelope.ts";
import { fromToolUseId, fromToolUseIdParts } from "./tool-use-id.ts";

/**
 * Anthropic refuses an empty text block anywhere in `system` and `messages` (`messages: text content
 * blocks must be non-empty`), its count_tokens too: refused alike, so that a client that works here
 * works there (an OpenAI upstream refused the empty part in its own words).
 */
const EMPTY_TEXT = "text content blocks must be non-empty.";

const fail = (param: string, message: string): never => {
  throw new InvalidRequestError(`${param}: ${message}`, { param });
};

/**
 * A Messages request as the pipeline's chat request. Pure. `system` becomes the first message;
 * `tool_result` blocks become `tool` messages (before the rest of their user turn, which Anthropic
 * requires them to lead); `tool_use` ids go back to the provider's own call ids; thinking text
 * goes back as `reasoning_content`, and a thinking signature Ollaix made restores the provider's
 * extras on that turn's tool calls (Gemini thought signatures). Server tools are refused by name.
 */
export function toChatRequest(req: MessagesRequest, options: { interleavedThinking?: boolean } = {}): ChatRequest {
  checkThinking(req, options.interleavedThinking === true);
  const chat: ChatRequest = { model: req.model, messages: toChatMessages(req), max_tokens: req.max_tokens };
  // A streamed answer's usage (the last message_delta's) needs the provider's counts: asked for, as Responses does.
  if (req.stream === true) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  if (req.temperature !== undefined) chat.temperature = req.temperature;
  if (req.top_p !== undefined) chat.top_p = req.top_p;
  // `top_k` is no OpenAI field: an extra, which OpenAI-compatible upstreams receive as sent.
  if (req.top_k !== undefined) (chat as Record<string, unknown>).top_k = req.top_k;
  if (req.stop_sequences && req.stop_sequences.length > 0) chat.stop = [...req.stop_sequences];
  const user = req.metadata?.user_id;
  if (typeof user === "string" && user !== "") chat.user = userOf(user);
  // A message thread keeps the history at Anthropic; here each request is whole. Refused as Anthropic
  // refuses what it cannot thread, so the SDK's thread helpers (toolRunner, thread().send()) send the history.
  if ((req as { thread?: unknown }).thread != null) {
    throw new InvalidRequestError("Message threads are not supported by this gateway: send the whole conversation in messages.", { param: "thread", code: THREAD_UNSUPPORTED });
  }
  if (req.mcp_servers != null && !(Array.isArray(req.mcp_servers) && req.mcp_servers.length === 0)) {
    fail("mcp_servers", "MCP servers are connected by Anthropic's API, not by this gateway: the model would answer without their tools. Run them in your client and declare their tools in tools.");
  }
  Object.assign(chat, toChatTools(req.tools, req.tool_choice));
  // A later system message's effort is the later word.
  const effort = toReasoningEffort(req.thinking, conversationEffort(req.messages) ?? req.output_config?.effort ?? undefined);
  if (effort !== undefined) chat.reasoning_effort = effort;
  const format = req.output_config?.format ?? req.output_format;
  // Anthropic's structured outputs: the answer's text is JSON following the schema.
  if (format) chat.response_format = outputFormat(format);
  const budget = req.thinking?.type === "enabled" ? req.thinking.budget_tokens : undefined;
  return budget === undefined ? chat : withThinkingBudget(chat, budget);
}

/** Anthropic's smallest thinking budget. */
const MIN_THINKING_BUDGET = 1024;

/**
 * What Anthropic refuses about thinking and forced tools, refused alike so that a client that works
 * here works there: a budget under 1,024 tokens; a budget not below `max_tokens` (allowed with the
 * interleaved-thinking beta, where the budget spans the whole turn); a forced tool (`any`, `tool`)
 * with thinking on, or with no tools to choose from; with thinking on, a temperature other than 1,
 * any top_k, a top_p under 0.95.
 */
function checkThinking(req: MessagesRequest, interleaved: boolean): void {
  const choice = req.tool_choice?.type;
  const forced = choice === "any" || choice === "tool";
  if (forced && !(req.tools && req.tools.length > 0)) fail("tool_choice", `tool_choice.${choice} may only be specified while providing tools.`);
  const type = req.thinking?.type;
  if (type !== "enabled" && type !== "adaptive") return;
  const budget = type === "enabled" ? req.thinking!.budget_tokens : undefined;
  if (budget !== undefined) {
    if (budget < MIN_THINKING_BUDGET) fail("thinking.budget_tokens", `Input should be greater than or equal to ${MIN_THINKING_BUDGET}.`);
    if (!interleaved && budget >= req.max_tokens) {
      throw new InvalidRequestError("`max_tokens` must be greater than `thinking.budget_tokens`.", { param: "max_tokens" });
    }
  }
  if (forced) fail("tool_choice", `Thinking may not be enabled when tool_choice forces tool use: use tool_choice.type 'auto' or 'none' with thinking.`);
  // "Thinking isn't compatible with temperature or top_k modifications"; top_p from 0.95 to 1.
  if (req.temperature !== undefined && req.temperature !== 1) {
    throw new InvalidRequestError("`temperature` may only be set to 1 when thinking is enabled.", { param: "temperature" });
  }
  if (req.top_k !== undefined) throw new InvalidRequestError("`top_k` may not be set when thinking is enabled.", { param: "top_k" });
  if (req.top_p !== undefined && req.top_p < 0.95) {
    throw new InvalidRequestError("`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled.", { param: "top_p" });
  }
}

/**
 * `metadata.user_id` as the chat request's `user`: as sent up to 64 characters, else its SHA-256
 * (64 hex characters, the same for the same id). Claude Code sends a JSON text of ~150 characters,
 * which OpenRouter and other upstreams refuse (their limit is 128).
 */
const userOf = (id: string): string => (id.length <= 64 ? id : sha256Text(id, "hex"));

/**
 * A `count_tokens` request as the chat request it counts: the conversation, its tools and the
 * structured output's schema (the model is given it too).
 */
export function toCountRequest(req: CountTokensRequest): ChatRequest {
  const chat: ChatRequest = { model: req.model, messages: toChatMessages(req), ...toChatTools(req.tools, req.tool_choice) };
  const format = req.output_config?.format ?? req.output_format;
  if (format) chat.response_format = outputFormat(format);
  return chat;
}

const outputFormat = (format: OutputFormat): ResponseFormat => ({ type: "json_schema", json_schema: { name: "output", schema: format.schema } });

/**
 * Where a chat message came from, recorded only to explain an error, as paths of the Anthropic
 * request: `at` is the message (`messages[i]`), `system`, or for a tool message its `tool_result`
 * block; `parts` the block each chat content part came from (a tool result's images lead a user
 * turn); `calls` the `tool_use` block of each tool call.
 */
export interface MessageSource {
  at: string;
  parts?: string[];
  calls?: string[];
}

/** The conversation alone (count_tokens needs no sampling fields). With `sources`, each message's source. */
export function toChatMessages(req: MessagesRequest | CountTokensRequest, sources?: MessageSource[]): Message[] {
  const out: Message[] = [];
  const system = systemText(req.system);
  if (system !== undefined) {
    out.push({ role: "system", content: system });
    sources?.push({ at: "system" });
  }
  // A system message between a turn's tool calls and their results waits until after the results:
  // chat providers want every result right after its calls.
  let held: { out: Message[]; sources: MessageSource[] | undefined } | undefined;
  /**
   * The tool_use ids of the last assistant turn, which the user turn after it must answer in its
   * tool_results (Anthropic's rule). Consecutive messages of one role are one turn to Anthropic:
   * calls split over two assistant messages, or results over two user messages, still pair.
   */
  let calls: ReadonlySet<string> = NO_CALLS;
  let lastRole: string | undefined;
  // The calls of the assistant turn before this user turn that none of its tool_results answered yet, and where that turn began.
  let unanswered: Set<string> | undefined;
  let turnAt = 0;
  req.messages.forEach((message, i) => {
    if (message.role === "user") {
      assertAnswers(message, i, calls);
      if (lastRole === "assistant" && calls.size > 0) {
        unanswered = new Set(calls);
        turnAt = i;
      }
      if (unanswered !== undefined && typeof message.content !== "string") {
        for (const block of message.content) if (block.type === "tool_result" && typeof block.tool_use_id === "string") unanswered.delete(block.tool_use_id);
      }
      lastRole = "user";
      const before = out.length;
      pushUser(out, message, i, sources);
      if (held) {
        let at = before;
        while (at < out.length && out[at]!.role === "tool") at++;
        out.splice(at, 0, ...held.out);
        if (sources && held.sources) sources.splice(at, 0, ...held.sources);
        held = undefined;
      }
    } else if (message.role === "assistant") {
      if (lastRole === "user") assertAllAnswered(unanswered, turnAt);
      unanswered = undefined;
      const ids = toolUseIds(message);
      calls = lastRole === "assistant" && calls.size > 0 ? new Set([...calls, ...ids]) : ids;
      lastRole = "assistant";
      pushAssistant(out, message, i, sources);
    }
    else if (out.at(-1)?.tool_calls?.length || held) {
      held ??= { out: [], sources: sources && [] };
      pushSystem(held.out, message, i, held.sources);
    } else pushSystem(out, message, i, sources);
  });
  if (lastRole === "user") assertAllAnswered(unanswered, turnAt);
  if (held) {
    out.push(...held.out);
    if (sources && held.sources) sources.push(...held.sources);
  }
  return out;
}

/**
 * Every tool_use of an assistant turn is answered by a tool_result in the user turn after it, as
 * Anthropic requires (its own 400's words): a call left unanswered reached a chat provider as a
 * call without its result, which OpenAI refuses in words naming no field of the client's.
 */
function assertAllAnswered(unanswered: ReadonlySet<string> | undefined, i: number): void {
  if (unanswered === undefined || unanswered.size === 0) return;
  fail(
    `messages[${i}].content`,
    `\`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${[...unanswered].join(", ")}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
  );
}

const NO_CALLS: ReadonlySet<string> = new Set();

const toolUseIds = (message: MessageParam): ReadonlySet<string> => {
  if (typeof message.content === "string") return NO_CALLS;
  let ids: Set<string> | undefined;
  for (const block of message.content) if (block.type === "tool_use" && typeof block.id === "string") (ids ??= new Set()).add(block.id);
  return ids ?? NO_CALLS;
};

/**
 * A user turn's tool_results answer tool_use blocks of the assistant turn before it, as Anthropic
 * requires (its own 400's words): one that answers nothing reached a chat provider as a tool message
 * without its call, which OpenAI refuses with an error naming no field of the client's.
 */
function assertAnswers(message: MessageParam, i: number, calls: ReadonlySet<string>): void {
  if (typeof message.content === "string") return;
  message.content.forEach((block, j) => {
    if (block.type === "tool_result" && typeof block.tool_use_id === "string" && block.tool_use_id !== "" && !calls.has(block.tool_use_id)) {
      fail(
        `messages[${i}].content[${j}].tool_use_id`,
        `unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${block.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
      );
    }
  });
}

function systemText(system: MessagesRequest["system"]): string | undefined {
  if (system === undefined) return undefined;
  if (typeof system === "string") return system === "" ? undefined : system;
  // Text blocks (with `cache_control`, ignored) as one system message: not every upstream takes parts there.
  const text = system.map((block, j) => block.text || fail(`system[${j}].text`, EMPTY_TEXT)).join("\n\n");
  return text === "" ? undefined : text;
}

/**
 * A system message in the conversation (Anthropic's mid-conversation system messages): its text, in
 * its place. Tool changes and `clear_at` are not supported (a 400 naming them); an empty one (an
 * effort change alone) adds nothing.
 */
function pushSystem(out: Message[], message: MessageParam, i: number, sources: MessageSource[] | undefined): void {
  const at = `messages[${i}]`;
  if (message.clear_at != null) fail(`${at}.clear_at`, "clearing earlier turns is not supported by this gateway.");
  const blocks = typeof message.content === "string" ? [{ type: "text" as const, text: message.content }] : message.content;
  const texts = blocks.map((block, j) => (block.type === "text" ? (block.text ?? "") : fail(`${at}.content[${j}].type`, `a system message holds text blocks; '${block.type}' is not supported here.`)));
  const text = texts.join("\n\n");
  if (text === "") return;
  out.push({ role: "system", content: text });
  sources?.push({ at });
}

const isReasoningEffort = (value: string): value is ReasoningEffort => (REASONING_EFFORTS as readonly string[]).includes(value);

/** The effort the last system message in the conversation set (the AI SDK's mid-conversation output_config), if any. */
function conversationEffort(messages: readonly MessageParam[]): ReasoningEffort | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const effort = messages[i]!.role === "system" ? messages[i]!.output_config?.effort : undefined;
    if (effort != null) return isReasoningEffort(effort) ? effort : fail(`messages[${i}].output_config.effort`, `unknown effort ${JSON.stringify(effort)}.`);
  }
  return undefined;
}

function pushUser(out: Message[], message: MessageParam, i: number, sources: MessageSource[] | undefined): void {
  // Anthropic's rule: a user turn says something (an empty one was sent on as an empty message, or dropped).
  if (message.content.length === 0) fail(`messages[${i}].content`, "all messages must have non-empty content except for the optional final assistant message.");
  if (typeof message.content === "string") {
    out.push({ role: "user", content: message.content });
    sources?.push({ at: `messages[${i}]` });
    return;
  }
  const parts: ContentPart[] = [];
  const afterResults: ContentPart[] = [];
  const partSources: string[] | undefined = sources && [];
  const resultSources: string[] | undefined = sources && [];
  message.content.forEach((block, j) => {
    const at = `messages[${i}].content[${j}]`;
    const type = block.type;
    switch (type) {
      case "text":
        if (typeof block.text !== "string") fail(`${at}.text`, "Field required.");
        if (block.text === "") fail(`${at}.text`, EMPTY_TEXT);
        parts.push({ type: "text", text: block.text });
        partSources?.push(at);
        break;
      case "image":
        parts.push(toImagePart(block, at));
        partSources?.push(at);
        break;
      case "document":
        for (const part of toDocumentParts(block, at)) {
          parts.push(part);
          partSources?.push(at);
        }
        break;
      case "search_result":
        parts.push({ type: "text", text: searchResultText(block, at) });
        partSources?.push(at);
        break;
      case "tool_result": {
        if (!block.tool_use_id) fail(`${at}.tool_use_id`, "a tool_result needs the tool_use_id it answers.");
        const before = resultSources?.length ?? 0;
        const { text, images } = toolResultContent(block, at, resultSources);
        // A chat tool message holds text only: its images (and PDFs) follow as the user's, labelled with
        // the call they came from, as the Responses and Ollama surfaces label them; a result of those
        // alone says where they are (two image-only results were two empty tool messages).
        const noun = images.every((part) => part.type === "image_url") ? "images" : "files";
        const label = images.length === 0 ? undefined : `${noun} returned by tool call ${block.tool_use_id}`;
        out.push({ role: "tool", tool_call_id: fromToolUseId(block.tool_use_id!), content: label !== undefined && text === "" ? `[the output is the ${noun} in the user message labelled "${label}"]` : text });
        sources?.push({ at });
        if (label !== undefined) {
          afterResults.push({ type: "text", text: `[${label}]` }, ...images);
          resultSources?.splice(before, 0, at);
        }
        break;
      }
      case "tool_use":
      case "thinking":
      case "redacted_thinking":
        fail(`${at}.type`, `a '${type}' block belongs in an assistant message.`);
        break;
      default: {
        const unknownType: never = type;
        fail(`${at}.type`, `unknown block type ${String(unknownType)}.`);
      }
    }
  });
  const content = [...afterResults, ...parts];
  if (content.length > 0) {
    out.push({ role: "user", content: isAllText(content) ? joinText(content) : content });
    sources?.push({ at: `messages[${i}]`, parts: [...resultSources!, ...partSources!] });
  }
}

function pushAssistant(out: Message[], message: MessageParam, i: number, sources: MessageSource[] | undefined): void {
  if (typeof message.content === "string") {
    out.push({ role: "assistant", content: message.content });
    sources?.push({ at: `messages[${i}]` });
    return;
  }
  const callSources: string[] | undefined = sources && [];
  let text = "";
  let reasoning = "";
  const calls: ToolCall[] = [];
  const extras: Record<string, Record<string, unknown>> = {};
  // Adjacent text blocks are one text (citations split a sentence into blocks); text on both sides of
  // a tool call or a thought (interleaved thinking) is two, kept apart by a line break. So for thinking.
  let previous: string | undefined;
  const joined = (before: string, part: string, adjacent: boolean) => (before === "" || part === "" || adjacent ? before + part : `${before}\n${part}`);
  message.content.forEach((block, j) => {
    const at = `messages[${i}].content[${j}]`;
    const type = block.type;
    const adjacent = previous === type;
    previous = type;
    switch (type) {
      case "text":
        if (typeof block.text !== "string") fail(`${at}.text`, "Field required.");
        if (block.text === "") fail(`${at}.text`, EMPTY_TEXT);
        text = joined(text, block.text!, adjacent);
        break;
      case "thinking": {
        const payload = decodeSignature(block.signature);
        // A block sent with its thinking omitted carries it in its signature.
        reasoning = joined(reasoning, block.thinking || payload?.thinking || "", adjacent);
        Object.assign(extras, payload?.calls);
        break;
      }
      case "redacted_thinking":
        // Encrypted by Anthropic for Anthropic: nothing another provider can read.
        break;
      case "tool_use": {
        if (!block.id || !block.name) fail(at, "a tool_use block needs an id and a name.");
        const input = block.input ?? {};
        if (typeof input !== "object" || input === null || Array.isArray(input)) fail(`${at}.input`, "must be an object.");
        const { id, extras: carried } = fromToolUseIdParts(block.id!);
        calls.push({ id, type: "function", function: { name: block.name!, arguments: JSON.stringify(input) } });
        // The call's extras its id carries (a streamed answer's, or one without thinking), as the signature's are.
        if (carried !== undefined) extras[id] = { ...carried, ...extras[id] };
        callSources?.push(at);
        break;
      }
      case "image":
      case "document":
      case "search_result":
      case "tool_result":
        fail(`${at}.type`, `a '${type}' block belongs in a user message.`);
        break;
      default: {
        const unknownType: never = type;
        fail(`${at}.type`, `unknown block type ${String(unknownType)}.`);
      }
    }
  });
  const chat: Message = { role: "assistant", content: text === "" && calls.length > 0 ? null : text };
  if (calls.length > 0) chat.tool_calls = calls.map((call) => (extras[call.id] ? { ...extras[call.id], ...call } : call));
  if (reasoning !== "") (chat as Record<string, unknown>).reasoning_content = reasoning;
  out.push(chat);
  sources?.push({ at: `messages[${i}]`, calls: callSources });
}

function toImagePart(block: { source?: ContentBlock["source"] }, at: string): ContentPart {
  const source = block.source;
  if (!source || typeof source === "string") return fail(`${at}.source`, "an image needs a source object.");
  if (source.type === "url") {
    if (!source.url) fail(`${at}.source.url`, "missing.");
    // An image URL is fetched (or sent on): http(s) only, as a document's is.
    assertHttpUrl(source.url!, `${at}.source.url`);
    // The plugin loads it with the core's image loader (its size cap and private-address guard).
    return { type: "image_url", image_url: { url: source.url! } };
  }
  if (source.type !== "base64") fail(`${at}.source.type`, `an image's source is base64 or url, got ${JSON.stringify(source.type)}.`);
  if (!source.data || !source.media_type) fail(`${at}.source`, "a base64 image needs media_type and data.");
  // Anthropic's four (Base64ImageSource.media_type): others reached providers that take none of them (image/bmp to Gemini).
  if (!IMAGE_TYPES.has(source.media_type!)) fail(`${at}.source.media_type`, `expected one of image/jpeg, image/png, image/gif, image/webp, got ${JSON.stringify(source.media_type)}.`);
  const url = `data:${source.media_type};base64,${source.data}`;
  assertImageData(url, `${at}.source.data`);
  return { type: "image_url", image_url: { url } };
}

/**
 * A document as chat parts: a base64 PDF (or any base64 file) is a `file` part named by the
 * document's title; plain text is a text part (every provider reads text, where some take files of
 * one type only), after the title; a `content` source is its own text and image blocks. URLs and
 * Files API ids are not read by the gateway.
 */
function toDocumentParts(block: { source?: BlockSource | string; title?: string | null }, at: string): ContentPart[] {
  const source = block.source;
  if (!source || typeof source === "string") return fail(`${at}.source`, "a document needs a source object.");
  const title = block.title ? `${block.title}\n\n` : "";
  switch (source.type) {
    case "base64": {
      if (!source.data || !source.media_type) return fail(`${at}.source`, "a base64 document needs media_type and data.");
      const file_data = `data:${source.media_type};base64,${source.data}`;
      // Read now, so data that is not base64 is this block's 400 whatever the provider.
      fileFromData(file_data, undefined, `${at}.source.data`);
      // OpenAI wants a name beside file_data: the title, else document.pdf.
      return [{ type: "file", file: { file_data, filename: block.title || fileNameFor(source.media_type.toLowerCase()) } }];
    }
    case "text":
      if (typeof source.data !== "string") return fail(`${at}.source.data`, "a text document needs its text in data.");
      return [{ type: "text", text: title + source.data }];
    case "content": {
      const content = source.content;
      if (content === undefined) return fail(`${at}.source.content`, "missing.");
      if (typeof content === "string") return [{ type: "text", text: title + content }];
      const parts = content.map((part, k): ContentPart => (part.type === "text" ? { type: "text", text: part.text ?? "" } : toImagePart(part, `${at}.source.content[${k}]`)));
      return title === "" ? parts : [{ type: "text", text: block.title! }, ...parts];
    }
    case "url": {
      if (!source.url) return fail(`${at}.source.url`, "missing.");
      assertHttpUrl(source.url, `${at}.source.url`);
      // Fetched by the pipeline (file-fetch.ts), named by the title or the URL.
      const file: NonNullable<ContentPart["file"]> = { file_url: source.url };
      if (block.title) file.filename = block.title;
      return [{ type: "file", file }];
    }
    case "file":
      return fail(`${at}.source.file_id`, "files uploaded to Anthropic cannot be read through this gateway; send the document as base64 data.");
    default: {
      const unknownType: never = source.type;
      return fail(`${at}.source.type`, `unknown source type ${String(unknownType)}.`);
    }
  }
}

/**
 * A search result (Anthropic's blocks for retrieval results) as text every model reads: its title,
 * its source, then its text blocks. Citations, which need Anthropic's own models, are not made.
 */
function searchResultText(block: { source?: BlockSource | string; title?: string | null; content?: readonly { type: string; text?: string }[] | string }, at: string): string {
  if (typeof block.source !== "string") return fail(`${at}.source`, "a search_result needs its source as a string.");
  if (typeof block.title !== "string") return fail(`${at}.title`, "a search_result needs a title.");
  if (!Array.isArray(block.content)) return fail(`${at}.content`, "a search_result needs its content as text blocks.");
  const texts = block.content.map((part, k) => (part.type === "text" ? (part.text ?? "") : fail(`${at}.content[${k}].type`, "a search_result holds text blocks.")));
  return `${block.title}\n${block.source}\n\n${texts.join("\n")}`;
}

/**
 * A tool_result's content: its text (and a text document's) for the tool message; its images and
 * files (a PDF document) for the user message after the results, as chat tool messages hold text only.
 */
function toolResultContent(block: ContentBlock, at: string, imageSources: string[] | undefined): { text: string; images: ContentPart[] } {
  const content = block.content;
  let text = "";
  const images: ContentPart[] = [];
  const addText = (more: string) => (text += (text === "" ? "" : "\n") + more);
  if (typeof content === "string") text = content;
  else if (content) {
    content.forEach((part, k) => {
      const where = `${at}.content[${k}]`;
      if (part.type === "text") addText(part.text ?? "");
      else if (part.type === "search_result") addText(searchResultText(part, where));
      else if (part.type === "image") {
        images.push(toImagePart(part, where));
        imageSources?.push(where);
      } else {
        for (const piece of toDocumentParts(part, where)) {
          if (piece.type === "text") addText(piece.text ?? "");
          else {
            images.push(piece);
            imageSources?.push(where);
          }
        }
      }
    });
  }
  // Chat tool messages have no error flag: the text says so, which every model reads.
  // Said once: a client's own error text often begins so already (the AI SDK's "Error: …").
  if (block.is_error === true) text = text === "" ? "Error" : /^error(?::|\s|$)/i.test(text) ? text : `Error: ${text}`;
  return { text, images };
}

const isAllText = (parts: ContentPart[]) => parts.every((part) => part.type === "text");
const joinText = (parts: ContentPart[]) => (parts.length === 1 ? (parts[0]!.text ?? "") : parts.map((part) => part.text ?? "").join("\n"));

export function toChatTools(tools: ToolParam[] | undefined, choice: ToolChoiceParam | undefined): Partial<ChatRequest> {
  const out: Partial<ChatRequest> = {};
  if (tools && tools.length > 0) {
    out.tools = tools.map(toChatTool);
    const seen = new Set<string>();
    out.tools.forEach((tool, i) => {
      if (seen.has(tool.function.name)) fail(`tools[${i}].name`, `Tool names must be unique: '${tool.function.name}' is declared twice.`);
      seen.add(tool.function.name);
    });
  }
  // With no tools to choose from, `auto` and `none` say nothing (a forced tool is refused before):
  // left out, as OpenAI refuses tool_choice and parallel_tool_calls without tools.
  if (choice && out.tools !== undefined) {
    out.tool_choice = toChatToolChoice(choice);
    if (choice.disable_parallel_tool_use === true) (out as Record<string, unknown>).parallel_tool_calls = false;
  }
  return out;
}

/** What Anthropic takes as a client tool's name. */
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;

function toChatTool(tool: ToolParam, i: number): Tool {
  if (tool.type !== undefined && tool.type !== "custom") {
    // web_search_*, code_execution_*, computer_*, bash_*, text_editor_*, mcp_toolset, …: run by Anthropic's servers.
    fail(`tools[${i}].type`, `the server tool '${tool.name ?? tool.type}' (${tool.type}) is not supported: Ollaix cannot run Anthropic's server tools. Declare it as a client tool with an input_schema instead.`);
  }
  if (tool.name === undefined) return fail(`tools[${i}].name`, "missing.");
  // Anthropic's rule for a client tool's name (`tools.0.custom.name: String should match pattern …`).
  if (!TOOL_NAME.test(tool.name)) fail(`tools[${i}].name`, `String should match pattern '${TOOL_NAME.source}'.`);
  // Anthropic refuses a client tool without a schema, or whose schema is not an object's
  // (`tools.0.custom.input_schema.type: Field required`): a model cannot call it with an input.
  const schema = tool.input_schema as { type?: unknown } | undefined;
  if (schema === undefined) return fail(`tools[${i}].input_schema`, "Field required.");
  if (schema.type !== "object") {
    return fail(`tools[${i}].input_schema.type`, schema.type === undefined ? "Field required." : "Input should be 'object'.");
  }
  const fn: Tool["function"] = { name: tool.name, parameters: schema as Record<string, unknown> };
  if (tool.description !== undefined) fn.description = tool.description;
  // `strict` is accepted and not sent on: OpenAI's strict mode wants every property required, which
  // Anthropic's does not, so a tool with optional inputs would be refused by an OpenAI upstream.
  return { type: "function", function: fn };
}

function toChatToolChoice(choice: ToolChoiceParam): ToolChoice {
  const type = choice.type;
  switch (type) {
    case "auto":
      return "auto";
    case "any":
      return "required";
    case "none":
      return "none";
    case "tool":
      if (!choice.name) fail("tool_choice.name", "required when tool_choice.type is 'tool'.");
      return { type: "function", function: { name: choice.name! } };
    default: {
      const unknownType: never = type;
      return fail("tool_choice.type", `unknown ${String(unknownType)}.`);
    }
  }
}

/**
 * Thinking as the chat request's `reasoning_effort`, the level every plugin maps (Ollama `think`,
 * Gemini levels). A budget picks the level whose Gemini budget (low 1,024, medium 8,192, high
 * 24,576) it is nearest; the exact budget also rides along (thinking-budget.ts).
 */
export function toReasoningEffort(thinking: ThinkingParam | undefined, effort?: ReasoningEffort): ReasoningEffort | undefined {
  // `output_config.effort` is the level where thinking gives none of its own.
  if (!thinking) return effort;
  const type = thinking.type;
  switch (type) {
    case "disabled":
      return "none";
    case "adaptive":
    case "between_tools":
      return effort ?? "medium";
    case "enabled": {
      const budget = thinking.budget_tokens;
      if (budget === undefined) return fail("thinking.budget_tokens", "required when thinking.type is 'enabled'.");
      return budget < 4096 ? "low" : budget < 16384 ? "medium" : "high";
    }
    default: {
      const unknownType: never = type;
      return fail("thinking.type", `unknown ${String(unknownType)}.`);
    }
  }
}

const IMAGE_TYPES: ReadonlySet<string> = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);
