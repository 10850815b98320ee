import { endingConnection } from "../../http/connection-clock.ts";
import { ownerOf } from "../../keys/request-key.ts";
import { Elysia } from "elysia";
import { SSE_HEADERS } from "../../sse.ts";
import { BackgroundRuns } from "./background.ts";
import type { StopKind } from "./run-channel.ts";
import { startBackground } from "./start-background.ts";
import { isRunning, withLapsedLease } from "./response-lease.ts";
import { dropOldestItems } from "./truncate.ts";
import type { CallInfo } from "../../pipeline/pipeline.ts";
import type { TokenUsage } from "../../pipeline/outcome.ts";
import type { ChatResult } from "../../plugin.ts";
import { jsonBodyParsers, noBodyParsers } from "../../body.ts";
import { InvalidRequestError, NotFoundError, OllaixError, StateUnavailableError } from "../../errors.ts";
import { JsonText } from "../../http/json-text.ts";
import { within } from "../../deadline.ts";
import { nowSeconds, randomId } from "../../ids.ts";
import type { RouteDeps } from "../../routes/deps.ts";
import { compileValidator } from "../../validation.ts";
import { toResponse } from "./from-chat-result.ts";
import { listInputItems } from "./list-input-items.ts";
import { assertInputRules, isCompactionTrigger, itemType } from "./input-rules.ts";
import { assertMetadataKeys } from "../metadata-rules.ts";
import { assertSupportedFields } from "./unsupported-fields.ts";
import { assertBackgroundRules } from "./background-rules.ts";
import { normalizeInput, referencedIds, storedInputItems } from "./normalize-input.ts";
import { assertIncludeQuery, countedFields, ResponsesCompactRequest, ResponsesInputTokensRequest, ResponsesRequest } from "./request-schema.ts";
import { asCompaction, compactedBefore, fromLastCompaction, compactedResponse, compactionFields, compactionResponse, retainedUserMessages, summaryOf, withCompactionPrompt } from "./compact.ts";
import { compactionStreamEncoder } from "./compaction-stream.ts";
import { type AppendResult, type ConversationLock, type ConversationStore, duplicateId, MAX_CONVERSATION_ITEMS } from "../openai-conversations/conversation-store.ts";
import { createConversationStore } from "../openai-conversations/create-conversation-store.ts";
import { conversationFull, conversationNotFound } from "../openai-conversations/route.ts";
import { conversationIdOf } from "./conversation-param.ts";
import { wantsSealedReasoning, withSealedReasoning } from "./sealed-text.ts";
import { fitCompaction } from "./compact-fit.ts";
import { echoTools, pendingResponse, responseFrame, type ResponseFrame } from "./response-frame.ts";
import type { ChatRequest } from "../../schemas/chat.ts";
import type { InputItemResource, ResponseObject } from "./response-schema.ts";
import { createResponseStore } from "./store/create-store.ts";
import type { ResponseStore, StoredResponse } from "./store/response-store.ts";
import { responsesStreamEncoder, type ResponsesStreamSettings } from "./stream-encoder.ts";
import { countPromptTokens } from "../token-count.ts";
import { additionalTools, type MessageSource, toChatRequest } from "./to-chat-request.ts";
import { type ItemPlace, type MessagePlace, withResponsesParam } from "./to-responses-param.ts";

/**
 * A request's conversation: the items before its input (`before`), then its input as sent (`input`,
 * absent once it is made into items, which are then the end of `before`).
 */
interface Conversation {
  before: InputItemResource[];
  input?: ResponsesRequest["input"];
  /** The request's own input as items, when they were made (its item references resolved). */
  own?: InputItemResource[];
  /** Where `before` came from, for an error that names one of its items. */
  from?: "previous_response_id" | "conversation";
  /** The conversation of OpenAI's Conversations API it reads: its input and output are added to it once answered. */
  conversationId?: string;
  /** That conversation's lock, held by this response until its items are added (or it fails). */
  lock?: ConversationLock;
  /** The stored responses it continues, when it is stored as a link to them (`StoredResponse.chain`). */
  chain?: string[];
  /** In a conversation: the id of its last item the model read (`StoredResponse.conversationThrough`). */
  through?: string;
}

/**
 * The longest an answered turn waits on the conversation store (adding its items, letting its lock
 * go): a store that stopped answering fails the turn (503) instead of holding the answer open.
 */
const CONVERSATION_WRITE_MS = 5_000;

const inTime = <T>(work: Promise<T>, conversationId: string): Promise<T> =>
  within(
    work,
    CONVERSATION_WRITE_MS,
    () => new StateUnavailableError(`The answer could not be added to conversation '${conversationId}' in ${CONVERSATION_WRITE_MS / 1000} s: the conversation store did not answer. Send the turn again.`),
  );

/**
 * A continuation is stored as a link to the responses it continues (their ids), its own input
 * only; every MAX_CHAIN-th turn (and in the other cases `chainAfter` names) it keeps a whole copy of
 * its conversation again. A chain of n turns of s bytes each takes ~n·s·(1 + n/(2·MAX_CHAIN)) bytes
 * instead of n²·s/2, and a continuation reads at most MAX_CHAIN entries, in one round.
 */
const MAX_CHAIN = 16;

