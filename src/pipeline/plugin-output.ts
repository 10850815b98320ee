import { UpstreamError } from "../errors.ts";
import type { ChatResult, ChunkResult, EmbedResult } from "../plugin.ts";
import type { ChunkBatch } from "./stream-writer.ts";

/**
 * The plugin output contract, checked once in the pipeline for every surface: what a plugin hands
 * back is only typed, and an untyped `.js` plugin (or one typed `any`) can return anything. An
 * answer, a chunk or a vector that breaks the contract is the provider's failure, a 502
 * `upstream_error` naming the plugin's bug (a stream's error event once it has begun), never a
 * surface's 500 or garbage on the wire. Each check is a few `typeof` tests on fields the surfaces
 * read anyway; nothing is allocated unless something is wrong (or a finish reason left out is filled).
 */

/** A plugin's bug, as the provider's failure: what it returned, and the contract rule it broke. */
const pluginBug = (provider: string, what: string, rule: string) => new UpstreamError(`The provider ${provider} returned ${what} (a plugin bug: ${rule}).`);

/**
 * The finish reasons of the contract: OpenAI's own, the four every surface maps. (OpenAI's
 * deprecated `function_call` is not one: the plugins map it to `tool_calls`, and the core writes it
 * itself for a client of the legacy `functions`; a plugin's would reach Anthropic clients as an
 * `end_turn` beside a `tool_use` block.)
 */
const isFinishReason = (value: unknown): boolean => value === "stop" || value === "length" || value === "tool_calls" || value === "content_filter";

/** Text a message or delta may hold: a string, or nothing (null, left out). */
const isText = (value: unknown): boolean => typeof value === "string" || value == null;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;

/** A choice's index for a request of `n` choices: 0 to n - 1. */
const isChoiceIndex = (index: unknown, n: number): index is number => typeof index === "number" && Number.isInteger(index) && index >= 0 && index < n;

const ARGUMENTS_RULE = "a tool call's `function.arguments` is a string";
const argumentsNotText = (provider: string) => pluginBug(provider, "a tool call whose arguments are not JSON text", ARGUMENTS_RULE);

/** The first of a message's or delta's text fields that is not text, if any (`content`, `reasoning_content`, `refusal`). */
function fieldNotText(holder: Record<string, unknown>): string | undefined {
  return !isText(holder.content) ? "content" : !isText(holder.reasoning_content) ? "reasoning_content" : !isText(holder.refusal) ? "refusal" : undefined;
}

/**
 * A complete answer as the contract has it, for a request of `n` choices: at least one choice and
 * at most `n`, each at its own index below `n`; text fields strings (or null); each tool call named,
 * its arguments JSON text; a finish reason of the contract's four. A choice without a finish reason
 * ended normally: it is given `stop`, as a stream that ends without one is (a copy: the provider's
 * objects are not changed). Anything else throws the 502. More choices than asked for are refused,
 * not cut: which of them the client wanted is unknown, and the usage counts them all.
 */
export function checkAnswer(result: ChatResult, n: number, provider: string): ChatResult {
  if (!isObject(result) || !Array.isArray(result.choices)) throw pluginBug(provider, "an answer without a `choices` array", "chat() returns `{ choices: [...] }`");
  const choices = result.choices;
  if (choices.length === 0) throw pluginBug(provider, "an answer with no choice", "a chat answer has a choice per `n`");
  if (choices.length > n) throw pluginBug(provider, `${choices.length} choices for a request of n = ${n}`, "at most `n` choices");
  let filled: ChatResult["choices"] | undefined;
  for (let i = 0; i < choices.length; i++) {
    const choice = choices[i] as unknown;
    if (!isObject(choice)) throw pluginBug(provider, "a choice that is not an object", "`choices` holds objects");
    const index = choice.index;
    if (!isChoiceIndex(index, n)) throw pluginBug(provider, `a choice with index ${String(index)} for a request of n = ${n}`, "each choice's `index` is 0 to n - 1");
    for (let j = 0; j < i; j++) if (choices[j]!.index === index) throw pluginBug(provider, `two choices with index ${index}`, "each choice has its own `index`");
    const message = choice.message;
    if (!isObject(message)) throw pluginBug(provider, "a choice without a `message` object", "each choice has a `message`");
    const field = fieldNotText(message);
    if (field !== undefined) throw pluginBug(provider, `a message whose \`${field}\` is ${typeof message[field]}, not text`, `\`message.${field}\` is a string or null`);
    const calls = message.tool_calls;
    if (calls != null) {
      if (!Array.isArray(calls)) throw pluginBug(provider, "`tool_calls` that is not an array", "`message.tool_calls` is an array");
      for (const call of calls) {
        const fn = isObject(call) ? call.function : undefined;
        if (!isObject(fn) || typeof fn.name !== "string" || fn.name === "") throw pluginBug(provider, "a tool call without a function name", "each tool call has `function.name`");
        if (typeof fn.arguments !== "string") throw argumentsNotText(provider);
      }
    }
    const finish = choice.finish_reason;
    if (finish == null) (filled ??= choices.slice())[i] = { ...(choice as ChatResult["choices"][number]), finish_reason: "stop" };
    else if (!isFinishReason(finish)) throw unknownFinish(provider, finish);
  }
  return filled === undefined ? result : { ...result, choices: filled };
}

