import { assertOpenAIName } from "../../openai-names.ts";
import { InvalidRequestError } from "../../errors.ts";
import { dataUrlType, fileFromData, fileNameFor } from "../../file-parts.ts";
import type { ChatRequest, ContentPart, Message, ResponseFormat, Tool, ToolChoice } from "../../schemas/chat.ts";
import type { ResponsesContentPart, ResponsesInputItem, ResponsesRequest, ResponsesTool, ResponsesToolChoice } from "./request-schema.ts";
import type { InputItemResource } from "./response-schema.ts";
import { customArguments, customToolFunction } from "./custom-tools.ts";
import { flatName, flattenNamespaces } from "./namespace-tools.ts";
import { ResentItems } from "./resent-items.ts";
import { wantsLogprobs } from "./logprobs.ts";
import { COMPACTION_PROMPT, keptUsers, openSummary, summaryMessage } from "./compaction.ts";
import { unsealReasoning } from "./sealed-text.ts";
import { showThoughts } from "../../thinking-budget.ts";
import { withRenamedParam } from "../rename-param.ts";
import { echoTools } from "./response-frame.ts";

type Part = Record<string, unknown>;

/**
 * An item as the converter reads it: as the client sent it (it passed `assertInputRules`), or
 * normalized (a stored conversation's items, a referenced item): the normalized form is one of the
 * forms a client may send.
 */
type ConversationItem = ResponsesInputItem | InputItemResource;

/**
 * Where a chat message came from, recorded only while an error is being explained: the place of
 * its item in the conversation (-1: `instructions`), the item's type, and for an assistant turn the
 * place of each `function_call` item that became one of its `tool_calls`.
 */
export interface MessageSource {
  item: number;
  type: "instructions" | "message" | "function_call" | "function_call_output" | "custom_tool_call" | "custom_tool_call_output" | "compaction" | "compaction_trigger";
  calls?: { item: number; type: "function_call" | "custom_tool_call" }[];
  /** For the user message of a function output's images: content index → the part's index in the output. */
  parts?: number[];
}

/**
 * A Responses request as the pipeline's chat request. The model reads `before` (a previous
 * response's input and output, as items), then `input` (this request's input as sent, or its items);
 * `instructions` become the first system message. Pure: the request is never changed.
 */
