import type { MappedError } from "../../error-response.ts";
import { nowSeconds, randomId } from "../../ids.ts";
import type { StreamEncoder } from "../../pipeline/encoder.ts";
import type { TokenUsage } from "../../pipeline/outcome.ts";
import type { ChunkResult } from "../../plugin.ts";
import type { Usage } from "../../schemas/common.ts";
import { SSE_HEADERS } from "../../sse.ts";
import { CustomInputStream, customInput, customToolNames } from "./custom-tools.ts";
import { namespacedCalls } from "./namespace-tools.ts";
import { outputItemId } from "./item-ids.ts";
import { type LogProb, tokenLogprobs } from "../../token-logprobs.ts";
import { failedResponse, finishedResponse, responseUsage, statusOf, tierOf, type ResponseFrame } from "./response-frame.ts";
import { responsesEvents } from "./stream-events.ts";
import { sealReasoning } from "./sealed-text.ts";
import type { EchoedTool, OutputItem, OutputMessageItem, ResponseObject } from "./response-schema.ts";

export interface ResponsesStreamSettings {
  frame: ResponseFrame;
  /** Sees the final response (completed, incomplete or failed): where it is stored. */
  onFinish?(response: ResponseObject): void;
  /**
   * Runs before an answered response's last event (its turn added to its conversation): if it
   * fails, the stream ends `response.failed` with its error instead (as a call that failed then would).
   */
  settle?(response: ResponseObject): Promise<void>;
  /** The request's `include` asked for the output text's log probabilities: the provider's go with each text delta. */
  logprobs?: boolean;
  /** The request's `include` asked for reasoning items' `encrypted_content` (sealed-text.ts). */
  sealsReasoning?: boolean;
  /** The tools calls are read against when `additional_tools` items gave more than the request's (`frame.tools`). */
  tools?: readonly EchoedTool[];
}

/** A text or reasoning item being streamed: its id, output index, text so far, and its delta events' fixed head. */
interface OpenText {
  id: string;
  index: number;
  text: string;
  head: string;
}

/** A content part of the message being streamed (`output_text` or `refusal`): its index in the message, its text so far, its delta events' head. */
interface OpenPart {
  contentIndex: number;
  text: string;
  head: string;
  /** The text's log probabilities so far, when asked for (the head then ends before `"logprobs"`). */
  logprobs?: LogProb[];
}

/** The message item being streamed: its parts open in the order their first delta came (text, refusal). */
interface OpenMessage {
  id: string;
  index: number;
  parts: number;
  output?: OpenPart;
  refusal?: OpenPart;
}

interface OpenCall {
  id: string;
  index: number;
  callId: string;
  name: string;
  args: string;
  head: string;
  /** A custom tool's call: its input decoded from the arguments as they stream. */
  custom?: CustomInputStream;
  /** A namespace's tool: its namespace (`name` is then the tool's own). */
  namespace?: string;
}

/** Whether a call's arguments are a whole JSON object (more could not follow and still parse). */
function isWholeJson(args: string): boolean {
  if (args === "") return false;
  try {
    const value: unknown = JSON.parse(args);
    return typeof value === "object" && value !== null;
  } catch {
    return false;
  }
}

/** A call item's `namespace` (when it has one) and `name`. */
const namingOf = (c: OpenCall): { namespace?: string; name: string } => (c.namespace === undefined ? { name: c.name } : { namespace: c.namespace, name: c.name });

/**
 * OpenAI Responses' stream: `event: <type>` + `data: <json>` frames with a `sequence_number` from 0
 * in steps of 1. `response.created` and `response.in_progress` open it; each output item (reasoning,
 * message, function_call, custom_tool_call) is added, streamed and done with its own `output_index` (calls stay
 * open until the end, so text or thinking after a call streams while it is open); then
 * `response.completed` (or `response.incomplete`), or `response.failed` after a failure. The state
 * (which item is open, its index) is explicit; the provider's chunks are only read. Delta events are
 * built from a precomputed head plus the delta: one string per event, no object per event.
 */
