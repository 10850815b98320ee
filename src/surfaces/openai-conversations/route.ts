import { Elysia } from "elysia";
import { jsonBodyParsers, optionalJsonBodyParsers } from "../../body.ts";
import { optionalBody } from "../../http/fast-routes.ts";
import { InvalidRequestError, NotFoundError } from "../../errors.ts";
import { nowSeconds, randomId } from "../../ids.ts";
import { ownerOf } from "../../keys/request-key.ts";
import type { RouteDeps } from "../../routes/deps.ts";
import { compileValidator } from "../../validation.ts";
import { withRenamedParam } from "../rename-param.ts";
import { assertInputRules, itemType } from "../openai-responses/input-rules.ts";
import { listInputItems, shownItem } from "../openai-responses/list-input-items.ts";
import { assertIncludeQuery } from "../openai-responses/request-schema.ts";
import { assertMetadataKeys } from "../metadata-rules.ts";
import { normalizeInput } from "../openai-responses/normalize-input.ts";
import type { ResponsesInputItem } from "../openai-responses/request-schema.ts";
import type { InputItemResource } from "../openai-responses/response-schema.ts";
import { type ConversationRecord, type ConversationStore, duplicateId, MAX_CONVERSATION_ITEMS } from "./conversation-store.ts";
import { AddItemsBody, CreateConversationBody, UpdateConversationBody, type ConversationObject } from "./schemas.ts";

export const conversationNotFound = (id: string, param = "conversation_id") => new NotFoundError(`Conversation with id '${id}' not found.`, { param });

/** A conversation that cannot take more items (`param`: what would have added them). */
export const conversationFull = (id: string, param = "conversation") =>
  new InvalidRequestError(
    `Conversation '${id}' is full: it holds at most ${MAX_CONVERSATION_ITEMS} items (and, in memory, a quarter of RESPONSES_MEMORY_MB). Delete items or start a new conversation.`,
    { param, code: "conversation_full" },
  );

/** OpenAI's refusal of an item whose id the conversation (or the request) has already. */
const duplicateItem = (id: string) => new InvalidRequestError(`Duplicate item found with id '${id}'.`, { param: "items" });

const asObject = (record: ConversationRecord): ConversationObject => ({ id: record.id, object: "conversation", created_at: record.created_at, metadata: record.metadata });

/**
 * Items a client adds (a create's `items`, an add's): checked as a Responses input is, named as
 * `items[i]…`, and made into stored items with ids. An `item_reference` or a `compaction_trigger`
 * means nothing in a stored conversation: a 400.
 */
function toItems(items: readonly ResponsesInputItem[] | null | undefined): InputItemResource[] {
  if (!items || items.length === 0) return [];
  try {
    assertInputRules(items as ResponsesInputItem[]);
    items.forEach((item, i) => {
      const type = itemType(item);
      if (type === "item_reference" || type === "compaction_trigger") {
        throw new InvalidRequestError(`Invalid 'input[${i}].type': ${type} items cannot be added to a conversation.`, { param: `input[${i}].type` });
      }
    });
  } catch (error) {
    throw withRenamedParam(error, (param) => param.replace(/^input/, "items"));
  }
  // Ids as a response's input items get them (item-ids.ts), from a fresh id: unique, and never a stored response's.
  return normalizeInput(items as ResponsesInputItem[], randomId("resp_"));
}

/**
 * OpenAI's Conversations API (`client.conversations.*`, the Agents SDK's `OpenAIConversationsSession`):
 * conversations and their items, kept by the conversation store; a Responses request with
 * `conversation` reads them and adds its input and output to them (the responses route). With
 * keys, a conversation belongs to the key that created it: another key gets a 404.
 */