export function toChatRequest(
  request: ResponsesRequest,
  before: readonly InputItemResource[],
  input: string | readonly ConversationItem[] | undefined,
  sources?: MessageSource[],
): ChatRequest {
  const messages: Message[] = [];
  if (request.instructions) {
    messages.push({ role: "system", content: request.instructions });
    sources?.push({ item: -1, type: "instructions" });
  }
  // One walk over the conversation: the stored items, then this request's own input.
  const walk: Walk = { reasoning: undefined, open: undefined, resent: undefined, images: undefined, pending: undefined };
  toChatMessages(before, messages, sources, 0, walk);
  if (typeof input === "string") {
    flushImages(walk, messages, sources);
    messages.push({ role: "user", content: input });
    sources?.push({ item: before.length, type: "message" });
  } else if (input !== undefined) toChatMessages(input, messages, sources, before.length, walk);
  assertNoCallWaits(walk);
  flushImages(walk, messages, sources);
  if (messages.length === 0) {
    throw new InvalidRequestError("Missing required parameter: 'input'.", { param: "input" });
  }
  if (request.reasoning?.context === "current_turn") dropEarlierReasoning(messages);
  const chat: ChatRequest = { model: request.model, messages };
  const extra = additionalTools(before, input);
  const sent = extra === undefined ? request.tools : withoutRepeats(request.tools ?? [], extra);
  const tools = extra === undefined ? toChatTools(sent) : withItemPaths(() => toChatTools(sent), request.tools?.length ?? 0, extra);
  let toolChoice = request.tool_choice;
  let allowed: Tool[] | undefined = tools;
  if (toolChoice !== undefined && typeof toolChoice === "object" && toolChoice.type === "allowed_tools") {
    allowed = restrictTools(tools, toolChoice, sent);
    // No tool allowed (mode auto): none is offered, and so no choice is sent (as with no tools).
    toolChoice = allowed.length === 0 ? undefined : toolChoice.mode!;
  }
  if (allowed && allowed.length > 0) {
    chat.tools = allowed;
    // OpenAI's Chat Completions refuses parallel_tool_calls without tools; an extra field plugins may use.
    if (typeof request.parallel_tool_calls === "boolean") (chat as Record<string, unknown>).parallel_tool_calls = request.parallel_tool_calls;
  }
  if (toolChoice !== undefined) chat.tool_choice = toChatToolChoice(toolChoice, sent);
  const format = toChatResponseFormat(request.text?.format);
  if (format) chat.response_format = format;
  const effort = request.reasoning?.effort;
  if (typeof effort === "string") chat.reasoning_effort = effort;
  // A summary asked for without an effort: the model still thinks as it decides, and shows it.
  else if (typeof request.reasoning?.summary === "string") showThoughts(chat);
  if (typeof request.max_output_tokens === "number") chat.max_completion_tokens = request.max_output_tokens;
  if (typeof request.temperature === "number") chat.temperature = request.temperature;
  if (typeof request.top_p === "number") chat.top_p = request.top_p;
  if (request.user !== undefined) chat.user = request.user;
  // Chat Completions has these too: OpenAI-compatible upstreams get them as sent, other plugins ignore them.
  if (request.prompt_cache_key != null) (chat as Record<string, unknown>).prompt_cache_key = request.prompt_cache_key;
  if (request.prompt_cache_retention != null) (chat as Record<string, unknown>).prompt_cache_retention = request.prompt_cache_retention;
  if (request.prompt_cache_options != null) (chat as Record<string, unknown>).prompt_cache_options = request.prompt_cache_options;
  if (request.safety_identifier != null) (chat as Record<string, unknown>).safety_identifier = request.safety_identifier;
  if (request.service_tier != null) (chat as Record<string, unknown>).service_tier = request.service_tier;
  if (request.text?.verbosity != null) (chat as Record<string, unknown>).verbosity = request.text.verbosity;
  if (wantsLogprobs(request.include)) {
    chat.logprobs = true;
    if (request.top_logprobs != null) chat.top_logprobs = request.top_logprobs;
  }
  if (request.stream === true) {
    chat.stream = true;
    // The final `response.completed` carries usage: ask every provider for it.
    chat.stream_options = { include_usage: true };
  }
  return chat;
}

/**
 * The tools `additional_tools` items provide (OpenAI's AdditionalToolsItemParam: developer-provided
 * tools, available from the item on), in the conversation's order, each item with the path an error
 * names; undefined when there are none (most requests: one loop, nothing allocated). Chat has one
 * tool list: they join the request's `tools` for the whole request.
 */
export function additionalTools(before: readonly ConversationItem[], input: string | readonly ConversationItem[] | undefined): { tools: ResponsesTool[]; at: string }[] | undefined {
  let found: { tools: ResponsesTool[]; at: string }[] | undefined;
  for (const item of before) {
    if (item.type === "additional_tools") (found ??= []).push({ tools: item.tools as ResponsesTool[], at: "previous_response_id" });
  }
  if (typeof input === "object") {
    for (let i = 0; i < input.length; i++) {
      const item = input[i]!;
      if (item.type === "additional_tools") (found ??= []).push({ tools: item.tools as ResponsesTool[], at: `input[${i}]` });
    }
  }
  return found;
}

/**
 * The request's tools, then the items' (in place: `extra` keeps only what is added), a tool given
 * again as it was (an item sent again with a continuation, a tool both in `tools` and an item) once.
 * Another tool of a name already given is kept, for the 400 that names it.
 */
