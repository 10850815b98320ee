import { imagePartKey, inlineFile, InvalidRequestError, textOfFile, type InlineImage, type Message, MAX_JSON_DEPTH, nestsTooDeep } from "../../src/kit.ts";
import type { OllamaMessage } from "./wire.ts";

/** Images already loaded (the kit's loadMessageImages), by part path (`messages[2].content[1]`). */
export type LoadedImages = ReadonlyMap<string, InlineImage>;

/** `messages[i].content[j]`: the key of a loaded image (the core's imagePartKey). */
export const partPath = imagePartKey;

/**
 * OpenAI messages as Ollama's `/api/chat` messages. Ollama has no `developer` role (→ `system`), takes
 * images as a list beside the text, tool-call arguments as objects, and names the tool a result
 * belongs to (`tool_name`) instead of linking it by id.
 */
export function toOllamaMessages(messages: readonly Message[], images: LoadedImages): OllamaMessage[] {
  // tool_call_id → function name, from the assistant turns seen so far.
  const toolNames = new Map<string, string>();
  return messages.map((message, i): OllamaMessage => {
    switch (message.role) {
      case "system":
      case "developer":
        return { role: "system", content: textOf(message.content) };
      case "user": {
        const out: OllamaMessage = { role: "user", content: userTextOf(message.content, i) };
        const attached = imagesOf(message.content, i, images);
        if (attached.length > 0) out.images = attached;
        return out;
      }
      case "assistant": {
        const out: OllamaMessage = { role: "assistant", content: textOf(message.content) };
        // Not OpenAI's field, but what reasoning-aware clients send back (and what we answer with);
        // Ollama wants the previous thinking back as `thinking`.
        const reasoning = (message as { reasoning_content?: unknown }).reasoning_content;
        if (typeof reasoning === "string" && reasoning !== "") out.thinking = reasoning;
        const calls = message.tool_calls ?? [];
        if (calls.length > 0) {
          out.tool_calls = calls.map((call, j) => {
            toolNames.set(call.id, call.function.name);
            const param = `messages[${i}].tool_calls[${j}].function.arguments`;
            return { function: { name: call.function.name, arguments: parseArguments(call.function.arguments, param) } };
          });
        }
        return out;
      }
      case "tool": {
        const out: OllamaMessage = { role: "tool", content: textOf(message.content) };
        const name = toolNames.get(message.tool_call_id ?? "") ?? message.name;
        if (name) out.tool_name = name;
        return out;
      }
      default: {
        const unknownRole: never = message.role;
        throw new InvalidRequestError(`Invalid 'messages[${i}].role': ${String(unknownRole)}.`, { param: `messages[${i}].role` });
      }
    }
  });
}

/** String content as is; text parts joined by newlines (image parts travel in `images`). */
function textOf(content: Message["content"]): string {
  if (content == null) return "";
  if (typeof content === "string") return content;
  return content.flatMap((part) => (part.type === "text" ? [part.text ?? ""] : [])).join("\n");
}

/**
 * A user message's text: its text parts, and its text files (`text/*`, JSON, XML) as text, each after
 * its file name. Ollama takes no other files: a PDF or any other file is a 400 naming its part.
 */
function userTextOf(content: Message["content"], i: number): string {
  if (!Array.isArray(content)) return textOf(content);
  const texts: string[] = [];
  content.forEach((part, j) => {
    if (part.type === "text") texts.push(part.text ?? "");
    const param = `messages[${i}].content[${j}]`;
    if (part.type === "input_audio") {
      throw new InvalidRequestError(`Invalid '${param}.type': Ollama takes no audio; send its transcript as text.`, { param: `${param}.type` });
    }
    if (part.type !== "file") return;
    const file = inlineFile(part, param);
    const text = textOfFile(file);
    if (text === undefined) {
      throw new InvalidRequestError(
        `Invalid '${param}.file.file_data': Ollama reads no ${file.mimeType} files; send text files, or images as image_url parts.`,
        { param: `${param}.file.file_data` },
      );
    }
    texts.push(part.file?.filename ? `${part.file.filename}:\n${text}` : text);
  });
  return texts.join("\n");
}

function imagesOf(content: Message["content"], i: number, images: LoadedImages): string[] {
  if (!Array.isArray(content)) return [];
  const out: string[] = [];
  content.forEach((part, j) => {
    if (part.type !== "image_url") return;
    const image = images.get(partPath(i, j));
    // The core's loadMessageImages loads every image part first; a gap here is a bug, not the client's fault.
    if (image === undefined) throw new Error(`image ${partPath(i, j)} was not loaded`);
    // Ollama takes bare base64: a `data:` prefix must never reach it.
    out.push(image.data);
  });
  return out;
}

/**
 * OpenAI sends tool-call arguments as a JSON string; Ollama's Go server decodes them into a map, so
 * they must be a JSON object. An empty string (a call without arguments) is `{}`.
 */
function parseArguments(text: string, param: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidRequestError(`Invalid '${param}': not valid JSON. Tool-call arguments are a JSON object encoded as a string.`, { param });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const got = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
    throw new InvalidRequestError(`Invalid '${param}': tool-call arguments must be a JSON object, got ${got}.`, { param });
  }
  if (nestsTooDeep(value)) throw new InvalidRequestError(`Invalid '${param}': its JSON nests more than ${MAX_JSON_DEPTH} levels deep.`, { param });
  return value as Record<string, unknown>;
}
