import { InvalidRequestError } from "../../errors.ts";
import { echoTools } from "./response-frame.ts";
import type { InputItemResource, ResponseItemList } from "./response-schema.ts";

/**
 * An item as a listing shows it: an `additional_tools` item's tools in the full form OpenAI's `Tool`
 * has (`strict`, `parameters`, `description`: null where not sent), as a Response's `tools` echo
 * them; kept as sent, for what the model is given. Any other item as it is.
 */
export function shownItem<T extends InputItemResource>(item: T): T {
  if (item.type !== "additional_tools") return item;
  const tools = (item as { tools?: Parameters<typeof echoTools>[0] }).tools;
  return tools === undefined ? item : { ...item, tools: echoTools(tools) };
}

/**
 * One page of a stored response's input items, as OpenAI's `GET /responses/{id}/input_items`:
 * `order` desc (newest first, the default) or asc, `limit` 1-100 (default 20), `after` an item id.
 * An id is listed once, at its first place: a client continuing with `previous_response_id` may send
 * a stored item again (the AI SDK sends its calls again; the model reads them once, resent-items.ts),
 * and the Agents SDK gives every item of a chat completion the same id. Listed twice, a page that
 * ends at the first copy would be followed by itself: `after` names an id, and clients page until
 * `has_more` is false.
 */
export function listInputItems(all: readonly InputItemResource[], query: Record<string, string | undefined>): ResponseItemList {
  const order = query.order ?? "desc";
  if (order !== "asc" && order !== "desc") {
    throw new InvalidRequestError(`Invalid 'order': expected "asc" or "desc", got ${JSON.stringify(order)}.`, { param: "order" });
  }
  // Digits only: Number() would also read "0x10", "1e1" and " 1".
  const limit = query.limit === undefined ? 20 : /^\d{1,3}$/.test(query.limit) ? Number(query.limit) : NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new InvalidRequestError(`Invalid 'limit': expected an integer from 1 to 100, got ${JSON.stringify(query.limit)}.`, { param: "limit" });
  }
  const items = onceEach(all);
  const ordered = order === "asc" ? items : [...items].reverse();
  let start = 0;
  if (query.after !== undefined) {
    const at = ordered.findIndex((item) => item.id === query.after);
    start = at === -1 ? ordered.length : at + 1;
  }
  const data = ordered.slice(start, start + limit).map(shownItem);
  return {
    object: "list",
    data,
    // OpenAI's document requires both ids; an empty page has none to give.
    first_id: data[0]?.id ?? "",
    last_id: data[data.length - 1]?.id ?? "",
    has_more: start + limit < ordered.length,
  };
}

/** The items with each id at its first place only (the same array when no id repeats: the usual case). */
function onceEach(items: readonly InputItemResource[]): readonly InputItemResource[] {
  const seen = new Set<string>();
  let repeats = false;
  for (const item of items) {
    if (seen.has(item.id)) {
      repeats = true;
      break;
    }
    seen.add(item.id);
  }
  if (!repeats) return items;
  seen.clear();
  return items.filter((item) => !seen.has(item.id) && (seen.add(item.id), true));
}
