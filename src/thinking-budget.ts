import type { ChatRequest } from "./schemas/chat.ts";

/**
 * A thinking budget in tokens, for plugins whose provider takes one (Gemini 2.x `thinkingBudget`),
 * beside the `reasoning_effort` level every plugin reads. It rides on the chat request under a
 * symbol, not a field: a symbol key never reaches JSON, so an OpenAI-compatible upstream (which gets
 * the request's fields untouched and may refuse unknown ones) never sees it. `Symbol.for` makes it
 * the same key in every copy of the kit (PLUGINS_DIR plugins get their own).
 */
export const THINKING_BUDGET: unique symbol = Symbol.for("ollaix.thinking_budget_tokens") as never;

/** A copy of the request carrying the budget. */
export function withThinkingBudget<R extends ChatRequest>(request: R, budgetTokens: number): R {
  return Object.assign({ ...request }, { [THINKING_BUDGET]: budgetTokens });
}

/** The budget a surface put on the request, if any. */
export function thinkingBudgetOf(request: ChatRequest): number | undefined {
  const value = (request as { [THINKING_BUDGET]?: unknown })[THINKING_BUDGET];
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/**
 * The client asked to see the model's reasoning without choosing how much it thinks (Responses'
 * `reasoning.summary` with no `effort`): a plugin whose provider returns thoughts only when asked
 * (Gemini's `includeThoughts`) asks for them. A symbol for the reason `THINKING_BUDGET` is one.
 */
export const THOUGHTS_SHOWN: unique symbol = Symbol.for("ollaix.thoughts_shown") as never;

/** Marks the request (no copy: for the surface that made it). */
export function showThoughts<R extends ChatRequest>(request: R): R {
  return Object.assign(request, { [THOUGHTS_SHOWN]: true });
}

/** Whether the surface asked for the model's reasoning to be shown. */
export const thoughtsShown = (request: ChatRequest): boolean => (request as { [THOUGHTS_SHOWN]?: unknown })[THOUGHTS_SHOWN] === true;
