import { InvalidRequestError } from "../../errors.ts";
import type { InputItemResource, ResponseItemList } from "./response-schema.ts";

/**
 * One page of a stored response's input items, as OpenAI's `GET /responses/{id}/input_items`:
 * `order` desc (newest first, the default) or asc, `limit` 1-100 (default 20), `after` an item id.
 */
export function listInputItems(items: readonly InputItemResource[], query: Record<string, string | undefined>): ResponseItemList {
  const order = query.order ?? "desc";
  if (order !== "asc" && order !== "desc") {
    throw new InvalidRequestError(`Invalid 'order': expected "asc" or "desc", got ${JSON.stringify(order)}.`, { param: "order" });
  }
  const limit = query.limit === undefined ? 20 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new InvalidRequestError(`Invalid 'limit': expected an integer from 1 to 100, got ${JSON.stringify(query.limit)}.`, { param: "limit" });
  }
  const ordered = order === "asc" ? items : [...items].reverse();
  let start = 0;
  if (query.after !== undefined) {
    const at = ordered.findIndex((item) => item.id === query.after);
    start = at === -1 ? ordered.length : at + 1;
  }
  const data = ordered.slice(start, start + limit);
  return {
    object: "list",
    data,
    // OpenAI's document requires both ids; an empty page has none to give.
    first_id: data[0]?.id ?? "",
    last_id: data[data.length - 1]?.id ?? "",
    has_more: start + limit < ordered.length,
  };
}
