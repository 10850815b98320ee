import { InvalidRequestError } from "../../errors.ts";
import type { Model } from "../../schemas/models.ts";

/**
 * `GET /v1/models` and `GET /v1/models/{id}` as Anthropic's Models API answers them, for the
 * clients that send `anthropic-version` (every Anthropic SDK): `client.models.list()` pages with
 * `after_id` / `before_id` / `limit`, and reads `ModelInfo` objects, not OpenAI's model objects.
 */
export interface AnthropicModelInfo {
  type: "model";
  id: string;
  display_name: string;
  created_at: string;
  capabilities: null;
  deprecated_at: null;
  lifecycle: "active";
  line: null;
  max_input_tokens: number | null;
  max_tokens: null;
  retires_at: null;
}

export interface AnthropicModelPage {
  data: AnthropicModelInfo[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}

/** Whether a request comes from an Anthropic client (its SDKs always send the API version). */
export const isAnthropicClient = (request: Request): boolean => request.headers.has("anthropic-version");

/**
 * A gateway model as Anthropic's `ModelInfo`. What Ollaix does not know is null, as Anthropic's
 * document allows (capabilities, the model line, `max_tokens`); every model is `active`. The
 * release date is the model's `created`, the epoch when unknown, as Anthropic's document says.
 */
export function toAnthropicModel(model: Model): AnthropicModelInfo {
  return {
    type: "model",
    id: model.id,
    display_name: model.name ?? model.id,
    created_at: new Date(model.created * 1000).toISOString().replace(".000Z", "Z"),
    capabilities: null,
    deprecated_at: null,
    lifecycle: "active",
    line: null,
    max_input_tokens: model.context_length ?? null,
    max_tokens: null,
    retires_at: null,
  };
}

const LIFECYCLES = new Set(["active", "deprecated", "retired"]);

/**
 * One page of the list, newest first as Anthropic lists them (ties keep the gateway's order):
 * `limit` 1–1000 (default 20); `after_id` the page after that model, `before_id` the page before
 * it (an id not in the list is an empty page); `lifecycle` filters by stage (every model here is
 * `active`). Bad values are Anthropic's 400 naming the parameter.
 */
export function anthropicModelPage(models: readonly Model[], query: URLSearchParams): AnthropicModelPage {
  const limitText = query.get("limit");
  const limit = limitText === null ? 20 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new InvalidRequestError(`limit: Input should be an integer from 1 to 1000, got '${limitText}'.`, { param: "limit" });
  }
  const afterId = query.get("after_id");
  const beforeId = query.get("before_id");
  if (afterId !== null && beforeId !== null) throw new InvalidRequestError("Only one of before_id and after_id may be given.", { param: "before_id" });
  const stages = [...query.getAll("lifecycle"), ...query.getAll("lifecycle[]")].flatMap((value) => value.split(","));
  for (const stage of stages) {
    if (!LIFECYCLES.has(stage)) throw new InvalidRequestError(`lifecycle: Input should be 'active', 'deprecated' or 'retired', got '${stage}'.`, { param: "lifecycle" });
  }
  const all = stages.length > 0 && !stages.includes("active") ? [] : [...models].sort((a, b) => b.created - a.created);
  let from = 0;
  let to = all.length;
  if (afterId !== null) {
    const at = all.findIndex((model) => model.id === afterId);
    from = at < 0 ? all.length : at + 1;
    to = Math.min(all.length, from + limit);
  } else if (beforeId !== null) {
    const at = all.findIndex((model) => model.id === beforeId);
    to = at < 0 ? 0 : at;
    from = Math.max(0, to - limit);
  } else {
    to = Math.min(all.length, limit);
  }
  const data = all.slice(from, to).map(toAnthropicModel);
  // Paging back (before_id), "more" is what lies before the page; otherwise what lies after it.
  const hasMore = beforeId !== null ? from > 0 : to < all.length;
  return { data, has_more: hasMore, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}
