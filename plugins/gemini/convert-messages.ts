import { imagePartKey, inlineAudio, inlineFile, InvalidRequestError, type ContentPart, type Message, MAX_JSON_DEPTH, nestsTooDeep } from "../../src/kit.ts";
import type { GeminiContent, GeminiInlineData, GeminiPart, GeminiRole, JsonObject } from "./wire.ts";
import { geminiIdOf, thoughtSignatureOf } from "./tool-call-id.ts";
import { geminiToolName } from "./tool-names.ts";

/** Images already loaded by the caller, keyed by their part's path: `messages[2].content[1]`. */
export type LoadedImages = ReadonlyMap<string, GeminiInlineData>;

export interface GeminiConversation {
  contents: GeminiContent[];
  systemInstruction?: { parts: GeminiPart[] };
}

/** `messages[i].content[j]`: the key of a loaded image (the core's imagePartKey). */
export const imageKey = imagePartKey;

/**
 * OpenAI messages → Gemini `contents` and `systemInstruction`. System and developer messages (Gemini
 * has one system slot) go to `systemInstruction` in order; assistant is role `model`; tool results
 * are `functionResponse` parts named after the call they answer; consecutive messages of one role
 * are merged, since Gemini wants turns to alternate and all results of parallel calls in one turn.
 */
/**
 * What Google documents for a function call with no signature of Gemini's (a history from another
 * model, or one a client rebuilt): Gemini 3 takes it instead of answering 400 "Function call is
 * missing a thought_signature". The AI SDK's Google provider sends the same.
 */
export const SKIP_SIGNATURE = "skip_thought_signature_validator";

/** `signsCalls`: the model wants a thought signature on every function call sent back (Gemini 3). */
export function toGeminiConversation(messages: readonly Message[], images: LoadedImages, signsCalls = false): GeminiConversation {
  /** Each call's name and its place among its step's calls. */
  const calls = new Map<string, { name: string; at: number }>();
  const system: GeminiPart[] = [];
  const contents: GeminiContent[] = [];
  /**
   * The results of a run of tool messages, held until the run ends: they go in the order of the
   * calls they answer, not the client's (Gemini pairs results it has no id for with calls by place).
   */
  let results: { at: number; part: GeminiPart }[] = [];
  const flushResults = () => {
    if (results.length === 0) return;
    const run = results.sort((a, b) => a.at - b.at).map((result) => result.part); // a stable sort: unknown places keep theirs
    results = [];
    append("user", run);
  };
  const append = (role: GeminiRole, parts: GeminiPart[]) => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };

  messages.forEach((message, i) => {
    const role = message.role;
    if (role !== "tool") flushResults();
    switch (role) {
      case "system":
      case "developer":
        system.push(...textParts(message.content));
        break;
      case "user":
        append("user", userParts(message.content, i, images));
        break;
      case "assistant": {
        const parts = textParts(message.content).filter((part) => part.text !== "");
        (message.tool_calls ?? []).forEach((call, j) => {
          calls.set(call.id, { name: call.function.name, at: j });
          const id = geminiIdOf(call.id);
          const args = parseArguments(call.function.arguments, `messages[${i}].tool_calls[${j}].function.arguments`);
          const name = geminiToolName(call.function.name);
          const functionCall = id === undefined ? { name, args } : { name, args, id };
          // Gemini signs the first call of a step (parallel calls after it have none, and go back so);
          // Gemini 3 checks that first call's signature alone, which a history without one gets as SKIP_SIGNATURE.
          const signature = thoughtSignatureOf(call) ?? (signsCalls && j === 0 ? SKIP_SIGNATURE : undefined);
          parts.push(signature === undefined ? { functionCall } : { functionCall, thoughtSignature: signature });
        });
        append("model", parts);
        break;
      }
      case "tool": {
        const call = calls.get(message.tool_call_id ?? "");
        const named = call?.name ?? message.name;
        if (!named) {
          throw new InvalidRequestError(
            `Invalid 'messages[${i}].tool_call_id': no earlier assistant tool call has the id '${message.tool_call_id}'.`,
            { param: `messages[${i}].tool_call_id` },
          );
        }
        const id = geminiIdOf(message.tool_call_id);
        const name = geminiToolName(named);
        const response = toFunctionResponse(message.content);
        results.push({ at: call?.at ?? Number.MAX_SAFE_INTEGER, part: { functionResponse: id === undefined ? { name, response } : { name, response, id } } });
        break;
      }
      default: {
        const unknownRole: never = role;
        throw new InvalidRequestError(`Invalid 'messages[${i}].role': ${String(unknownRole)}.`, { param: `messages[${i}].role` });
      }
    }
  });
  flushResults();

  if (contents.length === 0) {
    throw new InvalidRequestError("Gemini needs at least one user or assistant message besides system messages.", { param: "messages" });
  }
  return system.length > 0 ? { contents, systemInstruction: { parts: system } } : { contents };
}

function textParts(content: Message["content"]): GeminiPart[] {
  if (content == null) return [];
  if (typeof content === "string") return [{ text: content }];
  return content.filter((part) => part.type === "text").map((part) => ({ text: part.text ?? "" }));
}

function userParts(content: Message["content"], i: number, images: LoadedImages): GeminiPart[] {
  if (content == null) return [];
  if (typeof content === "string") return [{ text: content }];
  return content.map((part: ContentPart, j): GeminiPart => {
    const type = part.type;
    switch (type) {
      case "text":
        return { text: part.text ?? "" };
      case "image_url": {
        const inlineData = images.get(imageKey(i, j));
        if (!inlineData) throw new Error(`image ${imageKey(i, j)} was not loaded before conversion`);
        return { inlineData };
      }
      case "file":
        // PDFs, text, audio, video: Gemini reads them inline, and refuses a type it does not take.
        return { inlineData: inlineFile(part, `messages[${i}].content[${j}]`) };
      case "input_audio":
        return { inlineData: inlineAudio(part, `messages[${i}].content[${j}]`) };
      case "refusal":
        return { text: part.refusal ?? "" };
      default: {
        const unknownType: never = type;
        throw new InvalidRequestError(`Invalid 'messages[${i}].content[${j}].type': ${String(unknownType)}.`, {
          param: `messages[${i}].content[${j}].type`,
        });
      }
    }
  });
}

/** Gemini's `functionCall.args` is a JSON object (a protobuf Struct); OpenAI sends it as a string. */
function parseArguments(text: string, param: string): JsonObject {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidRequestError(`Invalid '${param}': not valid JSON.`, { param });
  }
  if (!isPlainObject(value)) throw new InvalidRequestError(`Invalid '${param}': Gemini takes function arguments as a JSON object.`, { param });
  if (nestsTooDeep(value)) throw new InvalidRequestError(`Invalid '${param}': its JSON nests more than ${MAX_JSON_DEPTH} levels deep.`, { param });
  return value;
}

/**
 * Gemini's `functionResponse.response` is a JSON object too: a tool result that is one is sent as
 * it is; anything else is wrapped as `{ "output": <text> }`, the key Gemini's docs name for output.
 */
function toFunctionResponse(content: Message["content"]): JsonObject {
  const text = content == null ? "" : typeof content === "string" ? content : content.map((part) => part.text ?? "").join("");
  try {
    const value: unknown = JSON.parse(text);
    // Nested deeper than a body may be, it goes as the text it is (as an object it could not be sent).
    if (isPlainObject(value) && !nestsTooDeep(value)) return value;
  } catch {
    // Not JSON: plain text output.
  }
  return { output: text };
}

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
