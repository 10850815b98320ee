import { InvalidRequestError } from "../../src/kit.ts";
import type { GeminiThinkingConfig } from "./wire.ts";

/**
 * OpenAI's `reasoning_effort` as Gemini's `thinkingConfig`. Gemini 2.x takes a token budget: the
 * same mapping as Google's own OpenAI-compatible endpoint (low 1,024, medium 8,192, high 24,576,
 * none 0). Gemini 3 takes a level, whose names are OpenAI's. Either way thoughts are asked for
 * (`includeThoughts`) so they come back as `reasoning_content`. Without an effort, Gemini decides
 * how much it thinks, and returns its thoughts only when a surface asked to see them (`shown`).
 */
const BUDGETS = { none: 0, minimal: 512, low: 1024, medium: 8192, high: 24576, xhigh: 32768, max: 32768 } as const;
type Effort = keyof typeof BUDGETS;

const isEffort = (value: string): value is Effort => Object.hasOwn(BUDGETS, value);

/** Gemini 2.x Pro models, whose thinking budget goes higher than the Flash models'. */
const PRO_MODELS = /-pro\b/;

/** Gemini 3 models choose thinking by level; older ones by budget. */
const LEVEL_MODELS = /^gemini-(?:[3-9]|\d{2,})/;

/** Gemini 3 and later: thinking by level, and a function call sent back must carry a thought signature. */
export const isGemini3 = (model: string): boolean => LEVEL_MODELS.test(model);

/**
 * `budget`: an exact token budget a surface passed beside the effort (Anthropic's `budget_tokens`);
 * Gemini 2.x takes it as it is, Gemini 3 goes by the level.
 */
export function toGeminiThinkingConfig(effort: string | null | undefined, model: string, budget?: number, shown = false): GeminiThinkingConfig | undefined {
  if (effort == null) return shown ? { includeThoughts: true } : undefined;
  if (!isEffort(effort)) {
    throw new InvalidRequestError(
      `Invalid 'reasoning_effort': expected one of ${Object.keys(BUDGETS).map((e) => JSON.stringify(e)).join(", ")}, got ${JSON.stringify(effort)}.`,
      { param: "reasoning_effort" },
    );
  }
  if (!LEVEL_MODELS.test(model)) {
    if (effort === "none") return { thinkingBudget: 0 };
    // Gemini 2.5 Pro thinks 32,768 tokens at most, Flash and Flash-Lite 24,576: a larger budget is a 400 ("out of range").
    const most = PRO_MODELS.test(model) ? 32768 : 24576;
    return { thinkingBudget: Math.min(budget ?? BUDGETS[effort], most), includeThoughts: true };
  }
  switch (effort) {
    case "none":
    case "minimal":
      // Gemini 3 cannot switch thinking off; "minimal" is its least.
      return { thinkingLevel: "minimal" };
    case "low":
    case "medium":
    case "high":
      return { thinkingLevel: effort, includeThoughts: true };
    case "xhigh":
    case "max":
      return { thinkingLevel: "high", includeThoughts: true };
    default: {
      const unknownEffort: never = effort;
      throw new Error(`unknown effort ${String(unknownEffort)}`);
    }
  }
}