const unknownFinish = (provider: string, finish: unknown) =>
  pluginBug(provider, `the finish reason ${typeof finish === "string" ? `'${finish.slice(0, 40)}'` : typeof finish}`, "`finish_reason` is one of stop, length, tool_calls, content_filter");

/**
 * A stream's chunks as the contract has them, for a request of `n` choices, checked one by one in
 * order: each chunk an object with a `choices` array; each choice at an index below `n` with a
 * `delta` object whose text fields are strings (or null); a tool call's first delta (of its
 * `index`, in its choice) names the function, its arguments are JSON text; a finish reason of the
 * contract's four, once per choice, and nothing of the answer after it (an empty delta, usage,
 * logprobs may follow). One per stream (its state: which choices finished, which calls began).
 */
export class StreamContract {
  readonly #n: number;
  readonly #provider: string;
  /** Per choice: 1 once it finished. */
  readonly #finished: Uint8Array;
  /** The tool calls begun (named), as `call index × n + choice index`; made at the first call. */
  #begun: Set<number> | undefined;
  /** Chunks checked before the stream's writer sees them (the first batch, by `checkAhead`): not checked again. */
  #ahead = 0;

  constructor(n: number, provider: string) {
    this.#n = n;
    this.#provider = provider;
    this.#finished = new Uint8Array(n);
  }

  /**
   * The stream's first chunks, checked as they arrive before the answer begins (a failure then is
   * an HTTP 502, before the first byte): the writer's `check` of the same chunks, later, passes them.
   */
  checkAhead(batch: ChunkBatch): void {
    if (!Array.isArray(batch)) {
      this.#check(batch as ChunkResult);
      this.#ahead++;
      return;
    }
    for (const chunk of batch as readonly ChunkResult[]) {
      this.#check(chunk);
      this.#ahead++;
    }
  }

