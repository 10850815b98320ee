import { InvalidRequestError } from "../../errors.ts";
import type { StreamEncoder } from "../../pipeline/encoder.ts";
import type { ChunkResult } from "../../plugin.ts";
import type { ChatCompletion } from "../../schemas/chat.ts";
import { withRenamedParam } from "../rename-param.ts";

/**
 * Chat Completions' legacy function calling (`functions`, `function_call`, assistant messages with
 * `function_call`, `role: "function"` results), which OpenAI still serves and older clients (LangChain's
 * and LlamaIndex's OpenAI classes of 2023, AutoGen 0.2) still send. Plugins know tools only: a
 * request that uses it becomes the tools form, one call a turn (the legacy form has one), and its
 * answer goes back in the legacy form (`message.function_call`, `finish_reason: "function_call"`).
 * Before, Gemini and Ollama ignored the functions and answered without calling any.
 */

type Body = Record<string, unknown>;

function fail(message: string, param: string): never {
  throw new InvalidRequestError(message, { param });
}

const isObject = (value: unknown): value is Body => typeof value === "object" && value !== null && !Array.isArray(value);

/** Whether a body asks in the legacy form: its top-level fields (checked for every request: two property reads). */
export const asksLegacyFunctions = (body: unknown): boolean => isObject(body) && (body.functions !== undefined || body.function_call !== undefined);

/** Whether a body (refused by the schema) carries legacy turns: a `function` message or an assistant `function_call`. */
export function hasLegacyTurns(body: unknown): boolean {
  const messages = isObject(body) ? body.messages : undefined;
  return Array.isArray(messages) && messages.some((m) => isObject(m) && (m.role === "function" || (m.role === "assistant" && m.function_call != null)));
}

/** The body in the tools form (a copy; the client's body is not changed). */
export function fromLegacyFunctions(body: Body): Body {
  const out: Body = { ...body };
  delete out.functions;
  delete out.function_call;
  if (body.functions != null) {
    if (body.tools !== undefined) fail("Invalid 'functions': send either tools or the deprecated functions, not both.", "functions");
    if (!Array.isArray(body.functions)) fail("Invalid 'functions': expected an array of functions.", "functions");
    out.tools = body.functions.map((fn: unknown, i) => {
      if (!isObject(fn) || typeof fn.name !== "string" || fn.name === "") fail(`Missing required parameter: 'functions[${i}].name'.`, `functions[${i}].name`);
      const { name, description, parameters } = fn;
      return { type: "function", function: { name, ...(description === undefined ? {} : { description }), ...(parameters === undefined ? {} : { parameters }) } };
    });
    // The legacy form has one call a turn.
    if (out.parallel_tool_calls === undefined) out.parallel_tool_calls = false;
  }
  if (body.function_call != null) {
    const choice = body.function_call;
    if (choice === "none" || choice === "auto") out.tool_choice = choice;
    else if (isObject(choice) && typeof choice.name === "string") out.tool_choice = { type: "function", function: { name: choice.name } };
    else fail(`Invalid 'function_call': expected "none", "auto" or {"name": …}.`, "function_call");
  }
  if (Array.isArray(body.messages)) out.messages = toolTurns(body.messages);
  return out;
}

/**
 * Legacy turns as tool turns: an assistant's `function_call` is a tool call with an id of its place,
 * and a `function` message (name, content) the tool result of the latest call of that name not yet
 * answered (else of the latest call).
 */
function toolTurns(messages: unknown[]): unknown[] {
  const open: { id: string; name: string }[] = [];
  let last: string | undefined;
  return messages.map((message, i) => {
    if (!isObject(message)) return message;
    if (message.role === "assistant" && isObject(message.function_call)) {
      const { function_call: call, ...rest } = message;
      const id = `call_legacy_${i}`;
      open.push({ id, name: String(call.name) });
      last = id;
      return { ...rest, content: rest.content ?? null, tool_calls: [{ id, type: "function", function: { name: call.name, arguments: call.arguments ?? "{}" } }] };
    }
    if (message.role === "function") {
      const { role: _role, name, ...rest } = message;
      const at = open.findIndex((call) => call.name === name);
      const id = at >= 0 ? open.splice(at, 1)[0]!.id : (last ?? `call_legacy_${i}`);
      return { ...rest, role: "tool", tool_call_id: id, content: rest.content ?? "" };
    }
    return message;
  });
}

/**
 * An error naming the tools form's fields, in the legacy form's (`tools[2].function.name` →
 * `functions[2].name`; an assistant turn's `tool_calls[0].function.arguments` → its
 * `function_call.arguments`, the call it sent).
 */
export function inLegacyTerms<E>(error: E): E {
  return withRenamedParam(error, (param) =>
    param
      .replace(/^tools\[(\d+)\]\.function(?=\.|$)/, "functions[$1]")
      .replace(/^tool_choice(?:\.function)?(?=\.|$)/, "function_call")
      .replace(/^(messages\[\d+\])\.tool_calls\[0\]\.function(?=\.|$)/, "$1.function_call"),
  );
}

/** A complete answer in the legacy form: each choice's tool call as its `function_call`. */
export function toLegacyAnswer(completion: ChatCompletion): ChatCompletion {
  for (const choice of completion.choices) {
    const message = choice.message as ChatCompletion["choices"][number]["message"] & { function_call?: unknown };
    const call = message.tool_calls?.[0];
    if (call === undefined) continue;
    message.function_call = { name: call.function.name, arguments: call.function.arguments };
    delete message.tool_calls;
    if (choice.finish_reason === "tool_calls") (choice as { finish_reason: string }).finish_reason = "function_call";
  }
  return completion;
}

/** A stream encoder that writes the provider's tool-call deltas as legacy `function_call` deltas. */
export function legacyStreamEncoder(inner: StreamEncoder): StreamEncoder {
  const chunkOf = (chunk: ChunkResult): ChunkResult => {
    let choices: ChunkResult["choices"] | undefined;
    for (let i = 0; i < chunk.choices.length; i++) {
      const choice = chunk.choices[i]!;
      const calls = choice.delta.tool_calls;
      const isToolFinish = choice.finish_reason === "tool_calls";
      if ((calls === undefined || calls.length === 0) && !isToolFinish) continue;
      const { tool_calls: _calls, ...delta } = choice.delta;
      // The first call's deltas only, as a whole answer keeps its first call: a second call's (an
      // upstream that called two at once) were joined onto the first's, names and arguments (a probe).
      const fn = calls?.find((call) => call.index === 0)?.function;
      const legacy: Body = { ...delta };
      if (fn !== undefined) legacy.function_call = { ...(fn.name ? { name: fn.name } : {}), arguments: fn.arguments ?? "" };
      choices ??= chunk.choices.slice();
      choices[i] = { ...choice, delta: legacy as typeof choice.delta, ...(isToolFinish ? { finish_reason: "function_call" as never } : {}) };
    }
    return choices === undefined ? chunk : { ...chunk, choices };
  };
  return {
    headers: inner.headers,
    start: () => inner.start(),
    chunk: (chunk) => inner.chunk(chunkOf(chunk)),
    end: (usage) => inner.end(usage),
    error: (mapped) => inner.error(mapped),
  };
}
