import type { Tool } from "../../schemas/chat.ts";
import type { ResponsesTool } from "./request-schema.ts";
import type { EchoedTool } from "./response-schema.ts";

/**
 * OpenAI's custom tools (`type: "custom"`): the model calls them with free-form text (`input`), not
 * JSON arguments, optionally constrained by a grammar (Lark or a regular expression). Chat providers
 * know function tools only, so a custom tool reaches them as a function with one string parameter,
 * `input`, whose description carries the tool's grammar (which no chat provider can enforce: the
 * model is told, not constrained). Its calls come back as `custom_tool_call` items with that string,
 * and a `custom_tool_call` sent back becomes the function call it was.
 */

const GRAMMAR_NAME = { lark: "Lark grammar", regex: "regular expression" } as const;

/** A custom tool as the chat function a provider is sent. */
export function customToolFunction(tool: ResponsesTool, name: string): Tool {
  const format = tool.format;
  const input: Record<string, unknown> = { type: "string" };
  if (format?.type === "grammar" && typeof format.definition === "string") {
    const syntax = GRAMMAR_NAME[format.syntax as keyof typeof GRAMMAR_NAME] ?? "grammar";
    input.description = `The tool's input, as raw text (not JSON) that must match this ${syntax}:\n${format.definition}`;
  } else {
    input.description = "The tool's input, as free-form text.";
  }
  const fn: Tool["function"] = {
    name,
    parameters: { type: "object", properties: { input }, required: ["input"], additionalProperties: false },
  };
  if (tool.description != null) fn.description = tool.description;
  return { type: "function", function: fn };
}

/** A custom tool as a Response echoes it (OpenAI's `CustomToolParam`: the format unconstrained text unless set). */
export function echoCustomTool(tool: ResponsesTool): EchoedTool {
  const echoed: EchoedTool = { type: "custom", name: tool.name ?? "", format: tool.format ?? { type: "text" } };
  if (tool.description != null) echoed.description = tool.description;
  return echoed;
}

/** The names of a Response's custom tools (undefined when it has none: most requests). */
export function customToolNames(tools: readonly EchoedTool[]): ReadonlySet<string> | undefined {
  let names: Set<string> | undefined;
  for (const tool of tools) if (tool.type === "custom") (names ??= new Set()).add(tool.name);
  return names;
}

/** A custom tool call's input as the function arguments the provider made of it. */
export const customArguments = (input: string): string => JSON.stringify({ input });

/**
 * The input of a custom tool's call from the provider's function arguments: the `input` string the
 * model was asked for; for arguments cut short (a `length` finish) after `{"input":"`, the text up
 * to the cut; else the arguments as they are (the model answered in another shape).
 */
export function customInput(args: string): string {
  try {
    const value: unknown = JSON.parse(args);
    if (value !== null && typeof value === "object" && typeof (value as { input?: unknown }).input === "string") return (value as { input: string }).input;
    return args;
  } catch {
    const stream = new CustomInputStream();
    const text = stream.push(args);
    return stream.isOpened ? text + stream.held : args;
  }
}

const OPENING = '{"input":"';

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/**
 * A custom call's input decoded while its arguments stream (`{"input":"…`), for the
 * `response.custom_tool_call_input.delta` events: each `push` gives the text the new fragment adds
 * (a character's first half of a surrogate pair waits for its second, so no delta holds half a
 * character). Arguments of another shape give nothing here; the caller sends what is missing once
 * the arguments are whole (`rest`), so the deltas always add up to the call's `input`.
 */
export class CustomInputStream {
  /** Before the string's opening quote: what came so far; then undefined. */
  #head: string | undefined = "";
  /** An escape sequence cut by a fragment's end. */
  #escape = "";
  #isOver = false;
  /** A high surrogate decoded last, held until its pair comes. */
  #held = "";
  /** The text the deltas gave so far. */
  #sent = "";

  /** Whether the arguments opened as `{"input":"` (whitespace aside). */
  get isOpened(): boolean {
    return this.#head === undefined;
  }

  /** What was decoded and not given yet (a high surrogate whose pair did not come). */
  get held(): string {
    return this.#held;
  }

  /** The text the deltas gave so far. */
  get sent(): string {
    return this.#sent;
  }

  push(fragment: string): string {
    if (this.#isOver) return "";
    let at = 0;
    if (this.#head !== undefined) {
      const head = this.#head + fragment;
      const match = /^\s*\{\s*"input"\s*:\s*"/.exec(head);
      if (!match) {
        // Still the opening (whitespace aside), or another shape: given up until the end.
        if (!OPENING.startsWith(head.replace(/\s+/g, ""))) this.#isOver = true;
        else this.#head = head;
        return "";
      }
      this.#head = undefined;
      fragment = head;
      at = match[0].length;
    }
    let out = this.#held;
    this.#held = "";
    while (at < fragment.length) {
      if (this.#escape !== "") {
        // `\x`, or `\uXXXX` once its `u` came; a fragment may end anywhere in it.
        const length = this.#escape[1] === "u" ? 6 : 2;
        const take = length - this.#escape.length;
        this.#escape += fragment.slice(at, at + take);
        at += take;
        if (this.#escape === "\\u") continue;
        if (this.#escape.length < length) break;
        try {
          out += JSON.parse(`"${this.#escape}"`) as string;
        } catch {
          this.#isOver = true; // not JSON: the end sends the rest
          break;
        }
        this.#escape = "";
        continue;
      }
      const quote = fragment.indexOf('"', at);
      const slash = fragment.indexOf("\\", at);
      const stop = quote < 0 ? slash : slash < 0 ? quote : Math.min(quote, slash);
      if (stop < 0) {
        out += fragment.slice(at);
        break;
      }
      out += fragment.slice(at, stop);
      if (stop === quote) {
        this.#isOver = true;
        break;
      }
      this.#escape = "\\";
      at = stop + 1;
    }
    if (out.length > 0 && isHighSurrogate(out.charCodeAt(out.length - 1))) {
      this.#held = out.slice(-1);
      out = out.slice(0, -1);
    }
    this.#sent += out;
    return out;
  }

  /** What the deltas have not given of the whole `input` (all of it when the arguments had another shape). */
  rest(input: string): string {
    return input.startsWith(this.#sent) ? input.slice(this.#sent.length) : "";
  }
}
