import { responseIdOfItem } from "./item-ids.ts";

/** What of an item this bookkeeping reads. */
interface Item {
  type?: string | null;
  id?: string | null;
  call_id?: string;
  output?: unknown;
}

const outputText = (item: Item): string => (typeof item.output === "string" ? item.output : JSON.stringify(item.output));

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
 * - A call whose `call_id` still waits for its output is the same call.
 * - An output for an answered call is the same output; and after an answered call of the gateway's
 *   is sent again, an output with its `call_id` and its output's text is that output sent again,
 *   even if a later call reused the id (providers that number calls per turn) and waits.
 * - A call id used again after its call was answered is a new call.
 */
export class ResentItems {
  /** The gateway's output item ids seen. */
  readonly #ids = new Set<string>();
  /** Call id → whether its latest call was answered. */
  readonly #answered = new Map<string, boolean>();
  /** Call id → the gateway's item id of its waiting call, when it has one. */
  readonly #waiting = new Map<string, string>();
  /** The gateway's function call item ids whose output came → that output's text. */
  readonly #answeredItems = new Map<string, string>();
  /** Call id → the output text of an answered call sent again, which its next output may replay. */
  readonly #replays = new Map<string, string>();

  /** Whether `item` is sent again; reading it records it otherwise (call it once per item, in order). */
  isSentAgain(item: Item): boolean {
    const id = item.id;
    const own = typeof id === "string" && responseIdOfItem(id) !== undefined;
    if (own) {
      if (this.#ids.has(id)) {
        const output = item.type === "function_call" ? this.#answeredItems.get(id) : undefined;
        if (output !== undefined) this.#replays.set(item.call_id!, output);
        return true;
      }
      this.#ids.add(id);
    }
    if (item.type === "function_call") {
      const callId = item.call_id!;
      if (this.#answered.get(callId) === false) return true;
      this.#answered.set(callId, false);
      this.#replays.delete(callId);
      if (own) this.#waiting.set(callId, id);
      else this.#waiting.delete(callId);
    } else if (item.type === "function_call_output") {
      const callId = item.call_id!;
      const replayed = this.#replays.get(callId);
      if (replayed !== undefined) {
        this.#replays.delete(callId);
        if (replayed === outputText(item)) return true;
      }
      const answered = this.#answered.get(callId);
      if (answered === true) return true;
      if (answered === false) {
        this.#answered.set(callId, true);
        const waiting = this.#waiting.get(callId);
        if (waiting !== undefined) this.#answeredItems.set(waiting, outputText(item));
      }
    }
    return false;
  }
}