function withoutRepeats(own: readonly ResponsesTool[], extra: { tools: ResponsesTool[]; at: string; places?: number[] }[]): ResponsesTool[] {
  // Compared in the form a listing shows them (defaults filled in): an item sent again as `input_items` listed it is the same tool.
  const same = (tool: ResponsesTool) => JSON.stringify(echoTools([tool]));
  const seen = new Map<string | undefined, string>(own.map((tool) => [tool.name, same(tool)]));
  const all = [...own];
  for (const item of extra) {
    const kept: ResponsesTool[] = [];
    const places: number[] = [];
    item.tools.forEach((tool, j) => {
      const text = same(tool);
      if (seen.get(tool.name) === text) return;
      seen.set(tool.name, text);
      kept.push(tool);
      places.push(j);
    });
    // Each kept tool's place in its item, for an error that names it (withItemPaths).
    item.tools = kept;
    item.places = places;
    all.push(...kept);
  }
  return all;
}

/** A refusal of one of the tools after the request's own (`tools[k]`) names the item that provided it (`input[i].tools[j]`). */
function withItemPaths<T>(convert: () => T, own: number, extra: readonly { tools: readonly ResponsesTool[]; at: string; places?: number[] }[]): T {
  try {
    return convert();
  } catch (error) {
    throw withRenamedParam(error, (param) => {
      const at = /^tools\[(\d+)\]/.exec(param);
      if (at === null) return param;
      let k = Number(at[1]) - own;
      if (k < 0) return param;
      for (const item of extra) {
        if (k < item.tools.length) return `${item.at}.tools[${item.places?.[k] ?? k}]${param.slice(at[0].length)}`;
        k -= item.tools.length;
      }
      return param;
    });
  }
}

/** A walk over a conversation's items, carried from its stored part into the request's own input. */
interface Walk {
  /** Reasoning waiting for the next assistant turn. */
  reasoning: string | undefined;
  /** The assistant message that function calls still join (none once a tool or user turn follows). */
  open: Message | undefined;
  /** What was sent again (made at the first item with an id, call or output). */
  resent: ResentItems | undefined;
  /** The images of each function output just read, with its place: user messages once the outputs end. */
  images: { parts: ContentPart[]; at: number[]; callId: string; item: number }[] | undefined;
  /** Calls read whose output has not come yet: call id → the call's item type and its assistant turn (made at the first call). */
  pending: Map<string, { type: string; turn: Message }> | undefined;
}

/**
 * OpenAI answers a conversation whose calls and outputs do not pair up with a 400 naming `input`:
 * an output needs a call before it, and a call its output by the end of the input (a continuation
 * of a response that stopped for tool results must give them). Providers refuse such a conversation
 * too, or answer from a broken one. An output may come after other items (the AI SDK resends the
 * user's message before the output when it continues a conversation): read where it comes.
 */
function assertNoCallWaits(walk: Walk): void {
  const pending = walk.pending;
  if (pending === undefined || pending.size === 0) return;
  const [callId, { type }] = pending.entries().next().value!;
  const noun = type === "custom_tool_call" ? "custom tool call" : "function call";
  throw new InvalidRequestError(`No tool output found for ${noun} ${callId}.`, { param: "input" });
}

/** The assistant turn of the call an output answers, which no longer waits; a 400 for an output with no call. */
function takeOutput(walk: Walk, callId: string, type: string): Message {
  const call = walk.pending?.get(callId);
  if (call !== undefined) {
    walk.pending!.delete(callId);
    return call.turn;
  }
  const noun = type === "custom_tool_call_output" ? "custom tool call output" : "function call output";
  throw new InvalidRequestError(`No tool call found for ${noun} with call_id ${callId}.`, { param: "input" });
}

/**
 * Chat tool messages carry text only (OpenAI's Chat Completions, and so every plugin), where a
 * Responses function output may hold images and files (a screenshot tool, the Agents SDK's image and
 * file outputs). The tool message keeps the output's text; its images and files follow the run of
 * tool messages (a provider wants every output of a turn right after its calls) as a user message
 * of their own, labelled with the call's id, so the model sees them. An output of those alone says
 * which message holds them.
 */
const attachedNoun = (parts: readonly ContentPart[]) => (parts.every((part) => part.type === "image_url") ? "images" : "files");
const imagesLabel = (callId: string, noun: string) => `[${noun} returned by tool call ${callId}]`;
const imagesOnly = (callId: string, noun: string) => `[the output is the ${noun} in the user message labelled "${noun} returned by tool call ${callId}"]`;

