import { InvalidRequestError } from "../../errors.ts";
import { isDataUrl } from "../../image-fetch.ts";
import type { ChatRequest as PipelineChat, ContentPart, Message as PipelineMessage, ResponseFormat, Tool as PipelineTool } from "../../schemas/chat.ts";
import type { ClientOptions } from "../../plugin.ts";
import type { ChatRequest, GenerateRequest, Message, Options } from "./schemas.ts";
import { orphanResultId, ToolCallLinker, toolCallId } from "./tool-call-ids.ts";

/**
 * The pipeline's request; the Modelfile options and `keep_alive` it has no field for, for a plugin
 * that speaks Ollama (`ctx.clientOptions`); and the fields nothing carries (for a debug log line).
 */
/** A stream asks the provider for its usage: Ollama's last line carries real counts (prompt_eval_count, eval_count), not an estimate. */
const USAGE = { include_usage: true } as const;

export interface Converted {
  chat: PipelineChat;
  clientOptions?: ClientOptions;
  ignored: string[];
}

/** An Ollama `/api/chat` body as the pipeline's chat request. Builds new objects; the body is not touched. */
export function fromOllamaChat(body: ChatRequest, stream: boolean): Converted {
  const ignored: string[] = [];
  const linker = new ToolCallLinker();
  const messages = toMessages(body.messages ?? [], linker);
  const chat: PipelineChat = stream ? { model: body.model, messages, stream, stream_options: USAGE } : { model: body.model, messages, stream };
  const clientOptions = applyCommon(chat, body);
  const tools = body.tools?.map(
    (tool): PipelineTool => ({ type: "function", function: { ...tool.function, parameters: tool.function.parameters ?? { type: "object", properties: {} } } }),
  );
  if (tools && tools.length > 0) chat.tools = tools;
  return { chat, clientOptions, ignored };
}

/** An Ollama `/api/generate` body: `system` and the prompt (with its images) as a two-message chat. */
export function fromOllamaGenerate(body: GenerateRequest, stream: boolean): Converted {
  const ignored: string[] = [];
  for (const field of ["raw", "template", "context"] as const) if (body[field] !== undefined) ignored.push(field);
  const messages: PipelineMessage[] = [];
  if (body.system) messages.push({ role: "system", content: body.system });
  messages.push({ role: "user", content: userContent(body.prompt ?? "", body.images ?? undefined) });
  const chat: PipelineChat = stream ? { model: body.model, messages, stream, stream_options: USAGE } : { model: body.model, messages, stream };
  return { chat, clientOptions: applyCommon(chat, body), ignored };
}

function applyCommon(chat: PipelineChat, body: ChatRequest | GenerateRequest): ClientOptions | undefined {
  const format = toResponseFormat(body.format);
  if (format) chat.response_format = format;
  const effort = toReasoningEffort(body.think);
  // An extra field of the pipeline's open request; every plugin maps it to its provider's reasoning.
  if (effort) (chat as { reasoning_effort?: string }).reasoning_effort = effort;
  const extra = body.options ? applyOptions(chat, body.options) : undefined;
  if (body.logprobs === true) {
    chat.logprobs = true;
    if (body.top_logprobs != null) chat.top_logprobs = body.top_logprobs;
  }
  if (extra === undefined && body.keep_alive === undefined) return undefined;
  const clientOptions: ClientOptions = { surface: "ollama" };
  if (extra) clientOptions.options = extra;
  if (body.keep_alive !== undefined) clientOptions.keepAlive = body.keep_alive;
  return clientOptions;
}

/** The options with a chat field set on the chat request; the others returned, for a plugin that speaks Ollama. */
function applyOptions(chat: PipelineChat, options: Options): Record<string, unknown> | undefined {
  if (options.temperature !== undefined) chat.temperature = options.temperature;
  if (options.top_p !== undefined) chat.top_p = options.top_p;
  // -1 (no limit) and -2 (fill the context) have no Chat Completions form: the provider's default.
  if (options.num_predict !== undefined && options.num_predict > 0) chat.max_tokens = options.num_predict;
  if (options.stop !== undefined && options.stop.length > 0) chat.stop = [...options.stop];
  if (options.seed !== undefined) chat.seed = options.seed;
  if (options.presence_penalty !== undefined) chat.presence_penalty = options.presence_penalty;
  if (options.frequency_penalty !== undefined) chat.frequency_penalty = options.frequency_penalty;
  // No OpenAI field: an extra, as the Messages surface sends Anthropic's (OpenAI-compatible servers
  // such as vLLM and llama.cpp honour it); it stays among the options for a plugin that speaks Ollama.
  if (options.top_k !== undefined) (chat as Record<string, unknown>).top_k = options.top_k;
  let extra: Record<string, unknown> | undefined;
  for (const key in options) if (!MAPPED_OPTIONS.has(key)) (extra ??= {})[key] = (options as Record<string, unknown>)[key];
  return extra;
}

const MAPPED_OPTIONS = new Set(["temperature", "top_p", "num_predict", "stop", "seed", "presence_penalty", "frequency_penalty"]);

/**
 * Ollama's messages as chat messages. Ollama takes `images` on any message; chat messages take them
 * on user messages only: a tool result's images follow the run of tool results (a provider wants
 * every result of a turn right after its calls) as a user message labelled with the tool, so the
 * model sees them (a screenshot tool's); on a system or assistant message they are a 400 naming
 * them, not dropped.
 */
