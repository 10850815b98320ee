import { UpstreamError } from "../errors.ts";
import type { ChatResult } from "../plugin.ts";

/**
 * The plugin output contract, checked once in the pipeline for every surface: what a plugin hands
 * back is only typed, and an untyped `.js` plugin (or one typed `any`) can return anything. An
 * answer that breaks the contract is the provider's failure, a 502 `upstream_error` naming the
 * plugin's bug, never a surface's 500 or garbage on the wire. Each check is a few `typeof` tests on fields the surfaces
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