function flushImages(walk: Walk, messages: Message[], sources: MessageSource[] | undefined): void {
  const pending = walk.images;
  if (pending === undefined) return;
  walk.images = undefined;
  for (const images of pending) {
    messages.push({ role: "user", content: [{ type: "text", text: imagesLabel(images.callId, attachedNoun(images.parts)) }, ...images.parts] });
    // content[0] is the label; content[n] is the output's part at[n - 1].
    sources?.push({ item: images.item, type: "function_call_output", parts: [-1, ...images.at] });
  }
}

/**
 * A function output's parts: its text for the tool message, its images and files kept for a user
 * message after the outputs. Several text parts are one text, a line apart: their boundary stays
 * (run together, "3 pass" and "0 fail" read "3 pass0 fail"), a JSON text split across parts stays
 * JSON, and the tool message's content stays a string, which some OpenAI-compatible servers require.
 */
function outputOf(parts: readonly Part[], walk: Walk, callId: string, item: number): string {
  const texts: string[] = [];
  let images: ContentPart[] | undefined;
  const at: number[] = [];
  for (let j = 0; j < parts.length; j++) {
    const part = parts[j]!;
    if (part.type === "input_image" || part.type === "input_file") {
      (images ??= []).push(part.type === "input_image" ? imagePart(part) : filePart(part));
      at.push(j);
    } else if (typeof part.text === "string") texts.push(part.text);
  }
  if (images !== undefined) {
    (walk.images ??= []).push({ parts: images, at, callId, item });
    if (texts.length === 0) return imagesOnly(callId, attachedNoun(images));
  }
  return texts.join("\n");
}

/**
 * Items → chat messages: assistant text, its reasoning and its function calls become one assistant
 * message (reasoning items attach to the next assistant turn as `reasoning_content`, the field the
 * plugins read), function outputs become tool messages. What a client sends again of a stored
 * turn is read once (resent-items.ts). With `sources` (an error being explained), each message
 * pushed records the item it came from (its place: `offset` + its index), and an assistant turn
 * each function call it took in.
 */
