import type { MappedError } from "../../error-response.ts";
import { randomId } from "../../ids.ts";
import type { StreamEncoder } from "../../pipeline/encoder.ts";
import type { ChunkResult } from "../../plugin.ts";
import type { FinishReason } from "../../schemas/chat.ts";
import type { Usage } from "../../schemas/common.ts";
import { SSE_HEADERS } from "../../sse.ts";
import { toAnthropicErrorBody } from "./envelope.ts";
import { matchedStopOf, REFUSAL, toStopReason } from "./map-stop-reason.ts";
import { callExtras, encodeSignature } from "./thinking-signature.ts";
import type { AppliedEdit } from "./context-editing.ts";
import { toToolUseId } from "./tool-use-id.ts";
import { DIRECT, parseToolInput, stopDetailsOf, toAnthropicUsage, toDeltaUsage } from "./from-chat-result.ts";

export interface MessagesStreamSettings {
  id: string;
  /** The id the client asked for. */
  model: string;
  stopSequences?: readonly string[];
  /** Ollaix's own count of the prompt, for `message_start` when the provider gave none up front. */
  estimatedInput: () => number;
  /** `thinking.display: "omitted"`: thinking blocks stream no text; their signature carries it for the next turn. */
  omitThinking?: boolean;
  /** The context edits applied (context-editing.ts), for `message_delta`, when the request asked for context management. */
  contextManagement?: { applied_edits: AppliedEdit[] };
  /**
   * Whether a tool's input streams as it comes (fine-grained tool streaming: possibly invalid JSON,
   * as Anthropic warns); else it is held until its block ends and sent checked, as Anthropic's
   * default mode does: one `input_json_delta` of a JSON object (what `parseToolInput` makes of
   * text that is not one, as the non-streamed answer has it). Default: every tool is held.
   */
  streamsInput?: (name: string) => boolean;
  /** The request's id, for an error event's `request_id`. */
  requestId?: string;
}

/** How often an omitted thinking's stream pings (Anthropic's own `ping` event), while the model thinks. */
const PING_EVERY_MS = 5_000;

const event = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;

/** A tool block open: its call's delta index, and its input so far when it is held until the block ends (`held`). */
type Open = { kind: "none" } | { kind: "thinking" } | { kind: "text" } | { kind: "tool"; call: number; held?: string };

/**
 * A tool's whole input as Anthropic's default mode streams it: valid JSON of an object. Text that is
 * one goes as it came; anything else (broken JSON from a local model, an array, two objects run
 * together) as the object the non-streamed answer has for it; no input at all, no delta.
 */
function checkedInput(text: string): string {
  if (text.trim() === "") return "";
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return text;
  } catch {
    // not JSON: parseToolInput keeps it as text
  }
  return JSON.stringify(parseToolInput(text));
}
type Held = { kind: "call"; index: number; id: string | undefined; name: string | undefined; args: string; extras?: Record<string, unknown> } | { kind: "text" | "thinking"; text: string };

/**
 * Anthropic's Messages stream from the chat chunks, with the block state explicit: one block is
 * open at a time, each is closed (`content_block_stop`) before the next opens, indexes grow by one
 * (a tool_use block, once open, stays open to the end: what comes meanwhile is written after it),
 * thinking never goes into a text block, and a thinking block ends with Ollaix's `signature_delta`.
 * `message_start` is written with the first chunk, so a provider that reports prompt usage on it
 * is believed; otherwise `usage.input_tokens` is the gateway's own count, never a placeholder 0.
 * The first choice only (Anthropic has no `n`); the chunks are read, never changed.
 */