function toMessages(list: readonly Message[], linker: ToolCallLinker): PipelineMessage[] {
  const messages: PipelineMessage[] = [];
  let images: PipelineMessage[] | undefined;
  for (let i = 0; i < list.length; i++) {
    const message = list[i]!;
    if (message.role !== "tool" && images !== undefined) {
      messages.push(...images);
      images = undefined;
    }
    const shown = message.images ?? [];
    if (shown.length > 0 && (message.role === "system" || message.role === "assistant")) {
      throw new InvalidRequestError(`Invalid 'messages[${i}].images': images on a ${message.role} message cannot reach chat models; send them on a user message.`, {
        param: `messages[${i}].images`,
      });
    }
    const converted = toMessage(message, i, linker);
    messages.push(converted);
    if (message.role === "tool" && shown.length > 0) {
      const label = `[images returned by tool ${message.tool_name || (converted as { tool_call_id?: string }).tool_call_id}]`;
      (images ??= []).push({ role: "user", content: [{ type: "text", text: label }, ...(userContent("", shown, i) as ContentPart[])] });
    }
  }
  if (images !== undefined) messages.push(...images);
  return messages;
}

function toMessage(message: Message, i: number, linker: ToolCallLinker): PipelineMessage {
  const content = message.content ?? "";
  switch (message.role) {
    case "system":
      return { role: "system", content };
    case "user":
      return { role: "user", content: userContent(content, message.images ?? undefined, i) };
    case "assistant": {
      const out: PipelineMessage = { role: "assistant", content };
      // What reasoning-aware clients send back; plugins hand it to providers that want it (Ollama's `thinking`).
      if (message.thinking) (out as { reasoning_content?: string }).reasoning_content = message.thinking;
      const calls = message.tool_calls ?? [];
      if (calls.length > 0) {
        out.tool_calls = calls.map((call, j) => ({
          id: call.id || toolCallId(i, j, call.function.name),
          type: "function" as const,
          function: { name: call.function.name, arguments: JSON.stringify(call.function.arguments ?? {}) },
        }));
        linker.called(out.tool_calls.map((call) => ({ id: call.id, name: call.function.name })));
        if (content === "") out.content = null;
      }
      return out;
    }
    case "tool": {
      const explicit = message.tool_call_id;
      // An id that names a call of the turn before; one that names none (a client's own, made when it
      // had none from Ollama) is linked as a result without one: by its tool's name.
      if (explicit && linker.nameOf(explicit) !== undefined) return { role: "tool", content, tool_call_id: explicit };
      const linked = linker.answer(message.tool_name);
      if (linked) return { role: "tool", content, tool_call_id: linked };
      // No call to answer: the name is all a provider can link it by.
      const orphan: PipelineMessage = { role: "tool", content, tool_call_id: orphanResultId(i, message.tool_name ?? "") };
      if (message.tool_name) orphan.name = message.tool_name;
      return orphan;
    }
    default: {
      const unknownRole: never = message.role;
      throw new InvalidRequestError(`Invalid 'messages[${i}].role': ${String(unknownRole)}.`, { param: `messages[${i}].role` });
    }
  }
}

/** Text, plus one `image_url` part per base64 image (as a `data:` URL) when there are images. */
function userContent(text: string, images: readonly string[] | undefined, i?: number): string | ContentPart[] {
  if (!images || images.length === 0) return text;
  const parts: ContentPart[] = [];
  if (text !== "") parts.push({ type: "text", text });
  images.forEach((image, j) => {
    // Ollama decodes `images` as base64 bytes: anything else is its 400, not a data URL an upstream refuses later.
    if (image === "" || (!isDataUrl(image) && !isBase64(image))) {
      const param = i === undefined ? `images[${j}]` : `messages[${i}].images[${j}]`;
      throw new InvalidRequestError(`Invalid '${param}': an image must be base64 data.`, { param });
    }
    parts.push({ type: "image_url", image_url: { url: toDataUrl(image) } });
  });
  return parts;
}

/**
 * Standard base64, as Go's JSON decoding of Ollama's image bytes takes it (line breaks ignored):
 * the breaks taken out first, so that the pattern has no two parts that can match the same text (a
 * review found `[…\r\n]+={0,2}[\r\n]*` backtracking in the square of a run of newlines).
 */
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const isBase64 = (text: string): boolean => BASE64.test(text.includes("\n") || text.includes("\r") ? text.replace(/[\r\n]+/g, "") : text);

/** Ollama takes bare base64 and finds the type itself; a `data:` URL needs it, read from the magic bytes. */
export function toDataUrl(base64: string): string {
  if (isDataUrl(base64)) return base64;
  return `data:${imageTypeOf(base64)};base64,${base64}`;
}

function imageTypeOf(base64: string): string {
  if (base64.startsWith("iVBORw0KGgo")) return "image/png";
  if (base64.startsWith("/9j/")) return "image/jpeg";
  if (base64.startsWith("R0lGOD")) return "image/gif";
  if (base64.startsWith("UklGR")) return "image/webp";
  if (base64.startsWith("Qk")) return "image/bmp";
  // Ollama's vision models take PNG and JPEG; an unknown header is most likely a JPEG variant.
  return "image/jpeg";
}

/** `"json"` → JSON mode; a schema → structured output; `""`/null → none. */
export function toResponseFormat(format: ChatRequest["format"]): ResponseFormat | undefined {
  if (format == null || format === "") return undefined;
  if (format === "json") return { type: "json_object" };
  if (typeof format === "string") {
    throw new InvalidRequestError(`Invalid 'format': expected "json" or a JSON schema, got ${JSON.stringify(format)}.`, { param: "format" });
  }
  return { type: "json_schema", json_schema: { name: "response", schema: format } };
}

/** `think` as OpenAI's `reasoning_effort`: false → none, true → medium (OpenAI's default), a level as is. */
export function toReasoningEffort(think: ChatRequest["think"]): string | undefined {
  if (think == null) return undefined;
  if (think === true) return "medium";
  if (think === false) return "none";
  return think;
}