function toChatMessages(items: readonly ConversationItem[], messages: Message[], sources: MessageSource[] | undefined, offset: number, walk: Walk): void {
  for (let k = 0; k < items.length; k++) {
    const item = items[k]!;
    const type = item.type ?? "message";
    const isCall = type === "function_call" || type === "custom_tool_call";
    const isOutput = type === "function_call_output" || type === "custom_tool_call_output";
    // The outputs' images go after the last of them, before whatever comes next.
    if (!isOutput) flushImages(walk, messages, sources);
    const pushed = messages.length;
    if ((typeof item.id === "string" || isCall || isOutput) && (walk.resent ??= new ResentItems()).isSentAgain(item)) {
      if (isCall) walk.reasoning = undefined; // sent again with its call: the turn already there has it
      continue;
    }
    switch (type) {
      case "message": {
        const role = item.role as Message["role"];
        const content = item.content as string | Part[];
        if (role === "assistant") {
          const open: Message = { role, content: typeof content === "string" ? content : assistantText(content) };
          if (walk.reasoning !== undefined) (open as Record<string, unknown>).reasoning_content = walk.reasoning;
          walk.reasoning = undefined;
          walk.open = open;
          messages.push(open);
        } else {
          walk.open = undefined;
          messages.push({ role, content: typeof content === "string" ? content : toChatContent(content) });
        }
        break;
      }
      case "function_call":
      case "custom_tool_call": {
        // A custom tool reached the provider as a function of one string, `input` (custom-tools.ts);
        // a namespace's tool as `<namespace>__<name>` (namespace-tools.ts).
        const args = type === "custom_tool_call" ? customArguments(item.input as string) : (item.arguments as string);
        const namespace = (item as { namespace?: unknown }).namespace;
        const name = typeof namespace === "string" && namespace !== "" ? flatName(namespace, item.name as string) : (item.name as string);
        const call = { id: item.call_id as string, type: "function" as const, function: { name, arguments: args } };
        let open = walk.open;
        if (!open) {
          open = walk.open = { role: "assistant", content: null, tool_calls: [] };
          messages.push(open);
        }
        if (walk.reasoning !== undefined) {
          // Thinking between two calls of one turn (interleaved thinking) joins the turn's, in order.
          const earlier = (open as { reasoning_content?: unknown }).reasoning_content;
          (open as Record<string, unknown>).reasoning_content = typeof earlier === "string" && earlier !== "" ? `${earlier}\n\n${walk.reasoning}` : walk.reasoning;
          walk.reasoning = undefined;
        }
        (open.tool_calls ??= []).push(call);
        (walk.pending ??= new Map()).set(call.id, { type, turn: open });
        break;
      }
      case "function_call_output":
      case "custom_tool_call_output": {
        const id = item.call_id as string;
        const turn = takeOutput(walk, id, type);
        walk.open = undefined;
        const output = item.output as string | Part[];
        const tool: Message = { role: "tool", tool_call_id: id, content: typeof output === "string" ? output : outputOf(output, walk, id, offset + k) };
        // Right after its call's turn, among the turn's outputs in the order of its calls: providers
        // that pair outputs with calls by position (Gemini, Ollama) need that order, and a client
        // may send them in any (OpenAI pairs them by call_id). Usually that is the end; not when
        // something came between (the AI SDK continuing a conversation resends the user's message
        // before the output; a later turn's call).
        const calls = turn.tool_calls!;
        const place = (message: Message | undefined) => (message?.role === "tool" ? calls.findIndex((call) => call.id === message.tool_call_id) : -1);
        const mine = place(tool);
        let at = messages.length;
        if (messages[at - 1] !== turn && !(place(messages[at - 1]) >= 0 && place(messages[at - 1]) < mine)) {
          at = messages.lastIndexOf(turn) + 1;
          while (messages[at]?.role === "tool" && place(messages[at]) >= 0 && place(messages[at]) < mine) at++;
        }
        if (at === messages.length) messages.push(tool);
        else {
          messages.splice(at, 0, tool);
          sources?.splice(at, 0, { item: offset + k, type: type as MessageSource["type"] });
          continue;
        }
        break;
      }
      case "reasoning": {
        // Only thinking text can be handed back; OpenAI's encrypted_content means nothing to other providers.
        // The summary when there is one, else the full reasoning text (`reasoning_text` content, what open models give).
        const summary = (item.summary as { text: string }[] | undefined) ?? [];
        const parts = summary.length > 0 ? summary : ((item.content as { text: string }[] | undefined) ?? []);
        if (parts.length > 0) walk.reasoning = parts.map((s) => s.text).join("\n\n");
        else if (typeof item.encrypted_content === "string") {
          // A reasoning item this gateway sealed (`include: reasoning.encrypted_content`), sent back without its summary.
          const sealed = unsealReasoning(item.encrypted_content);
          if (sealed) walk.reasoning = sealed;
        }
        break;
      }
      case "compaction": {
        // A summary of the turns it replaced (compaction.ts), which the input rules have read: a user message, as it was the user's to keep.
        walk.open = undefined;
        const content = item.encrypted_content as string;
        // The user messages it kept, unless they are the messages just before it (the compact endpoint's
        // output, which Codex keeps): a client that keeps only what follows a compaction (the Agents SDK) sends them so.
        const users = keptUsers(content);
        if (users.length > 0 && !endsWith(messages, users)) {
          for (const user of users) {
            messages.push({ role: "user", content: typeof user === "string" ? user : toChatContent(user as Part[]) });
            sources?.push({ item: offset + k, type: "compaction" });
          }
        }
        messages.push({ role: "user", content: summaryMessage(openSummary(content) ?? "") });
        break;
      }
      case "compaction_trigger":
        // The final item (the input rules): the model is asked for the summary the response's compaction item holds.
        walk.open = undefined;
        messages.push({ role: "user", content: COMPACTION_PROMPT });
        break;
      case "additional_tools":
        // No message: its tools join the request's (additionalTools).
        break;
      default:
        // assertInputRules admits only the types above (item references are resolved before).
        throw new InvalidRequestError(`Unsupported input item type '${item.type}'.`, { param: "input" });
    }
    if (sources) {
      if (messages.length > pushed) sources.push({ item: offset + k, type: type as MessageSource["type"] });
      // The call joined the open assistant turn, the last message pushed.
      if (isCall) (sources[sources.length - 1]!.calls ??= []).push({ item: offset + k, type: type as "function_call" | "custom_tool_call" });
    }
  }
  // Reasoning with no assistant turn after it has nothing to attach to: it is dropped.
}