/** The items before the next turn of a response read `input` and answered `output`: a compaction stands for what it compacted (compact.ts). */
const turnBefore = (input: InputItemResource[], output: InputItemResource[]): InputItemResource[] =>
  output.some((item) => item.type === "compaction") ? compactedBefore(input, output) : [...input, ...output];

const NOTHING_BEFORE: InputItemResource[] = [];

/** A stored stream while it runs (responsesRoutes' `streams`): its owner, its entry as it is so far, and its end's write once under way. */
interface Streaming {
  owner: string | undefined;
  entry(): StoredResponse;
  kept?: Promise<void>;
  /** Deleted while it ran: its end is not stored. */
  deleted?: boolean;
}

/** How long a cancel of a run on another replica waits for that replica's own end (with the text so far). */
const CANCEL_WAIT_MS = 2_000;

/**
 * Where the chat request's message `index` came from, for an error that names it: the request is
 * converted again, recording each message's item (only on this path; the answer path records none).
 */
function messageSource(body: ResponsesRequest, conversation: Conversation, index: number): MessagePlace | undefined {
  const sources: MessageSource[] = [];
  toChatRequest(body, conversation.before, conversation.input, sources);
  const source = sources[index];
  if (source === undefined) return undefined;
  // A request's own input is the end of `before` once it is made into items (one item for a string).
  const isMadeItems = conversation.input === undefined && body.input !== undefined;
  // A final compaction_trigger is no item once made into items (normalize-input.ts).
  const own = !isMadeItems ? 0 : Array.isArray(body.input) ? body.input.length - (isCompactionTrigger(body.input) ? 1 : 0) : 1;
  const previous = conversation.before.length - own;
  const placeOf = (item: number, type: ItemPlace["type"]): ItemPlace => {
    if (item < 0) return { field: "instructions", type };
    if (item < previous) return { field: conversation.from ?? "previous_response_id", type };
    if (!Array.isArray(body.input)) return { field: "input", type };
    const sent = body.input[item - previous];
    return { field: `input[${item - previous}]`, type: sent && itemType(sent) === "item_reference" ? "item_reference" : type };
  };
  const place: MessagePlace = placeOf(source.item, source.type);
  if (source.calls) place.calls = source.calls.map((call) => placeOf(call.item, call.type));
  if (source.parts) place.parts = source.parts;
  return place;
}

/** A boolean query parameter (`true` / `false`, absent is false). */
function isTrue(value: string | undefined, name: string): boolean {
  if (value === undefined || value === "false") return false;
  if (value === "true") return true;
  throw new InvalidRequestError(`Invalid '${name}': expected a boolean, got '${value}'.`, { param: name });
}

/** `starting_after`: a sequence number (-1, or absent, for every event). */
function startingAfter(value: string | undefined): number {
  if (value === undefined) return -1;
  // Digits only (and -1): Number() would also read "1e0", "0x1" and " 1".
  const n = /^(-1|\d{1,15})$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n)) {
    throw new InvalidRequestError(`Invalid 'starting_after': expected a sequence number (an integer, -1 or more), got '${value}'.`, { param: "starting_after" });
  }
  return n;
}

const notFound = (id: string) => new NotFoundError(`Response with id '${id}' not found.`, { param: "response_id" });

/**
 * OpenAI Responses over the shared pipeline: the request becomes a chat request (with a stored
 * conversation in front when `previous_response_id` names one), the chat answer or stream becomes a
 * Response or its events, and the result is stored unless `store: false`.
 */
