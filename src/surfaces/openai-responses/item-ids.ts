/**
 * Output item ids carry the id of the response they belong to: `msg_`, `rs_`, `fc_`, `ctc_` or `cmp_`, then the
 * response id without its `resp_`, then the item's output index in 4 hex digits. A stored item is
 * then found through its response (`item_reference`, a continuation's items), with no index of
 * items to keep beside the responses. Unique because response ids are; opaque to clients, as
 * OpenAI's are.
 */
const RESPONSE_PREFIX = "resp_";
const INDEX_DIGITS = 4;

/** `index` in 4 hex digits; the first 256 made once (no response has more items than that in practice). */
const HEX4 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(INDEX_DIGITS, "0"));
const hex4 = (index: number): string => HEX4[index] ?? index.toString(16).padStart(INDEX_DIGITS, "0");

export type OutputItemPrefix = "msg_" | "rs_" | "fc_" | "ctc_" | "cmp_";

export function outputItemId(prefix: OutputItemPrefix, responseId: string, index: number): string {
  return prefix + responseId.slice(RESPONSE_PREFIX.length) + hex4(index);
}

/** An output item id of `outputItemId`'s making: its prefix, its response id's 24 hex digits (ids.ts), its index. */
const OUTPUT_ITEM_ID = /^(?:msg|rs|fc|ctc|cmp)_([0-9a-f]{24})[0-9a-f]{4}$/;

/**
 * The id of the response an output item id names; undefined for an id not made by `outputItemId`.
 * Read by its whole shape, not its prefix alone: a client's own `msg_client1` names no response, and
 * taken for one of the gateway's items it was dropped as an item sent again.
 */
export function responseIdOfItem(itemId: string): string | undefined {
  const match = OUTPUT_ITEM_ID.exec(itemId);
  return match === null ? undefined : RESPONSE_PREFIX + match[1];
}

/**
 * An id for an input item sent without one (what `input_items` lists): `msg_`, `fc_`, `fco_`, `ctc_`,
 * `ctco_`, `rs_`, `cmp_` or `at_`, the response id without its `resp_`, `i`, and the item's place in the request's input.
 * Not an output item id: it names no response.
 */
export function inputItemId(prefix: string, responseId: string, index: number): string {
  return prefix + responseId.slice(RESPONSE_PREFIX.length) + "i" + hex4(index);
}

/** An input item id of `inputItemId`'s making: its prefix, its response id's hex, `i`, its place. */
const INPUT_ITEM_ID = /^(?:msg|fc|fco|ctc|ctco|rs|cmp|at)_([0-9a-f]+)i[0-9a-f]{4,}$/;

/**
 * The response a stored item's id names, and whether it is one of that response's input items
 * (what `input_items` lists, which clients may refer to as OpenAI allows) or one of its outputs;
 * undefined for an id not made here.
 */
export function storedItemOf(itemId: string): { responseId: string; isInput: boolean } | undefined {
  const input = INPUT_ITEM_ID.exec(itemId);
  if (input) return { responseId: RESPONSE_PREFIX + input[1], isInput: true };
  const responseId = responseIdOfItem(itemId);
  return responseId === undefined ? undefined : { responseId, isInput: false };
}