/** `reasoning.context: "current_turn"`: the reasoning of the turns before the last user message is not read again. */
function dropEarlierReasoning(messages: Message[]): void {
  let last = messages.length - 1;
  while (last >= 0 && messages[last]!.role !== "user") last--;
  for (let i = 0; i < last; i++) delete (messages[i] as { reasoning_content?: unknown }).reasoning_content;
}

/** A message's text (its text parts), to compare what was sent with what a compaction kept. */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  let text = "";
  for (const part of content) if (typeof (part as Part | null)?.text === "string") text += (part as Part).text;
  return text;
}

/** Whether the last messages are these user messages' (by their text): a compaction's kept messages already sent. */
function endsWith(messages: readonly Message[], users: readonly unknown[]): boolean {
  const first = messages.length - users.length;
  if (first < 0) return false;
  for (let i = 0; i < users.length; i++) {
    const message = messages[first + i]!;
    if (message.role !== "user" || textOf(message.content) !== textOf(users[i])) return false;
  }
  return true;
}

/**
 * An assistant message's parts as its text: a refusal part is what the assistant said too (chat
 * messages carry no refusal most providers read), so the model sees its earlier turn whole; parts
 * a line apart, as a function output's are (run together, "Yes." and "No." read "Yes.No.").
 */
function assistantText(parts: readonly Part[]): string {
  let text = "";
  for (const part of parts) {
    const said = part.type === "refusal" ? (part.refusal as string) : typeof part.text === "string" ? part.text : "";
    if (said !== "") text = text === "" ? said : `${text}\n${said}`;
  }
  return text;
}

/**
 * One text part (or none) is sent as a plain string (what every plugin reads); images and files keep
 * the parts form, and so does a text that marks a prompt-cache breakpoint (`prompt_cache_breakpoint`,
 * which Chat Completions' text parts carry too: with `prompt_cache_options.mode: "explicit"` an
 * OpenAI upstream caches only up to such marks).
 */
function toChatContent(parts: readonly Part[]): string | ContentPart[] {
  if (parts.length === 0) return "";
  const only = parts[0]!;
  if (parts.length === 1 && only.type !== "input_image" && only.type !== "input_file" && only.prompt_cache_breakpoint == null) return only.text as string;
  return parts.map((part): ContentPart => (part.type === "input_image" ? imagePart(part) : part.type === "input_file" ? filePart(part) : textPart(part)));
}

function textPart(part: Part): ContentPart {
  const text: ContentPart = { type: "text", text: part.text as string };
  if (part.prompt_cache_breakpoint != null) (text as Record<string, unknown>).prompt_cache_breakpoint = part.prompt_cache_breakpoint;
  return text;
}

/**
 * An `input_file` as Chat Completions' `file` part (the same three fields, one level down). OpenAI's
 * Chat Completions wants `file_data` as a data URL with a `filename` beside it: bare base64 (which
 * the input rules have read) becomes one, and a file without a name is `document.<ext>`.
 */
function filePart(part: Part): ContentPart {
  const file: NonNullable<ContentPart["file"]> = {};
  if (part.file_id != null) file.file_id = part.file_id as string;
  if (part.filename != null) file.filename = part.filename as string;
  if (part.file_url != null && part.file_data == null) file.file_url = part.file_url as string; // fetched by the pipeline
  if (part.file_data != null) {
    let data = part.file_data as string;
    let type = dataUrlType(data);
    if (type === undefined) {
      const inline = fileFromData(data, file.filename, "file_data");
      type = inline.mimeType;
      data = `data:${type};base64,${inline.data}`;
    }
    file.file_data = data;
    file.filename ??= fileNameFor(type);
  }
  return { type: "file", file };
}