  /** One chunk, in stream order; throws the 502 when it breaks the contract. */
  check(chunk: ChunkResult): void {
    if (this.#ahead > 0) this.#ahead--;
    else this.#check(chunk);
  }

  #check(chunk: ChunkResult): void {
    const provider = this.#provider;
    if (!isObject(chunk) || !Array.isArray(chunk.choices)) throw pluginBug(provider, "a stream chunk without a `choices` array", "chatStream() yields `{ choices: [...] }` objects");
    const choices = chunk.choices;
    for (let k = 0; k < choices.length; k++) {
      const choice = choices[k] as unknown;
      if (!isObject(choice)) throw pluginBug(provider, "a stream choice that is not an object", "`choices` holds objects");
      const i = choice.index;
      if (!isChoiceIndex(i, this.#n)) throw pluginBug(provider, `a stream choice with index ${String(i)} for a request of n = ${this.#n}`, "each choice's `index` is 0 to n - 1");
      const delta = choice.delta;
      if (!isObject(delta)) throw pluginBug(provider, "a stream choice without a `delta` object", "each chunk's choice has a `delta`, `{}` for none");
      const content = delta.content;
      const reasoning = delta.reasoning_content;
      const refusal = delta.refusal;
      if (!isText(content) || !isText(reasoning) || !isText(refusal)) {
        const field = fieldNotText(delta)!;
        throw pluginBug(provider, `a delta whose \`${field}\` is ${typeof delta[field]}, not text`, `\`delta.${field}\` is a string or null`);
      }
      const calls = delta.tool_calls;
      let carries = (typeof content === "string" && content !== "") || (typeof reasoning === "string" && reasoning !== "") || (typeof refusal === "string" && refusal !== "") || isObject(delta.audio);
      if (calls != null) {
        if (!Array.isArray(calls)) throw pluginBug(provider, "delta `tool_calls` that is not an array", "`delta.tool_calls` is an array");
        for (let c = 0; c < calls.length; c++) this.#checkCall(i, calls[c]);
        if (calls.length > 0) carries = true;
      }
      const finished = this.#finished[i] === 1;
      if (finished && carries) throw pluginBug(provider, `more of choice ${i}'s answer after its finish reason`, "nothing of a choice's answer follows its `finish_reason`");
      const finish = choice.finish_reason;
      if (finish != null) {
        if (!isFinishReason(finish)) throw unknownFinish(provider, finish);
        if (finished) throw pluginBug(provider, `a second finish reason for choice ${i}`, "each choice finishes once");
        this.#finished[i] = 1;
      }
    }
  }

  /** One tool-call delta of choice `i`: its call index; a call's first delta names the function; arguments as text. */
  #checkCall(i: number, call: unknown): void {
    const provider = this.#provider;
    if (!isObject(call)) throw pluginBug(provider, "a tool-call delta that is not an object", "`delta.tool_calls` holds objects");
    const index = call.index;
    if (typeof index !== "number" || !Number.isInteger(index) || index < 0) throw pluginBug(provider, `a tool-call delta with index ${String(index)}`, "each tool-call delta has its call's `index`, 0 or more");
    const fn = call.function;
    if (fn != null && !isObject(fn)) throw pluginBug(provider, "a tool-call delta whose `function` is not an object", "`function` is `{ name?, arguments? }`");
    const name = fn?.name;
    const args = fn?.arguments;
    if (args != null && typeof args !== "string") throw argumentsNotText(provider);
    if (name != null && typeof name !== "string") throw pluginBug(provider, "a tool call whose name is not text", "`function.name` is a string");
    const key = index * this.#n + i;
    const begun = (this.#begun ??= new Set());
    if (begun.has(key)) return;
    if (typeof name !== "string" || name === "") throw pluginBug(provider, "a tool call that began without a function name", "a tool call's first delta has `function.name`");
    begun.add(key);
  }
}

/**
 * Embeddings as the contract has them: one vector per input, each a non-empty array of finite
 * numbers, all of one length (one model's). A NaN would reach the client as `null`, an Infinity as
 * `null` too, a string as a string: a vector nobody can use is the provider's failure.
 */
export function checkEmbeddings(result: EmbedResult, inputs: number, provider: string): void {
  if (!isObject(result) || !Array.isArray(result.embeddings)) throw pluginBug(provider, "embeddings without an `embeddings` array", "embed() returns `{ embeddings: number[][] }`");
  const vectors = result.embeddings;
  if (vectors.length !== inputs) throw new UpstreamError(`The provider ${provider} returned ${vectors.length} embeddings for ${inputs} inputs`);
  let dimensions = -1;
  for (let i = 0; i < vectors.length; i++) {
    const vector = vectors[i] as unknown;
    if (!Array.isArray(vector) || vector.length === 0) throw pluginBug(provider, `an embedding (input ${i}) that is not an array of numbers`, "each embedding is a `number[]`");
    if (dimensions === -1) dimensions = vector.length;
    else if (vector.length !== dimensions) throw pluginBug(provider, `embeddings of ${dimensions} and ${vector.length} dimensions`, "one model's embeddings have one length");
    for (let j = 0; j < vector.length; j++) {
      if (!Number.isFinite(vector[j])) throw pluginBug(provider, `an embedding (input ${i}) holding ${typeof vector[j] === "number" ? String(vector[j]) : typeof vector[j]}`, "each embedding holds finite numbers");
    }
  }
}
