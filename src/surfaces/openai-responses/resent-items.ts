import { responseIdOfItem } from "./item-ids.ts";

/** What of an item this bookkeeping reads. */
interface Item {
  type?: string | null;
  id?: string | null;
  call_id?: string;
  name?: string;
  arguments?: string;
  /** A custom tool call's input (its arguments, as this bookkeeping reads them). */
  input?: string;
  output?: unknown;
}

const isCall = (item: Item) => item.type === "function_call" || item.type === "custom_tool_call";
const isOutput = (item: Item) => item.type === "function_call_output" || item.type === "custom_tool_call_output";
const argsOf = (item: Item) => (item.type === "custom_tool_call" ? item.input : item.arguments);

/** A function call met in the walk, and its output's text once it came. */
interface CallRecord {
  name: string | undefined;
  args: string | undefined;
  /** The gateway's output item id, when the call is one of its items. */
  itemId: string | undefined;
  output: string | undefined;
}

/**
 * An output as compared when sent again: the text, or its parts as they are read (a stored output's
 * parts are in the form `input_items` lists, `input_text` with an image's `detail` filled in; the
 * client's as it sent them).
 */
function outputText(item: Item): string {
  const output = item.output;
  if (typeof output === "string") return output;
  if (!Array.isArray(output)) return JSON.stringify(output) ?? "";
  return JSON.stringify(
    output.map((part: { type?: string; text?: unknown; image_url?: unknown; detail?: unknown; file_id?: unknown; file_data?: unknown; file_url?: unknown; filename?: unknown }) =>
      part.type === "input_image"
        ? ["image", part.image_url, part.detail ?? "auto"]
        : part.type === "input_file"
          ? ["file", part.file_id ?? null, part.file_data ?? null, part.file_url ?? null, part.filename ?? null]
          : part.text,
    ),
  );
}

/** Arguments as JSON without its spacing: the AI SDK sends a call's arguments again re-serialised. */
function canonical(args: string | undefined): string | undefined {
  if (args === undefined) return undefined;
  try {
    return JSON.stringify(JSON.parse(args));
  } catch {
    return args;
  }
}

/** The same call: a function's arguments compared as JSON, a custom tool's input as the text it is. */
const sameCall = (record: CallRecord, item: Item): boolean =>
  record.name === item.name && (item.type === "custom_tool_call" ? record.args === item.input : canonical(record.args) === canonical(item.arguments));

/**
 * Which items of a conversation a client sent again, walked in order (the stored part, then the
 * request's own input): clients continuing with `previous_response_id` send parts of the stored turn
 * again. The AI SDK sends its calls again in full and refers to the turn's text by id; loops built on
 * openai-node send `[...response.output, ...outputs]`. Read twice, a turn would put a second
 * assistant message between a call and its output, which chat providers refuse.
 *
 * - One of the gateway's own output items seen before (its id carries its response's id, so it is
 *   unique) is the same item. Ids clients make tell nothing: the Agents SDKs give every item of a
 *   chat completion the completion's id, or `__fake_id__`, and Ollama's `chatcmpl-` ids repeat.
 * - A call whose `call_id` has a call still waiting for its output is sent again: that call, or (same
 *   name and arguments) an earlier answered call with the id, whose output text is then expected
 *   again next (providers that number calls per turn reuse `call_0` every turn).
 * - An output for an answered call is the same output, and so is one with the text expected again.
 * - A call id used again after its call was answered is a new call.
 */
export class ResentItems {
  /** The gateway's output item ids seen. */
  readonly #ids = new Set<string>();
  /** Call id → its calls in order, the last one the current. */
  readonly #calls = new Map<string, CallRecord[]>();
  /** Call id → the output text of an answered call sent again, which its next output may repeat. */
  readonly #replays = new Map<string, string>();

  /** Whether `item` is sent again; reading it records it otherwise (call it once per item, in order). */
  isSentAgain(item: Item): boolean {
    const id = item.id;
    const own = typeof id === "string" && responseIdOfItem(id) !== undefined;
    if (own && this.#ids.has(id)) {
      if (isCall(item)) this.#replay(item.call_id!, this.#calls.get(item.call_id!)?.find((call) => call.itemId === id));
      return true;
    }
    if (own) this.#ids.add(id);
    if (isCall(item)) return this.#isCallSentAgain(item, own ? id : undefined);
    if (isOutput(item)) return this.#isOutputSentAgain(item);
    return false;
  }

  #isCallSentAgain(item: Item, itemId: string | undefined): boolean {
    const callId = item.call_id!;
    const calls = this.#calls.get(callId);
    const current = calls?.at(-1);
    if (current !== undefined && current.output === undefined) {
      // A call with this id waits: this is it, or an earlier answered one, sent again.
      if (!sameCall(current, item)) this.#replay(callId, calls!.find((call) => call.output !== undefined && sameCall(call, item)));
      return true;
    }
    const record: CallRecord = { name: item.name, args: argsOf(item), itemId, output: undefined };
    if (calls) calls.push(record);
    else this.#calls.set(callId, [record]);
    this.#replays.delete(callId);
    return false;
  }

  #isOutputSentAgain(item: Item): boolean {
    const callId = item.call_id!;
    const text = outputText(item);
    const replayed = this.#replays.get(callId);
    if (replayed !== undefined) {
      this.#replays.delete(callId);
      if (replayed === text) return true;
    }
    const current = this.#calls.get(callId)?.at(-1);
    if (current === undefined) return false; // an output with no call before it: as sent
    if (current.output !== undefined) return true;
    current.output = text;
    return false;
  }

  /** An answered call sent again: its output may come again next. */
  #replay(callId: string, call: CallRecord | undefined): void {
    if (call?.output !== undefined) this.#replays.set(callId, call.output);
  }
}