function imagePart(part: Part): ContentPart {
  // Chat Completions knows auto, low and high: `original` (no downscaling) is the nearest, high; null is auto.
  const sent = part.detail as ResponsesContentPart["detail"];
  const detail = sent === "original" ? "high" : sent;
  return { type: "image_url", image_url: { url: part.image_url as string, ...(detail == null || detail === "auto" ? {} : { detail }) } };
}

/** The request's tools as chat functions: function tools as they are, custom tools as a function of one string (custom-tools.ts). */
export function toChatTools(tools: readonly ResponsesTool[] | undefined): Tool[] | undefined {
  if (!tools) return undefined;
  const names = new Set<string>();
  // Namespaces' tools in their place (namespace-tools.ts): a loop over the tools when there are none.
  const placed = tools.some((tool) => tool.type === "namespace") ? flattenNamespaces(tools) : undefined;
  const list = placed ? placed.map((entry) => entry.tool) : tools;
  return list.map((tool, i) => {
    // The path a refusal names, made only for one.
    const at = () => (placed ? placed[i]!.at : `tools[${i}]`);
    if (tool.type !== "function" && tool.type !== "custom") {
      throw new InvalidRequestError(
        `Invalid '${at()}.type': the tool type '${tool.type}' is not supported by this gateway; only function, custom and namespace tools can run here.`,
        { param: `${at()}.type` },
      );
    }
    if (!tool.name) throw new InvalidRequestError(`Missing required parameter: '${at()}.name'.`, { param: `${at()}.name` });
    // A tool the model may not call itself (deferred to tool search, or for programmatic calls only) cannot be offered as a function.
    if (tool.defer_loading === true) {
      throw new InvalidRequestError(`Invalid '${at()}.defer_loading': deferred tools are found through tool search, which this gateway cannot run; send the tool without defer_loading.`, {
        param: `${at()}.defer_loading`,
      });
    }
    if (tool.allowed_callers != null && !tool.allowed_callers.includes("direct")) {
      throw new InvalidRequestError(`Invalid '${at()}.allowed_callers': programmatic tool calling cannot run through this gateway; include 'direct' so the model may call the tool.`, {
        param: `${at()}.allowed_callers`,
      });
    }
    // A namespace's tool was checked under its flat name (namespace-tools.ts).
    if (!placed || !placed[i]!.at.includes("].tools[")) assertOpenAIName(tool.name, `${at()}.name`);
    // Both kinds are functions to the provider, and a call names its tool only by name.
    if (names.has(tool.name)) throw new InvalidRequestError(`Invalid '${at()}.name': another tool is named '${tool.name}'.`, { param: `${at()}.name` });
    names.add(tool.name);
    if (tool.type === "custom") {
      // OpenAI's CustomGrammarFormatParam: a grammar needs its syntax and its definition.
      if (tool.format?.type === "grammar") {
        if (tool.format.syntax === undefined) throw new InvalidRequestError(`Missing required parameter: '${at()}.format.syntax'.`, { param: `${at()}.format.syntax` });
        if (tool.format.definition === undefined) {
          throw new InvalidRequestError(`Missing required parameter: '${at()}.format.definition'.`, { param: `${at()}.format.definition` });
        }
      }
      return customToolFunction(tool, tool.name);
    }
    const fn: Tool["function"] = { name: tool.name };
    if (tool.description != null) fn.description = tool.description;
    if (tool.parameters != null) fn.parameters = tool.parameters;
    if (tool.strict != null) fn.strict = tool.strict;
    return { type: "function", function: fn };
  });
}