export function messagesStreamEncoder(s: MessagesStreamSettings): StreamEncoder {
  let started = false;
  let open: Open = { kind: "none" };
  let index = -1;
  let inputTokens = 0;
  let usage: Usage | undefined;
  let finish: FinishReason | undefined;
  let matched: unknown;
  let hasToolCalls = false;
  /** The provider refused (an OpenAI `refusal` delta): its text is a text block, and the stop reason `refusal`. */
  let refused = false;
  /** Output characters, for an estimate when the provider reports no usage. */
  let outputChars = 0;
  /** The open thinking block's text, when it is omitted from the stream (it goes in the signature). */
  let omitted = "";
  /** When the last ping went, while thinking is omitted. */
  let lastPing = Date.now();
  /** Provider tool-call index → whether its block was opened (a late delta for a closed one is dropped). */
  const seenCalls = new Set<number>();
  /** Tool calls (by their delta index) seen before their name: their id and arguments so far. */
  let unnamed: Map<number, { id: string | undefined; args: string }> | undefined;
  /**
   * What came while a tool_use block was open, other than its own arguments: other calls (by their
   * delta index), text, thinking, in the order they came, written once the stream ends. A tool_use
   * block stays open until then, as an upstream may send more of its arguments after another call
   * began (parallel calls' headers first, then each one's arguments) or after text; Anthropic's
   * blocks cannot interleave, nor a closed one reopen.
   */
  let queued: Held[] | undefined;
  let queuedCalls: Map<number, Extract<Held, { kind: "call" }>> | undefined;
  const queue = (item: Held): void => void (queued ??= []).push(item);
  const queueText = (kind: "text" | "thinking", text: string): void => {
    const last = queued?.at(-1);
    if (last?.kind === kind) last.text += text;
    else queue({ kind, text });
  };
  /** `extras`: the call's own fields besides id and function, as its delta carried them (its id carries them on). */
  const openTool = (index: number, callId: string | undefined, name: string, extras?: Record<string, unknown>): string => {
    seenCalls.add(index);
    const next: Open = s.streamsInput?.(name) === true ? { kind: "tool", call: index } : { kind: "tool", call: index, held: "" };
    return openBlock(next, { type: "tool_use", id: toToolUseId(callId || randomId("call_"), extras), name, input: {}, caller: DIRECT });
  };
  /** Arguments of the open tool block: sent now when its input streams, else held for its end. */
  const toolInput = (args: string): string => {
    if (open.kind === "tool" && open.held !== undefined) {
      open.held += args;
      return "";
    }
    return delta({ type: "input_json_delta", partial_json: args });
  };

  const start = (chunk: ChunkResult | undefined): string => {
    started = true;
    const reported = chunk?.usage?.prompt_tokens;
    inputTokens = reported !== undefined && reported > 0 ? reported : s.estimatedInput();
    const message = {
      id: s.id,
      type: "message",
      role: "assistant",
      model: s.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      stop_details: null,
      container: null,
      diagnostics: null,
      usage: toAnthropicUsage(undefined, () => inputTokens, 1),
    };
    return event("message_start", { type: "message_start", message }) + event("ping", { type: "ping" });
  };

  const close = (): string => {
    if (open.kind === "none") return "";
    let out = "";
    if (open.kind === "tool" && open.held !== undefined) {
      const input = checkedInput(open.held);
      if (input !== "") out += delta({ type: "input_json_delta", partial_json: input });
    }
    if (open.kind === "thinking") {
      const signature = encodeSignature(s.omitThinking ? { thinking: omitted } : {});
      omitted = "";
      out += event("content_block_delta", { type: "content_block_delta", index, delta: { type: "signature_delta", signature } });
    }
    open = { kind: "none" };
    return out + event("content_block_stop", { type: "content_block_stop", index });
  };

  const openBlock = (next: Open, contentBlock: object): string => {
    const out = close();
    open = next;
    index++;
    return out + event("content_block_start", { type: "content_block_start", index, content_block: contentBlock });
  };

  const delta = (d: object) => event("content_block_delta", { type: "content_block_delta", index, delta: d });

  const chunk = (c: ChunkResult): string => {
    let out = started ? "" : start(c);
    if (c.usage) usage = c.usage;
    const choice = c.choices.find((x) => x.index === 0);
    if (!choice) return out;
    const d = choice.delta;
    const reasoning = (d as { reasoning_content?: unknown }).reasoning_content;
    if (typeof reasoning === "string" && reasoning !== "" && open.kind === "tool") {
      outputChars += reasoning.length;
      queueText("thinking", reasoning);
    } else if (typeof reasoning === "string" && reasoning !== "") {
      if (open.kind !== "thinking") out += openBlock({ kind: "thinking" }, { type: "thinking", thinking: "", signature: "" });
      outputChars += reasoning.length;
      if (!s.omitThinking) out += delta({ type: "thinking_delta", thinking: reasoning });
      else {
        omitted += reasoning;
        // Nothing of an omitted thinking is sent: a ping now and then keeps proxies from taking a long think for a dead stream.
        const now = Date.now();
        if (now - lastPing >= PING_EVERY_MS) {
          lastPing = now;
          out += event("ping", { type: "ping" });
        }
      }
    }
    if (typeof d.content === "string" && d.content !== "" && open.kind === "tool") {
      outputChars += d.content.length;
      queueText("text", d.content);
    } else if (typeof d.content === "string" && d.content !== "") {
      if (open.kind !== "text") out += openBlock({ kind: "text" }, { type: "text", text: "", citations: null });
      outputChars += d.content.length;
      out += delta({ type: "text_delta", text: d.content });
    }
    if (typeof d.refusal === "string" && d.refusal !== "" && open.kind === "tool") {
      refused = true;
      outputChars += d.refusal.length;
      queueText("text", d.refusal);
    } else if (typeof d.refusal === "string" && d.refusal !== "") {
      refused = true;
      if (open.kind !== "text") out += openBlock({ kind: "text" }, { type: "text", text: "", citations: null });
      outputChars += d.refusal.length;
      out += delta({ type: "text_delta", text: d.refusal });
    }
    for (const call of d.tool_calls ?? []) {
      hasToolCalls = true;
      const isCurrent = open.kind === "tool" && open.call === call.index;
      let args = call.function?.arguments;
      if (!isCurrent && (open.kind === "tool" || queuedCalls?.has(call.index))) {
        // Another call while one is open: held whole until the end (its name, id and arguments as they come).
        let waiting = queuedCalls?.get(call.index);
        if (waiting === undefined) {
          const before = unnamed?.get(call.index);
          if (before) unnamed!.delete(call.index);
          waiting = { kind: "call", index: call.index, id: before?.id, name: undefined, args: before?.args ?? "" };
          (queuedCalls ??= new Map()).set(call.index, waiting);
          queue(waiting);
        }
        waiting.id ||= call.id;
        waiting.name ||= call.function?.name;
        waiting.extras ??= callExtras(call);
        if (args) {
          outputChars += args.length;
          waiting.args += args;
        }
        continue;
      }
      if (!isCurrent) {
        if (seenCalls.has(call.index)) continue; // its block is closed: Anthropic cannot reopen it
        const name = call.function?.name;
        const held = unnamed?.get(call.index);
        if (!name) {
          // Its name has not come yet (some OpenAI-compatible servers send it after the id): held, so
          // that its block starts named, as clients read the name from content_block_start.
          const waiting = held ?? { id: undefined, args: "" };
          waiting.id ||= call.id;
          if (args) waiting.args += args;
          (unnamed ??= new Map()).set(call.index, waiting);
          continue;
        }
        if (held) {
          unnamed!.delete(call.index);
          args = held.args + (args ?? "");
        }
        out += openTool(call.index, call.id || held?.id, name, callExtras(call));
      }
      if (args) {
        outputChars += args.length;
        out += toolInput(args);
      }
    }
    if (choice.finish_reason) {
      finish = choice.finish_reason;
      matched = matchedStopOf(choice);
    }
    return out;
  };

  return {
    headers: SSE_HEADERS,
    // Written with the first chunk (its usage may carry the prompt's count): see chunk().
    start: () => "",
    chunk,
    end() {
      let out = started ? "" : start(undefined);
      // A call whose name never came is still the model's call: its block starts as it is.
      if (unnamed !== undefined) {
        for (const [index, held] of unnamed) {
          out += openTool(index, held.id, "");
          if (held.args) {
            outputChars += held.args.length;
            out += toolInput(held.args);
          }
        }
        unnamed = undefined;
      }
      for (const item of queued ?? []) {
        if (item.kind === "call") {
          out += openTool(item.index, item.id, item.name ?? "", item.extras);
          if (item.args) out += toolInput(item.args);
        } else if (item.kind === "text") {
          out += openBlock({ kind: "text" }, { type: "text", text: "", citations: null }) + delta({ type: "text_delta", text: item.text });
        } else {
          out += openBlock({ kind: "thinking" }, { type: "thinking", thinking: "", signature: "" });
          if (s.omitThinking) omitted = item.text;
          else out += delta({ type: "thinking_delta", thinking: item.text });
        }
      }
      queued = undefined;
      out += close();
      // A refusal cut off by the token limit is reported as cut off.
      const stop = refused && !hasToolCalls && finish !== "length" ? REFUSAL : toStopReason(finish, { hasToolCalls, matched, stopSequences: s.stopSequences });
      // The totals (a client adds each field it is given onto message_start's): the provider's when it reports them.
      const final = toDeltaUsage(usage, () => inputTokens, Math.ceil(outputChars / 4));
      const said = { ...stop, stop_details: stopDetailsOf(stop.stop_reason), container: null };
      out += event("message_delta", s.contextManagement ? { type: "message_delta", delta: said, usage: final, context_management: s.contextManagement } : { type: "message_delta", delta: said, usage: final });
      return out + event("message_stop", { type: "message_stop" });
    },
    error: (mapped: MappedError) => {
      return (started ? "" : start(undefined)) + event("error", toAnthropicErrorBody(mapped, s.requestId).body);
    },
  };
}