export function responsesStreamEncoder(s: ResponsesStreamSettings): StreamEncoder {
  const { frame } = s;
  let nextIndex = 0;
  /** Whether a message or a call item was made (an answer with neither gets an empty message). */
  let madeMessageOrCall = false;
  /** The output index of the last message or reasoning item opened (-1: none). */
  let lastTextIndex = -1;
  const output: OutputItem[] = [];
  let message: OpenMessage | undefined;
  let reasoning: OpenText | undefined;
  const calls = new Map<number, OpenCall>();
  const customTools = customToolNames(s.tools ?? frame.tools);
  const namespaced = namespacedCalls(s.tools ?? frame.tools);
  let finishReason: string | null | undefined;
  let reported: Usage | undefined;
  let tier: string | undefined;
  /** What `end` wrote before a `settle` that failed: said by `error`, first. */
  let unsaid = "";
  /** Tool calls (by their delta index) seen before their name: their id and arguments so far. */
  let unnamed: Map<number, { id: string | undefined; args: string }> | undefined;
  /** Tokens' log probabilities that came on a chunk without text (a provider's parser holding text back): the next text's. */
  let heldLogprobs: LogProb[] | undefined;

  const { event, responseEvent, opening } = responsesEvents(frame);
  const itemEvent = (type: string, index: number, item: OutputItem): string =>
    event(type, `"output_index":${index},"item":${JSON.stringify(item)}`);
  const where = (id: string, index: number) => `"item_id":"${id}","output_index":${index}`;

  /** Opens the message item, the output's next (its parts open with their first delta). */
  const openMessage = (): string => {
    const index = nextIndex++;
    lastTextIndex = index;
    madeMessageOrCall = true;
    const id = outputItemId("msg_", frame.id, index);
    message = { id, index, parts: 0 };
    return itemEvent("response.output_item.added", index, { id, type: "message", role: "assistant", status: "in_progress", content: [] });
  };
  const openText = (m: OpenMessage): string => {
    const at = `${where(m.id, m.index)},"content_index":${m.parts}`;
    m.output = s.logprobs
      ? { contentIndex: m.parts++, text: "", head: `${at},"logprobs":`, logprobs: [] }
      : { contentIndex: m.parts++, text: "", head: `${at},"logprobs":[],"delta":` };
    return event("response.content_part.added", `${at},"part":{"type":"output_text","text":"","annotations":[],"logprobs":[]}`);
  };
  const openRefusal = (m: OpenMessage): string => {
    const at = `${where(m.id, m.index)},"content_index":${m.parts}`;
    m.refusal = { contentIndex: m.parts++, text: "", head: `${at},"delta":` };
    return event("response.content_part.added", `${at},"part":{"type":"refusal","refusal":""}`);
  };
  /** The message item, opened if it is not (what was open before it closed first). */
  const messageOpen = (): string => (message ? "" : (reasoning ? closeReasoning() : "") + openMessage());
  const partDelta = (type: string, part: OpenPart, delta: string): string => {
    part.text += delta;
    return event(type, part.head + JSON.stringify(delta));
  };
  /** A text delta with its tokens' log probabilities (kept for the part's end too). */
  const textDelta = (part: OpenPart, delta: string, logprobs: LogProb[]): string => {
    part.text += delta;
    for (const logprob of logprobs) part.logprobs!.push(logprob);
    return event("response.output_text.delta", `${part.head}${JSON.stringify(logprobs)},"delta":${JSON.stringify(delta)}`);
  };
  /** The message's parts done in content order, then the item; a message with no part gets an empty `output_text`, as in the complete form. */
  const closeMessage = (status: "completed" | "incomplete"): string => {
    const m = message!;
    message = undefined;
    let out = m.parts === 0 ? openText(m) : "";
    const content: OutputMessageItem["content"] = [];
    for (let i = 0; i < m.parts; i++) {
      const at = `${where(m.id, m.index)},"content_index":${i}`;
      if (m.output?.contentIndex === i) {
        const part = { type: "output_text" as const, text: m.output.text, annotations: [], logprobs: m.output.logprobs ?? [] };
        content.push(part);
        out +=
          event("response.output_text.done", `${at},"text":${JSON.stringify(part.text)},"logprobs":${part.logprobs.length === 0 ? "[]" : JSON.stringify(part.logprobs)}`) +
          event("response.content_part.done", `${at},"part":${JSON.stringify(part)}`);
      } else {
        const part = { type: "refusal" as const, refusal: m.refusal!.text };
        content.push(part);
        out +=
          event("response.refusal.done", `${at},"refusal":${JSON.stringify(part.refusal)}`) +
          event("response.content_part.done", `${at},"part":${JSON.stringify(part)}`);
      }
    }
    const item: OutputItem = { id: m.id, type: "message", role: "assistant", status, content };
    output[m.index] = item;
    return out + itemEvent("response.output_item.done", m.index, item);
  };

  const openReasoning = (): string => {
    const index = nextIndex++;
    lastTextIndex = index;
    const id = outputItemId("rs_", frame.id, index);
    reasoning = { id, index, text: "", head: `${where(id, index)},"summary_index":0,"delta":` };
    return (
      itemEvent("response.output_item.added", index, { id, type: "reasoning", summary: [] }) +
      event("response.reasoning_summary_part.added", `${where(id, index)},"summary_index":0,"part":{"type":"summary_text","text":""}`)
    );
  };
  const closeReasoning = (): string => {
    const r = reasoning!;
    reasoning = undefined;
    const part = { type: "summary_text" as const, text: r.text };
    const item: OutputItem = { id: r.id, type: "reasoning", summary: [part] };
    if (s.sealsReasoning) item.encrypted_content = sealReasoning(r.text);
    output[r.index] = item;
    return (
      event("response.reasoning_summary_text.done", `${where(r.id, r.index)},"summary_index":0,"text":${JSON.stringify(r.text)}`) +
      event("response.reasoning_summary_part.done", `${where(r.id, r.index)},"summary_index":0,"part":${JSON.stringify(part)}`) +
      itemEvent("response.output_item.done", r.index, item)
    );
  };

  const openCall = (toolIndex: number, callId: string | undefined, name: string | undefined): string => {
    const index = nextIndex++;
    madeMessageOrCall = true;
    // A namespace's tool: its namespace and its own name (namespace-tools.ts).
    const inNamespace = name !== undefined ? namespaced?.get(name) : undefined;
    const isCustom = inNamespace ? inNamespace.custom : name !== undefined && customTools?.has(name) === true;
    const id = outputItemId(isCustom ? "ctc_" : "fc_", frame.id, index);
    const call: OpenCall = { id, index, callId: callId || randomId("call_"), name: inNamespace?.name ?? name ?? "", args: "", head: `${where(id, index)},"delta":` };
    if (inNamespace) call.namespace = inNamespace.namespace;
    calls.set(toolIndex, call);
    const naming = call.namespace === undefined ? { name: call.name } : { namespace: call.namespace, name: call.name };
    if (isCustom) {
      call.custom = new CustomInputStream();
      return itemEvent("response.output_item.added", index, { id, type: "custom_tool_call", status: "in_progress", call_id: call.callId, ...naming, input: "" });
    }
    return itemEvent("response.output_item.added", index, {
      id, type: "function_call", status: "in_progress", call_id: call.callId, ...naming, arguments: "",
    });
  };
  /** A fragment of a call's arguments: a function's as it is, a custom tool's as the input text it adds (if any yet). */
  const callDelta = (call: OpenCall, args: string): string => {
    call.args += args;
    if (!call.custom) return event("response.function_call_arguments.delta", call.head + JSON.stringify(args));
    const text = call.custom.push(args);
    return text === "" ? "" : event("response.custom_tool_call_input.delta", call.head + JSON.stringify(text));
  };
  const closeCall = (c: OpenCall, status: "completed" | "incomplete" = "completed"): string => {
    if (c.custom) {
      // The deltas and the input agree: only arguments the decoder misread (a key given twice) differ, and then the deltas' text is kept.
      const parsed = customInput(c.args);
      const input = parsed.startsWith(c.custom.sent) ? parsed : c.custom.sent + c.custom.held;
      const rest = c.custom.rest(input);
      const item: OutputItem = { id: c.id, type: "custom_tool_call", status, call_id: c.callId, ...namingOf(c), input };
      output[c.index] = item;
      return (
        (rest === "" ? "" : event("response.custom_tool_call_input.delta", c.head + JSON.stringify(rest))) +
        event("response.custom_tool_call_input.done", `${where(c.id, c.index)},"input":${JSON.stringify(input)}`) +
        itemEvent("response.output_item.done", c.index, item)
      );
    }
    const item: OutputItem = { id: c.id, type: "function_call", status, call_id: c.callId, ...namingOf(c), arguments: c.args };
    output[c.index] = item;
    return (
      event("response.function_call_arguments.done", `${where(c.id, c.index)},"name":${JSON.stringify(c.name)},"arguments":${JSON.stringify(c.args)}`) +
      itemEvent("response.output_item.done", c.index, item)
    );
  };
  /** The open calls done: `incomplete` when the answer was cut (a call cut by the output limit has arguments cut short). */
  const closeCalls = (status: "completed" | "incomplete" = "completed"): string => {
    let out = "";
    for (const c of calls.values()) out += closeCall(c, status);
    calls.clear();
    return out;
  };

  /**
   * Closes whatever is open, in output order. Function calls, once open, close only at the end: an
   * upstream may send more of a call's arguments after text or thinking (the openai-compatible
   * plugin's `"{}"` for a call that had none comes with the finish), and they are the call's. A call
   * opening closes the message and the reasoning, so what else is open came after the calls.
   */
  const closeAll = (status: "completed" | "incomplete"): string =>
    (calls.size > 0 ? closeCalls(status) : "") + (reasoning ? closeReasoning() : "") + (message ? closeMessage(status) : "");

  return {
    headers: SSE_HEADERS,
    start: opening,
    chunk(chunk: ChunkResult): string {
      if (chunk.usage) {
        reported = chunk.usage;
        tier = tierOf(chunk); // OpenAI's usage chunk says the tier used too
      }
      let out = "";
      for (const choice of chunk.choices) {
        if (choice.index !== 0) continue; // Responses has one answer; n > 1 is never asked of the provider
        const delta = choice.delta;
        const thinking = (delta as { reasoning_content?: unknown }).reasoning_content;
        const isThinking = typeof thinking === "string" && thinking.length > 0;
        if (isThinking) {
          if (!reasoning) out += (message ? closeMessage("completed") : "") + openReasoning();
          reasoning!.text += thinking;
          out += event("response.reasoning_summary_text.delta", reasoning!.head + JSON.stringify(thinking));
        }
        const text = delta.content;
        if (typeof text === "string" && text.length > 0) {
          out += messageOpen();
          if (!message!.output) out += openText(message!);
          const part = message!.output!;
          if (part.logprobs) {
            let tokens = tokenLogprobs(choice.logprobs);
            if (heldLogprobs) {
              tokens = heldLogprobs.concat(tokens);
              heldLogprobs = undefined;
            }
            out += textDelta(part, text, tokens);
          } else out += partDelta("response.output_text.delta", part, text);
        } else if (s.logprobs && choice.logprobs != null && !isThinking && !delta.tool_calls?.length) {
          // Tokens with no text of their own: after the text, the text's (a provider's last tokens);
          // before it, held for it. A thinking chunk's tokens are the reasoning's, a tool call's its arguments'.
          const tokens = tokenLogprobs(choice.logprobs);
          const part = message?.output;
          if (part?.logprobs) for (const token of tokens) part.logprobs.push(token);
          else if (tokens.length > 0) heldLogprobs = heldLogprobs ? heldLogprobs.concat(tokens) : tokens;
        }
        const refusal = delta.refusal;
        if (typeof refusal === "string" && refusal.length > 0) {
          out += messageOpen();
          if (!message!.refusal) out += openRefusal(message!);
          out += partDelta("response.refusal.delta", message!.refusal!, refusal);
        }
        const toolCalls = delta.tool_calls;
        if (toolCalls) {
          for (const tc of toolCalls) {
            let call = calls.get(tc.index);
            const args = tc.function?.arguments;
            if (!call) {
              const name = tc.function?.name;
              if (!name) {
                // Its name has not come yet (some OpenAI-compatible servers send it after the id): held,
                // so that its item opens named, as clients read the name from `output_item.added`.
                const held = (unnamed ??= new Map()).get(tc.index) ?? { id: undefined, args: "" };
                held.id ||= tc.id;
                if (args) held.args += args;
                unnamed.set(tc.index, held);
                continue;
              }
              const held = unnamed?.get(tc.index);
              if (held) unnamed!.delete(tc.index);
              heldLogprobs = undefined; // what was held was the call's
              out += (reasoning ? closeReasoning() : "") + (message ? closeMessage("completed") : "");
              out += openCall(tc.index, tc.id || held?.id, name);
              call = calls.get(tc.index)!;
              if (held?.args) out += callDelta(call, held.args);
            }
            if (args) out += callDelta(call, args);
          }
        }
        if (choice.finish_reason) finishReason = choice.finish_reason;
      }
      return out;
    },
    end(tokens?: TokenUsage): string | Promise<string> {
      const ended = statusOf(finishReason);
      let out = "";
      // A call whose name never came is still the model's call: opened as it is, then closed.
      if (unnamed !== undefined) {
        for (const [index, held] of unnamed) {
          out += (reasoning ? closeReasoning() : "") + (message ? closeMessage("completed") : "") + openCall(index, held.id, undefined);
          if (held.args) out += callDelta(calls.get(index)!, held.args);
        }
        unnamed = undefined;
      }
      out += closeAll(ended.status === "completed" ? "completed" : "incomplete");
      // An answer with neither text nor a call (nothing, or thinking alone) has one empty message, as in the complete form.
      if (!madeMessageOrCall) out += openMessage() + closeMessage(ended.status === "completed" ? "completed" : "incomplete");
      const usage = tokens ? responseUsage(tokens, reported) : undefined;
      const response = finishedResponse(frame, ended, output, usage, nowSeconds(), tier);
      const last = () => {
        s.onFinish?.(response);
        return out + responseEvent(ended.status === "completed" ? "response.completed" : "response.incomplete", response);
      };
      if (s.settle === undefined) return last();
      return s.settle(response).then(last, (error: unknown) => {
        // The writer fails the stream with it (`error` below): the items' done events go first.
        unsaid = out;
        throw error;
      });
    },
    error(mapped: MappedError): string {
      // The text so far is kept, as the client has it (the SDK's final response is built from the
      // items' done events): an open message or reasoning is done, the message `incomplete`, and is in
      // the failed response. A cancelled background stream ends the same way, its response `cancelled`
      // (OpenAI's stream has no event of its own for it). A half-written function call is not kept:
      // its arguments are not whole, and a client must not run it; one whose arguments are whole JSON
      // (a custom tool's: one that text or thinking came after) is done and kept.
      let out = "";
      for (const c of calls.values()) if (c.custom ? c.index < lastTextIndex : isWholeJson(c.args)) out += closeCall(c);
      calls.clear();
      out += (reasoning ? closeReasoning() : "") + (message ? closeMessage("incomplete") : "");
      const response = failedResponse(frame, mapped, output.filter((item) => item !== undefined), nowSeconds());
      s.onFinish?.(response);
      const before = unsaid;
      unsaid = "";
      return before + out + responseEvent("response.failed", response);
    },
  };
}