export function responsesRoutes(
  { config, registry, pipeline, logger, redact }: RouteDeps,
  store: ResponseStore = createResponseStore(config, (message) => logger.warn(message)),
  runs: BackgroundRuns = new BackgroundRuns(),
  conversations: ConversationStore = createConversationStore(config),
) {
  const validate = compileValidator(ResponsesRequest);
  const validateCount = compileValidator(ResponsesInputTokensRequest);
  const validateCompact = compileValidator(ResponsesCompactRequest);
  // A conversation's lock outlives any one call (it lapses if its holder dies): the longest a call waits, twice, and ten minutes at least.
  // An upstream's own timeout_ms may be longer than UPSTREAM_TIMEOUT_MS: the longest of them (providers are made before the routes).
  const longestWaitMs = Math.max(config.upstreamTimeoutMs, ...registry.providers.map((provider) => provider.timeoutMs ?? 0));
  const conversationLockMs = Math.max(600_000, 2 * longestWaitMs);
  const entryOf = (response: ResponseObject, conversation: Conversation, owner: string | undefined, lease?: number): StoredResponse => {
    // A response in a conversation keeps its own input only: the conversation holds the rest (a copy per turn would grow with its square).
    const input = conversation.conversationId === undefined && conversation.chain === undefined ? conversation.before : (conversation.own ?? NOTHING_BEFORE);
    const entry: StoredResponse = { response, input };
    if (conversation.chain !== undefined) entry.chain = conversation.chain;
    if (conversation.through !== undefined) entry.conversationThrough = conversation.through;
    if (conversation.input !== undefined) entry.requestInput = conversation.input;
    if (owner !== undefined) entry.owner = owner;
    if (lease !== undefined) entry.lease = lease;
    return entry;
  };
  const keep = (response: ResponseObject, conversation: Conversation, owner: string | undefined, json?: string): Promise<void> => {
    return store.put(entryOf(response, conversation, owner), json).catch((error) => {
      // The answer is still good; only a later GET or previous_response_id will miss it.
      logger.warn("could not store a response", { id: response.id, error: error instanceof Error ? error.message : String(error) });
    });
  };

  const runningHere = (id: string, owner: string | undefined): StoredResponse | undefined => {
    const run = runs.get(id, owner);
    return run === undefined || run.isFinished ? undefined : run.stored;
  };

  /**
   * The end a run on another replica stores once told to stop (its entry then has no lease), read
   * for at most CANCEL_WAIT_MS; undefined if it did not come (the stop was not heard: it stops at its
   * next renewal).
   */
  const endStoredBy = async (id: string, owner: string | undefined): Promise<ResponseObject | undefined> => {
    for (const until = performance.now() + CANCEL_WAIT_MS; performance.now() < until; await Bun.sleep(20)) {
      const now = await store.get(id).catch(() => undefined);
      if (now === undefined || now.owner !== owner) return undefined;
      if (now.lease === undefined) return now.response;
    }
    return undefined;
  };

  /** Tells the replica running a background response to stop it; if that fails, it stops at its next lease renewal (the store says so). */
  const tellStop = async (id: string, kind: StopKind) => {
    await runs.channel?.stop(id, kind).catch((error) => {
      logger.warn("could not tell the replica running a response to stop it", { id, error: error instanceof Error ? error.message : String(error) });
    });
  };

  /**
   * A stored response, if the asking key (none without keys) is the one that created it; a running
   * background response whose replica stopped renewing its lease reads as `failed`.
   */
  const ownStored = async (id: string, owner: string | undefined) => {
    // A run of this process is read from the store; from the run itself if the memory store dropped it (its next write brings it back);
    // a stored stream of this process that is still running, as it is so far.
    const stored = (await store.get(id)) ?? runningHere(id, owner) ?? streamingHere(id, owner);
    if (stored === undefined || stored.owner !== owner) return undefined;
    if (stored.lease === undefined || !isRunning(stored.response.status) || runs.get(id, owner) !== undefined) return stored;
    return withLapsedLease(stored, await store.now()); // in the store's time, as the lease was written
  };

  /**
   * Every item a stored response's model read (what `input_items` lists): its own when it keeps a
   * whole copy, else its chain's conversation, read in one round, then its own input; and when the
   * chain's first response was made. A response of the chain that is gone (deleted, expired,
   * evicted) is named by `missing`'s error.
   */
  const inputItemsOf = async (stored: StoredResponse, owner: string | undefined, missing: (id: string) => Error): Promise<{ items: InputItemResource[]; startedAt: number }> => {
    const chain = stored.chain;
    if (chain === undefined || chain.length === 0) return { items: await wholeInputOf(stored), startedAt: stored.response.created_at };
    const links = await store.getMany(chain);
    let items: InputItemResource[] = [];
    for (let i = 0; i < links.length; i++) {
      const link = links[i];
      if (link === undefined || link.owner !== owner) throw missing(chain[i]!);
      // The first keeps its whole conversation; each next one its own input after the one before it.
      items = i === 0 ? await wholeInputOf(link) : [...turnBefore(items, links[i - 1]!.response.output as InputItemResource[]), ...storedInputItems(link)];
    }
    return { items: [...turnBefore(items, links[links.length - 1]!.response.output as InputItemResource[]), ...storedInputItems(stored)], startedAt: links[0]!.response.created_at };
  };

  /**
   * The items of a stored response that keeps its whole conversation: those it holds, after, for a
   * response in a conversation (which holds only its own input), the conversation's items up to its
   * turn as its model read them (OpenAI: "Items from this conversation are prepended to
   * `input_items` for this response"). The turn starts at the first item that is one of the
   * response's own (added with their ids once it was answered), else after the last item its model
   * read; a conversation deleted since gives none.
   */
  const wholeInputOf = async (stored: StoredResponse): Promise<InputItemResource[]> => {
    const own = storedInputItems(stored);
    const id = stored.response.conversation?.id;
    if (id === undefined) return own;
    const items = await conversations.items(id);
    if (!items) return own;
    const mine = new Set<string>(own.map((item) => item.id));
    for (const item of stored.response.output) mine.add(item.id);
    let end = items.findIndex((item) => mine.has(item.id));
    if (end < 0) end = stored.conversationThrough === undefined ? 0 : items.findIndex((item) => item.id === stored.conversationThrough) + 1;
    return [...fromLastCompaction(items.slice(0, end)), ...own];
  };

  /**
   * A conversation that reads stored responses: the items an `item_reference` names (resolved now:
   * they may be gone by the time this response is read), and a previous response's input and output.
   */
  const storedConversation = async (body: ResponsesRequest, ids: string[], responseId: string, owner: string | undefined, locks: boolean): Promise<Conversation> => {
    const conversationId = body.conversation == null ? undefined : conversationIdOf(body.conversation);
    if (conversationId !== undefined && body.previous_response_id) {
      throw new InvalidRequestError("Mutually exclusive parameters: 'previous_response_id' and 'conversation'. Continue a conversation with one or the other.", { param: "conversation" });
    }
    let input: InputItemResource[] | undefined;
    if (ids.length > 0) {
      const references = new Map<string, InputItemResource>();
      const found = await store.getItems(ids, owner);
      for (let i = 0; i < ids.length; i++) if (found[i]) references.set(ids[i]!, found[i]!);
      input = normalizeInput(body.input, responseId, references);
    }
    let before: InputItemResource[] = [];
    let chain: string[] | undefined;
    if (body.previous_response_id) {
      const previous = await ownStored(body.previous_response_id, owner);
      if (!previous) {
        throw new InvalidRequestError(`Previous response with id '${body.previous_response_id}' not found.`, {
          param: "previous_response_id",
          code: "previous_response_not_found",
        });
      }
      if (isRunning(previous.response.status)) {
        throw new InvalidRequestError(`Previous response with id '${body.previous_response_id}' has not finished yet.`, { param: "previous_response_id" });
      }
      // Its input and output come before the new input; its instructions do not (as in OpenAI's API).
      // A compaction's output stands for the conversation it compacted (compact.ts).
      const output = previous.response.output as InputItemResource[];
      const previousId = body.previous_response_id;
      const read = await inputItemsOf(previous, owner, (gone) =>
        new InvalidRequestError(`Previous response with id '${previousId}' cannot be continued: the earlier response '${gone}' its conversation continues was deleted or has expired.`, {
          param: "previous_response_id",
          code: "previous_response_not_found",
        }),
      );
      before = turnBefore(read.items, output);
      chain = chainAfter(previous, output, read.startedAt);
    }
    let from: Conversation["from"] = body.previous_response_id ? "previous_response_id" : undefined;
    let lock: ConversationLock | undefined;
    let through: string | undefined;
    if (conversationId !== undefined) {
      const record = await conversations.get(conversationId);
      if (!record || record.owner !== owner) throw conversationNotFound(conversationId, "conversation");
      // One response at a time (OpenAI's conversation_locked): the next one reads this one's turn.
      if (locks && !(lock = await conversations.lock(conversationId, conversationLockMs))) {
        throw new InvalidRequestError(`Another response is in progress for conversation '${conversationId}'; send this one once it has ended.`, {
          param: "conversation",
          code: "conversation_locked",
        });
      }
      try {
        const items = await conversations.items(conversationId);
        if (!items) throw conversationNotFound(conversationId, "conversation");
        // Its turn (the input, and an answer of one item at least) must fit: found full only once answered, the answer would be lost.
        const inputCount = input?.length ?? (typeof body.input === "string" ? 1 : (body.input?.length ?? 0));
        if (locks && items.length + inputCount + 1 > MAX_CONVERSATION_ITEMS) throw conversationFull(conversationId);
        // Its items are already there: one sent again would be read twice (OpenAI: "Duplicate item found").
        const duplicate = duplicateId(input ?? normalizeInput(body.input, responseId), new Set(items.map((item) => item.id)));
        if (duplicate !== undefined) throw new InvalidRequestError(`Duplicate item found with id '${duplicate}': it is already in conversation '${conversationId}'.`, { param: "input" });
        before = fromLastCompaction(items);
        through = items.at(-1)?.id;
      } catch (error) {
        await lock?.release();
        throw error;
      }
      from = "conversation";
    }
    const conversation: Conversation = input ? { before: [...before, ...input], own: input } : { before, input: body.input };
    if (from !== undefined) conversation.from = from;
    if (conversationId !== undefined) conversation.conversationId = conversationId;
    if (lock !== undefined) conversation.lock = lock;
    if (chain !== undefined && conversationId === undefined) conversation.chain = chain;
    if (through !== undefined) conversation.through = through;
    return conversation;
  };

  /**
   * The chain a continuation of `previous` is stored with, or undefined for a whole copy: at the
   * chain's length limit, after a compaction (the conversation is short again) or a background
   * response, or (in memory) once the chain's first response is past an eighth of what the store keeps.
   */
  const chainAfter = (previous: StoredResponse, output: InputItemResource[], startedAt: number): string[] | undefined => {
    const chain = previous.chain ?? [];
    // A background response's run may still write its end after a cancel (its text so far): a link would then read another output than the model did.
    if (chain.length + 1 >= MAX_CHAIN || previous.response.background === true || output.some((item) => item.type === "compaction")) return undefined;
    if (!store.keepsChains) {
      // The chain's start goes first (the memory store drops the oldest): linked to only while it is
      // young, so that a link is kept for 7/8 of what the store keeps, and the chain with it.
      const keptMs = Math.min(config.responsesTtlS * 1000, store.retentionMs?.() ?? Number.POSITIVE_INFINITY);
      if (Date.now() - startedAt * 1000 > keptMs / 8) return undefined;
    }
    return [...chain, previous.response.id];
  };

  /**
   * Once a response in a conversation (Conversations API) is answered (completed or incomplete), its
   * input and output are added to the conversation, as OpenAI does, before the client is told: if
   * they cannot be (the store is away, the conversation was deleted or is full), the response fails
   * with that error instead, so that a client never continues a conversation that lacks the turn it
   * was answered. The lock goes either way.
   */
  const addToConversation = async (conversation: Conversation, body: ResponsesRequest, response: ResponseObject): Promise<void> => {
    const id = conversation.conversationId;
    if (id === undefined) return;
    // Awaited once done with (the client's next turn follows the answer at once), within the same bound.
    const release = async () => {
      if (conversation.lock) await inTime(conversation.lock.release(), id).catch(() => undefined);
    };
    if (response.status !== "completed" && response.status !== "incomplete") return release();
    try {
      const own = conversation.own ?? normalizeInput(body.input, response.id);
      let added: AppendResult;
      try {
        added = await inTime(conversations.append(id, [...own, ...(response.output as InputItemResource[])]), id);
      } catch (error) {
        logger.warn("could not add a response's items to its conversation", { conversation: id, response: response.id, error: error instanceof Error ? error.message : String(error) });
        throw error instanceof OllaixError ? error : new StateUnavailableError(`The answer could not be added to conversation '${id}': the conversation store failed. Send the turn again.`);
      }
      if (!added.ok) {
        logger.warn("a response's items were not added to its conversation", { conversation: id, response: response.id, reason: added.reason });
        if (added.reason === "missing") throw conversationNotFound(id, "conversation");
        if (added.reason !== "duplicate") throw conversationFull(id);
        throw new InvalidRequestError(`Duplicate item found with id '${added.id}': it is already in conversation '${id}'.`, { param: "input" });
      }
    } catch (error) {
      // Not awaited when the turn failed: a store that did not answer would hold the failure as long again.
      void conversation.lock?.release().catch(() => undefined);
      throw error;
    }
    await release();
  };


  /** What a stream's end does with its response: adds it to its conversation before its last event (`settle`), then stores it (unless `store: false`). */
  /**
   * A stream's end: a whole answer is stored (and added to its conversation) before the last event
   * goes, as a complete answer is before it is sent, so that a client that reads it or continues from
   * it the moment its stream ends, on any replica, finds it (a store that fails is logged, and the
   * answer still goes); a failure's end is stored as it goes.
   */
  const finisher = (isStored: boolean, conversation: Conversation, body: ResponsesRequest, owner: string | undefined, streaming?: Streaming): Pick<ResponsesStreamSettings, "onFinish" | "settle"> => {
    const toConversation = conversation.conversationId === undefined ? undefined : (response: ResponseObject) => addToConversation(conversation, body, response);
    if (!isStored) return { onFinish: undefined, settle: toConversation };
    let stored: ResponseObject | undefined;
    const store = (response: ResponseObject) => {
      stored = response;
      if (streaming?.deleted) return Promise.resolve();
      const kept = keep(response, conversation, owner);
      if (streaming) streaming.kept = kept;
      return kept;
    };
    return {
      onFinish: (response) => void (stored === response ? undefined : store(response)),
      settle: async (response) => {
        if (toConversation) await toConversation(response);
        await store(response);
      },
    };
  };

  /**
   * A stored stream of this process while it runs (its end not yet stored): read as OpenAI's is,
   * `in_progress` (GET, input_items; a cancel is OpenAI's 400 for a synchronous response), from the
   * time its client learns its id (`response.created`) until its end is in the store.
   */
  const streams = new Map<string, Streaming>();
  const streamingHere = (id: string, owner: string | undefined): StoredResponse | undefined => {
    const streaming = streams.get(id);
    return streaming === undefined || streaming.owner !== owner || streaming.deleted ? undefined : streaming.entry();
  };
  /** Registers a stored stream until its call is over and its end stored (`call.onSettled`). */
  const registerStream = (call: CallInfo, frame: ResponseFrame, conversation: Conversation, owner: string | undefined): Streaming => {
    const streaming: Streaming = { owner, entry: () => entryOf(pendingResponse(frame, "in_progress"), conversation, owner) };
    streams.set(frame.id, streaming);
    const settled = call.onSettled;
    call.onSettled = (ok) => {
      settled?.(ok);
      // A stream that failed midway is settled just before its encoder's last event stores it: its store write starts in this same turn.
      queueMicrotask(() => {
        if (streaming.kept === undefined) streams.delete(frame.id);
        else void streaming.kept.finally(() => streams.delete(frame.id));
      });
    };
    return streaming;
  };

  /** The request's conversation: most requests read nothing stored, and their input is kept as sent (made into items only if read). */
  const conversationOf = (body: ResponsesRequest, responseId: string, owner: string | undefined, locks = false): Conversation | Promise<Conversation> => {
    const ids = referencedIds(body.input);
    return ids.length > 0 || body.previous_response_id || body.conversation != null ? storedConversation(body, ids, responseId, owner, locks) : { before: NOTHING_BEFORE, input: body.input };
  };

  /**
   * A create request whose input ends with `compaction_trigger`: its output is the conversation's
   * compaction item (compact.ts), streamed or not, stored as any response. A conversation is
   * compacted because it nears the model's context: its tool outputs are shortened to fit it
   * (compact-fit.ts).
   */
  const compactResponse = async (
    body: ResponsesRequest,
    conversation: Conversation,
    chat: ChatRequest,
    frame: ResponseFrame,
    call: CallInfo,
    owner: string | undefined,
    headers: Record<string, unknown>,
  ) => {
    if (body.background === true) {
      throw new InvalidRequestError("Invalid 'background': a compaction (an input ending with compaction_trigger) cannot run in the background here.", { param: "background" });
    }
    // Something to compact besides the trigger (as the compact endpoint wants some input).
    const own = conversation.input === undefined ? 0 : Array.isArray(conversation.input) ? conversation.input.length - 1 : 1;
    if (conversation.before.length + own === 0) {
      throw new InvalidRequestError("Invalid 'input': a compaction_trigger needs a conversation to compact before it (input items, previous_response_id or conversation); there is none.", { param: "input" });
    }
    // The user messages the compaction keeps, which its item holds too (compaction.ts).
    const kept = retainedUserMessages(conversation.input === undefined ? conversation.before : [...conversation.before, ...(conversation.own ?? normalizeInput(conversation.input, frame.id))]);
    try {
      if (chat.stream !== true) {
        let added: ResponseObject | undefined;
        if (conversation.conversationId !== undefined) call.beforeOutcome = async (done) => addToConversation(conversation, body, (added = compactionResponse(done.result, frame, done.usage, nowSeconds(), kept)));
        const done = await pipeline.complete(call, chat);
        Object.assign(headers, done.headers);
        const response = added ?? compactionResponse(done.result, frame, done.usage, nowSeconds(), kept);
        if (frame.store) await keep(response, conversation, owner);
        return response;
      }
      return await pipeline.stream(call, chat, compactionStreamEncoder({ frame, kept, ...finisher(frame.store, conversation, body, owner) }));
    } catch (error) {
      throw withResponsesParam(error, (message) => messageSource(body, conversation, message));
    }
  };

  return new Elysia({ name: "ollaix:responses" })
    .onStop(() => store.close())
    .post(
      "/v1/responses",
      async function createResponse({ body: raw, request, set }) {
        const body = validate.assert(raw);
        assertInputRules(body.input);
        assertMetadataKeys(body.metadata);
        assertSupportedFields(body);
        assertBackgroundRules(body);
        const owner = ownerOf(request);
        const responseId = randomId("resp_");
        const found = conversationOf(body, responseId, owner, true);
        const conversation = found instanceof Promise ? await found : found; // no await (a microtask) for the usual request
        const call: CallInfo = { surface: "responses", request, requestId: set.headers["x-request-id"] as string, responseId, background: body.background === true ? true : undefined };
        // A conversation's lock goes when the call fails or the client leaves; an answer lets it go once its items are in.
        const lock = conversation.lock;
        if (lock) call.onSettled = (ok) => void (ok ? undefined : lock.release().catch(() => undefined));
        try {
        const chat = toChatRequest(body, conversation.before, conversation.input);
        const frame = responseFrame(body, responseId, nowSeconds());
        const isStored = frame.store;
        // Tools `additional_tools` items gave: calls are read against them too (undefined for most requests).
        const extra = additionalTools(conversation.before, conversation.input);
        const callTools = extra === undefined ? undefined : [...frame.tools, ...echoTools(extra.flatMap((item) => item.tools))];
        if (body.truncation === "auto") call.fitContext = dropOldestItems;
        if (isCompactionTrigger(body.input)) return await compactResponse(body, conversation, asCompaction(chat), frame, { ...call, fitContext: fitCompaction }, owner, set.headers);
        try {
          if (body.background === true) {
            const background = {
              pipeline,
              streamIdleTimeoutMs: config.streamIdleTimeoutMs,
              store,
              runs,
              logger,
              redact,
              entry: (response: ResponseObject, lease?: number) => entryOf(response, conversation, owner, lease),
              // A background response is stored answered before its turn is added: a failure then is logged (addToConversation).
              onEnd: conversation.conversationId === undefined ? undefined : (response: ResponseObject) => addToConversation(conversation, body, response).catch(() => undefined),
              sealsReasoning: wantsSealedReasoning(body.include),
              tools: callTools,
              inClientTerms: (error: unknown) => withResponsesParam(error, (message) => messageSource(body, conversation, message)),
            };
            return await startBackground(background, { ...call, owner }, chat, frame, set.headers);
          }
          if (chat.stream !== true) {
            const answer = (result: ChatResult, usage: TokenUsage) => toResponse(result, frame, usage, nowSeconds(), chat.logprobs === true, wantsSealedReasoning(body.include), callTools);
            // In a conversation, the turn is added before the outcome is counted: a failure there is the request's.
            let added: ResponseObject | undefined;
            if (conversation.conversationId !== undefined) call.beforeOutcome = async (done) => addToConversation(conversation, body, (added = answer(done.result, done.usage)));
            const done = await pipeline.complete(call, chat);
            Object.assign(set.headers, done.headers);
            const response = added ?? answer(done.result, done.usage);
            if (!isStored) return response;
            // Serialised once: the same text is the answer and goes into the store.
            const json = JSON.stringify(response);
            await keep(response, conversation, owner, json);
            return new JsonText(json);
          }
          const streaming = isStored ? registerStream(call, frame, conversation, owner) : undefined;
          return await pipeline.stream(
            call,
            chat,
            responsesStreamEncoder({ frame, logprobs: chat.logprobs === true, sealsReasoning: wantsSealedReasoning(body.include), tools: callTools, ...finisher(isStored, conversation, body, owner, streaming) }),
          );
        } catch (error) {
          throw withResponsesParam(error, (message) => messageSource(body, conversation, message));
        }
        } catch (error) {
          await lock?.release().catch(() => undefined);
          throw error;
        }
      },
      {
        parse: jsonBodyParsers(config.maxBodyBytes),
        detail: {
          tags: ["Responses"],
          summary: "Create a response",
          description:
            "OpenAI Responses. With `stream: true` the answer is `text/event-stream`: `event: <type>` + `data: <json>` events, `sequence_number` from 0, ending with `response.completed`, `response.incomplete` or `response.failed` (no `[DONE]`).",
        },
      },
    )
    .post(
      "/v1/responses/input_tokens",
      async function countInputTokens({ body: raw, request, set }) {
        const body = countedFields(validateCount.assert(raw));
        assertInputRules(body.input);
        assertSupportedFields(body);
        // A stored conversation is read as for a response (its ids are never shown: nothing is stored).
        const conversation = await conversationOf(body, randomId("resp_"), ownerOf(request));
        const chat = toChatRequest(body, conversation.before, conversation.input);
        const call: CallInfo = { surface: "responses", request, requestId: set.headers["x-request-id"] as string };
        // Counted as the create would send it: `truncation: "auto"` drops the oldest items that do not fit.
        if (body.truncation === "auto") call.fitContext = dropOldestItems;
        try {
          const counted = await pipeline.countTokens(call, chat, (sent) => countPromptTokens(sent.messages, sent.tools, sent.response_format));
          Object.assign(set.headers, counted.headers);
          return { object: "response.input_tokens" as const, input_tokens: counted.inputTokens };
        } catch (error) {
          throw withResponsesParam(error, (message) => messageSource(body, conversation, message));
        }
      },
      {
        parse: jsonBodyParsers(config.maxBodyBytes),
        detail: {
          tags: ["Responses"],
          summary: "Count a response's input tokens",
          description:
            "`{\"object\": \"response.input_tokens\", \"input_tokens\": N}` for what the same `POST /v1/responses` would send the model (a `previous_response_id`'s conversation included): the provider's own count where it has one (Gemini), else an estimate with a BPE tokenizer (cl100k_base), not the model's own. Nothing is generated or stored.",
        },
      },
    )
    .post(
      "/v1/responses/compact",
      async function compactConversation({ body: raw, request, set }) {
        const body = validateCompact.assert(raw);
        const asked = compactionFields(body);
        if (body.input != null) asked.input = body.input;
        if (body.previous_response_id != null) asked.previous_response_id = body.previous_response_id;
        assertInputRules(asked.input);
        assertSupportedFields(body as Parameters<typeof assertSupportedFields>[0]);
        // OpenAI's compact takes no conversation: ignoring one would compact only the input.
        if ((body as { conversation?: unknown }).conversation != null) {
          throw new InvalidRequestError("Invalid 'conversation': the compact endpoint takes no conversation; send its items as input (GET /v1/conversations/{id}/items).", { param: "conversation" });
        }
        const responseId = randomId("resp_");
        const conversation = await conversationOf(asked, responseId, ownerOf(request));
        const items = conversation.input === undefined ? conversation.before : [...conversation.before, ...normalizeInput(conversation.input, responseId)];
        if (items.length === 0) throw new InvalidRequestError("Missing required parameter: 'input'.", { param: "input" });
        const chat = toChatRequest(asked, conversation.before, conversation.input);
        withCompactionPrompt(chat);
        // A conversation is compacted because it nears the model's context: its tool outputs are shortened to fit it (compact-fit.ts).
        const call: CallInfo = { surface: "responses", request, requestId: set.headers["x-request-id"] as string, responseId, fitContext: fitCompaction };
        try {
          const done = await pipeline.complete(call, chat);
          Object.assign(set.headers, done.headers);
          return compactedResponse(responseId, items, summaryOf(done.result), done.usage, done.result.usage, nowSeconds());
        } catch (error) {
          throw withResponsesParam(error, (message) => messageSource(asked, conversation, message));
        }
      },
      {
        parse: jsonBodyParsers(config.maxBodyBytes),
        detail: {
          tags: ["Responses"],
          summary: "Compact a conversation",
          description:
            "OpenAI's `client.responses.compact`: the model summarises the conversation (`input`, after a `previous_response_id`'s), and the answer (`response.compaction`) is its user messages (newest first within 64,000 tokens) and one `compaction` item holding the summary. Send that output as the next request's input in place of the conversation. The item's `encrypted_content` is this gateway's encoding of the summary (readable, not encrypted); other compaction items are a 400. Nothing is stored.",
        },
      },
    )
    .get(
      "/v1/responses/:response_id",
      async function getResponse({ params, query, request }) {
        const include = assertIncludeQuery(request.url);
        const owner = ownerOf(request);
        const stored = await ownStored(params.response_id, owner);
        if (!stored) throw notFound(params.response_id);
        if (!isTrue(query.stream, "stream")) return wantsSealedReasoning(include) ? withSealedReasoning(stored.response) : stored.response;
        // A background stream again, from after `starting_after` (its events stay a while after it ends).
        const after = startingAfter(query.starting_after);
        const run = runs.get(params.response_id, owner);
        if (run === undefined && stored.response.background === true && runs.channel) {
          // Running (or run) on another replica: its events come through the run channel.
          const followed = await runs.channel.follow(params.response_id, after, () => ownStored(params.response_id, owner));
          if (followed) return new Response(endingConnection(followed, request, config.streamIdleTimeoutMs), { status: 200, headers: SSE_HEADERS });
        }
        if (run?.events === undefined) {
          throw new InvalidRequestError(
            stored.response.background === true
              ? "This response's events are not available: only a streamed background response's are, until a few minutes after it ends. Retrieve it without 'stream'."
              : "Only a streamed background response (created with background and stream true) can be streamed again.",
            { param: "stream" },
          );
        }
        return new Response(endingConnection(run.follow(after), request, config.streamIdleTimeoutMs), { status: 200, headers: SSE_HEADERS });
      },
      {
        detail: {
          tags: ["Responses"],
          summary: "Get a stored response",
          description:
            "With `stream=true` (a streamed background response only), its events again as `text/event-stream`: those after `sequence_number` `starting_after` (all without it), then the rest as they come.",
        },
      },
    )
    .delete(
      "/v1/responses/:response_id",
      async function deleteResponse({ params, request }) {
        const owner = ownerOf(request);
        const stored = await ownStored(params.response_id, owner);
        if (!stored) throw notFound(params.response_id);
        // A stored stream of this process still running: its end is not stored (the client's stream
        // goes on); one whose end is being written is deleted once written.
        const streaming = streams.get(params.response_id);
        if (streaming !== undefined && streaming.owner === owner && stored.lease === undefined && isRunning(stored.response.status)) {
          streaming.deleted = true;
          await streaming.kept?.catch(() => undefined);
          await store.delete(params.response_id);
          return { id: params.response_id, object: "response" as const, deleted: true as const };
        }
        // A running background response stops, and its end is not stored: its writes are over before the delete.
        const run = runs.get(params.response_id, owner);
        const isStoppedHere = run !== undefined && !run.isFinished;
        if (isStoppedHere) {
          run.markDeleted(false); // its events go below, after the response
          run.cancel();
          await run.final;
        }
        let isFound = false;
        try {
          isFound = await store.delete(params.response_id);
        } finally {
          // Its events go too, once the response has: or at once, for a run stopped here (whatever
          // the store said), whose pending writes might otherwise bring them back.
          if (stored.response.background === true && (isFound || isStoppedHere)) runs.channel?.discard(params.response_id);
        }
        if (!isFound) throw notFound(params.response_id);
        if (stored.response.background === true && run === undefined && isRunning(stored.response.status)) {
          await tellStop(params.response_id, "delete"); // running on another replica: it stops there now (else at its next renewal)
        }
        return { id: params.response_id, object: "response" as const, deleted: true as const };
      },
      { detail: { tags: ["Responses"], summary: "Delete a stored response" } },
    )
    .post(
      "/v1/responses/:response_id/cancel",
      async function cancelResponse({ params, request }) {
        const owner = ownerOf(request);
        const run = runs.get(params.response_id, owner);
        if (run && !run.isFinished) {
          run.cancel();
          return await run.final;
        }
        const stored = await ownStored(params.response_id, owner);
        if (!stored) throw notFound(params.response_id);
        if (stored.response.background !== true) throw new InvalidRequestError("Cannot cancel a synchronous response.", { param: null });
        const status = stored.response.status;
        if (!isRunning(status)) return stored.response; // finished: returned as it is
        // Running on another replica: marked only if it still runs there, in one step (an end stored
        // meanwhile stands); that replica is told to stop it now, and would at its next lease renewal.
        const cancelled: ResponseObject = { ...stored.response, status: "cancelled" };
        if ((await store.putIfRunning({ ...stored, response: cancelled })) === "written") {
          await tellStop(params.response_id, "cancel");
          // The run's own end keeps its text so far: answered as the replica running it would, once it lands.
          return (await endStoredBy(params.response_id, owner)) ?? cancelled;
        }
        const now = await ownStored(params.response_id, owner);
        if (!now) throw notFound(params.response_id);
        return now.response;
      },
      {
        parse: noBodyParsers(config.maxBodyBytes),
        detail: {
          tags: ["Responses"],
          summary: "Cancel a background response",
          description:
            "Only responses created with `background: true` can be cancelled (others are a 400). A running one stops (its provider call is aborted) and is returned `cancelled`; a finished one is returned as it is.",
        },
      },
    )
    .get(
      "/v1/responses/:response_id/input_items",
      async function listResponseInputItems({ params, query, request }) {
        assertIncludeQuery(request.url);
        const stored = await ownStored(params.response_id, ownerOf(request));
        if (!stored) throw notFound(params.response_id);
        const read = await inputItemsOf(stored, stored.owner, (gone) =>
          new NotFoundError(`Input items of response '${params.response_id}' not found: the earlier response '${gone}' its conversation continues was deleted or has expired.`, { param: "response_id" }),
        );
        return listInputItems(read.items, query);
      },
      {
        detail: {
          tags: ["Responses"],
          summary: "List a stored response's input items",
          description: "Newest first by default (`order=asc` reverses); `limit` 1-100 (default 20) and `after` page through them.",
        },
      },
    );
}