export function conversationRoutes({ config, pipeline }: RouteDeps, store: ConversationStore) {
  const validateCreate = compileValidator(CreateConversationBody);
  const validateUpdate = compileValidator(UpdateConversationBody);
  const validateAdd = compileValidator(AddItemsBody);
  const parse = jsonBodyParsers(config.maxBodyBytes);

  /** The conversation, if the asking key (none without keys) is the one that created it. */
  const own = async (id: string, request: Request): Promise<ConversationRecord> => {
    const record = await store.get(id);
    if (!record || record.owner !== ownerOf(request)) throw conversationNotFound(id);
    return record;
  };

  return new Elysia({ name: "ollaix:conversations" })
    .onStop(() => store.close())
    .post(
      "/v1/conversations",
      optionalBody(async function createConversation({ body: raw, request, set }: { body: unknown; request: Request; set: { headers: Record<string, unknown> } }) {
        const body = validateCreate.assert(raw);
        // What a key stores counts against its limits: a tenant could otherwise fill the store for all.
        Object.assign(set.headers, await pipeline.admitStore(request));
        assertMetadataKeys(body.metadata);
        const items = toItems(body.items);
        const duplicate = duplicateId(items);
        if (duplicate !== undefined) throw duplicateItem(duplicate);
        const record: ConversationRecord = { id: randomId("conv_"), created_at: nowSeconds(), metadata: body.metadata ?? {} };
        const owner = ownerOf(request);
        if (owner !== undefined) record.owner = owner;
        await store.create(record, items);
        return asObject(record);
      }),
      // OpenAI's document makes the body optional: none is an empty conversation.
      { parse: optionalJsonBodyParsers(config.maxBodyBytes), detail: { tags: ["Conversations"], summary: "Create a conversation", description: "With up to 20 `items` and `metadata`; no body is an empty conversation." } },
    )
    .get(
      "/v1/conversations/:conversation_id",
      async function getConversation({ params, request }) {
        return asObject(await own(params.conversation_id, request));
      },
      { detail: { tags: ["Conversations"], summary: "Get a conversation" } },
    )
    .post(
      "/v1/conversations/:conversation_id",
      async function updateConversation({ params, body: raw, request, set }) {
        const body = validateUpdate.assert(raw);
        assertMetadataKeys(body.metadata);
        await own(params.conversation_id, request);
        Object.assign(set.headers, await pipeline.admitStore(request));
        const updated = await store.update(params.conversation_id, body.metadata ?? {});
        if (!updated) throw conversationNotFound(params.conversation_id);
        return asObject(updated);
      },
      { parse, detail: { tags: ["Conversations"], summary: "Update a conversation's metadata" } },
    )
    .delete(
      "/v1/conversations/:conversation_id",
      async function deleteConversation({ params, request }) {
        await own(params.conversation_id, request);
        if (!(await store.delete(params.conversation_id))) throw conversationNotFound(params.conversation_id);
        return { id: params.conversation_id, object: "conversation.deleted" as const, deleted: true as const };
      },
      { detail: { tags: ["Conversations"], summary: "Delete a conversation", description: "Its items go with it; responses made in it are not deleted." } },
    )
    .get(
      "/v1/conversations/:conversation_id/items",
      async function listConversationItems({ params, query, request }) {
        assertIncludeQuery(request.url);
        await own(params.conversation_id, request);
        const items = await store.view(params.conversation_id);
        if (!items) throw conversationNotFound(params.conversation_id);
        return listInputItems(items, query);
      },
      {
        detail: {
          tags: ["Conversations"],
          summary: "List a conversation's items",
          description: "Newest first by default (`order=asc` reverses); `limit` 1-100 (default 20) and `after` page through them; `include` takes OpenAI's values (others are a 400) and changes nothing.",
        },
      },
    )
    .post(
      "/v1/conversations/:conversation_id/items",
      async function addConversationItems({ params, body: raw, request, set }) {
        assertIncludeQuery(request.url);
        const body = validateAdd.assert(raw);
        await own(params.conversation_id, request);
        Object.assign(set.headers, await pipeline.admitStore(request));
        const items = toItems(body.items);
        const added = await store.append(params.conversation_id, items);
        if (!added.ok) {
          if (added.reason === "missing") throw conversationNotFound(params.conversation_id);
          if (added.reason === "duplicate") throw duplicateItem(added.id);
          throw conversationFull(params.conversation_id, "items");
        }
        return { object: "list" as const, data: items.map(shownItem), first_id: items[0]?.id ?? "", last_id: items.at(-1)?.id ?? "", has_more: false };
      },
      { parse, detail: { tags: ["Conversations"], summary: "Add items to a conversation", description: "Up to 20 items at the end; the answer lists them with their ids." } },
    )
    .get(
      "/v1/conversations/:conversation_id/items/:item_id",
      async function getConversationItem({ params, request }) {
        assertIncludeQuery(request.url);
        await own(params.conversation_id, request);
        const items = await store.view(params.conversation_id);
        if (!items) throw conversationNotFound(params.conversation_id);
        const item = items.find((candidate) => candidate.id === params.item_id);
        if (!item) throw new NotFoundError(`Item with id '${params.item_id}' not found.`, { param: "item_id" });
        return shownItem(item);
      },
      { detail: { tags: ["Conversations"], summary: "Get a conversation item" } },
    )
    .delete(
      "/v1/conversations/:conversation_id/items/:item_id",
      async function deleteConversationItem({ params, request }) {
        const record = await own(params.conversation_id, request);
        if (!(await store.deleteItem(params.conversation_id, params.item_id))) {
          throw new NotFoundError(`Item with id '${params.item_id}' not found.`, { param: "item_id" });
        }
        return asObject(record);
      },
      { detail: { tags: ["Conversations"], summary: "Delete a conversation item", description: "Answers the conversation." } },
    );
}