/** The tools `allowed_tools` names, each of which must be one of `tools` (as a function choice must). */
function restrictTools(tools: Tool[] | undefined, choice: Exclude<ResponsesToolChoice, string>, sent: readonly ResponsesTool[] | undefined): Tool[] {
  // OpenAI's ToolChoiceAllowed requires both (the Response echoes the choice as sent).
  if (choice.mode === undefined) throw new InvalidRequestError("Missing required parameter: 'tool_choice.mode'.", { param: "tool_choice.mode" });
  if (choice.tools === undefined) throw new InvalidRequestError("Missing required parameter: 'tool_choice.tools'.", { param: "tool_choice.tools" });
  const allowed = choice.tools;
  for (let k = 0; k < allowed.length; k++) {
    const { name, type } = allowed[k]!;
    // Built-in tools (OpenAI's example lists image_generation and mcp) cannot run here, as in `tools`.
    if (type !== "function" && type !== "custom") {
      throw new InvalidRequestError(
        `Invalid 'tool_choice.tools[${k}].type': the tool type '${type}' is not supported by this gateway; only function and custom tools can run here.`,
        { param: `tool_choice.tools[${k}].type` },
      );
    }
    if (typeof name !== "string") throw new InvalidRequestError(`Missing required parameter: 'tool_choice.tools[${k}].name'.`, { param: `tool_choice.tools[${k}].name` });
    if (!tools?.some((tool) => tool.function.name === name)) {
      throw new InvalidRequestError(`Invalid value for 'tool_choice.tools[${k}].name': no function named '${name}' is in 'tools'.`, {
        param: `tool_choice.tools[${k}].name`,
      });
    }
    // A function and a custom tool are both functions to the provider; the kind named must be the tool's.
    const kind = (sent?.some((tool) => tool.type === "namespace") ? flattenNamespaces(sent).map((entry) => entry.tool) : sent)?.find((tool) => tool.name === name)?.type;
    if ((type === "function" || type === "custom") && kind !== type) {
      throw new InvalidRequestError(`Invalid value for 'tool_choice.tools[${k}].type': '${name}' is a ${kind} tool, not a ${type} one.`, {
        param: `tool_choice.tools[${k}].type`,
      });
    }
  }
  if (allowed.length === 0 && choice.mode === "required") {
    throw new InvalidRequestError("Invalid 'tool_choice.tools': mode 'required' needs at least one tool the model may call.", { param: "tool_choice.tools" });
  }
  const names = new Set(allowed.map((t) => t.name));
  return (tools ?? []).filter((t) => names.has(t.function.name));
}

function toChatToolChoice(choice: ResponsesToolChoice, tools: readonly ResponsesTool[] | undefined): ToolChoice {
  if (typeof choice === "string") return choice;
  // A custom tool is a function to the provider: forcing it is forcing that function.
  if (choice.type === "function" || choice.type === "custom") {
    if (!choice.name) throw new InvalidRequestError("Missing required parameter: 'tool_choice.name'.", { param: "tool_choice.name" });
    // A choice of the other kind than the tool it names (a name no tool has is the pipeline's 400, as for chat).
    const named = tools?.find((tool) => tool.name === choice.name);
    if (named !== undefined && named.type !== choice.type) {
      throw new InvalidRequestError(`Invalid value for 'tool_choice': '${choice.name}' is a ${named.type} tool, not a ${choice.type} one.`, { param: "tool_choice" });
    }
    return { type: "function", function: { name: choice.name } };
  }
  throw new InvalidRequestError(
    `Invalid 'tool_choice.type': '${choice.type}' is not supported by this gateway; use none, auto, required, a function, a custom tool or allowed_tools.`,
    { param: "tool_choice.type" },
  );
}

function toChatResponseFormat(format: NonNullable<ResponsesRequest["text"]>["format"]): ResponseFormat | undefined {
  if (!format || format.type === "text") return undefined;
  if (format.type === "json_object") return { type: "json_object" };
  if (!format.name) throw new InvalidRequestError("Missing required parameter: 'text.format.name'.", { param: "text.format.name" });
  assertOpenAIName(format.name, "text.format.name");
  if (!format.schema) throw new InvalidRequestError("Missing required parameter: 'text.format.schema'.", { param: "text.format.schema" });
  const jsonSchema: NonNullable<ResponseFormat["json_schema"]> = { name: format.name, schema: format.schema };
  if (format.description !== undefined) jsonSchema.description = format.description;
  if (format.strict != null) jsonSchema.strict = format.strict;
  return { type: "json_schema", json_schema: jsonSchema };
}
