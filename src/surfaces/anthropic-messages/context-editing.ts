import { InvalidRequestError } from "../../errors.ts";
import { countBudget, countTextWith, loadTokenizer, type CountBudget } from "../token-count.ts";
import type { ContentBlock, ContextManagement, MessageParam } from "./schema.ts";

/**
 * Anthropic's context editing (`context_management.edits`, beta `context-management-2025-06-27`),
 * done by the gateway for every model: the conversation the provider is sent is edited, the client's
 * history is not.
 * - `clear_tool_uses_20250919`: once the prompt reaches `trigger` (100,000 input tokens by default,
 *   or a number of tool uses), the results of all tool uses but the last `keep` (3) are replaced by a
 *   note that they were cleared, oldest first, except `exclude_tools`; with `clear_tool_inputs` the
 *   calls' inputs too. Nothing is cleared unless `clear_at_least` tokens would be.
 * - `clear_thinking_20251015`: thinking blocks of all assistant turns but the last `keep` (1
 *   turn with thinking by default; `all` keeps every one) are dropped.
 * Each edit that changed something is reported (`applied_edits`), with the tokens it cleared
 * (the gateway's BPE estimate). `compact_20260112` is a 400: compact with the Responses API's compact
 * endpoint, or in the client.
 */

export type AppliedEdit =
  | { type: "clear_tool_uses_20250919"; cleared_tool_uses: number; cleared_input_tokens: number }
  | { type: "clear_thinking_20251015"; cleared_thinking_turns: number; cleared_input_tokens: number };

export const CLEARED_RESULT = "[This tool result was cleared to save context.]";

const DEFAULT_TRIGGER_TOKENS = 100_000;
const DEFAULT_KEEP_TOOL_USES = 3;
const DEFAULT_KEEP_THINKING_TURNS = 1;

type Counter = (text: string) => number;
type Edit = NonNullable<ContextManagement["edits"]>[number] & Record<string, unknown>;

function fail(message: string, param: string): never {
  throw new InvalidRequestError(message, { param });
}

/** A `{type, value}` setting of an edit, checked: its value a whole number ≥ 0, its type one of `types`. */
function setting(edit: Edit, i: number, field: string, types: readonly string[]): { type: string; value: number } | undefined {
  const value = edit[field];
  if (value == null) return undefined;
  const at = `context_management.edits[${i}].${field}`;
  if (typeof value !== "object" || Array.isArray(value)) fail(`Invalid '${at}': expected an object with type and value.`, at);
  const { type, value: n } = value as { type?: unknown; value?: unknown };
  if (typeof type !== "string" || !types.includes(type)) fail(`Invalid '${at}.type': expected ${types.map((t) => `"${t}"`).join(" or ")}.`, `${at}.type`);
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) fail(`Invalid '${at}.value': expected a whole number.`, `${at}.value`);
  return { type, value: n };
}

/** The edits of a request, checked before anything is counted (a 400 names the edit's field). */
export function checkedEdits(management: ContextManagement | null | undefined): Edit[] {
  const edits = (management?.edits ?? []) as Edit[];
  edits.forEach((edit, i) => {
    switch (edit.type) {
      case "clear_tool_uses_20250919":
        setting(edit, i, "trigger", ["input_tokens", "tool_uses"]);
        setting(edit, i, "keep", ["tool_uses"]);
        setting(edit, i, "clear_at_least", ["input_tokens"]);
        return;
      case "clear_thinking_20251015":
        if (edit.keep !== "all" && !(typeof edit.keep === "object" && (edit.keep as { type?: unknown } | null)?.type === "all")) setting(edit, i, "keep", ["thinking_turns"]);
        return;
      case "compact_20260112":
        return fail(
          `Invalid 'context_management.edits[${i}].type': server-side compaction is not supported by this gateway; compact in the client, or with POST /v1/responses/compact.`,
          `context_management.edits[${i}].type`,
        );
      default:
        return fail(`Invalid 'context_management.edits[${i}].type': unknown edit type '${String(edit.type)}'.`, `context_management.edits[${i}].type`);
    }
  });
  return edits;
}

const blocksOf = (message: MessageParam): ContentBlock[] => (typeof message.content === "string" ? [] : message.content);
/** A block's tokens, sliced and within the request's budget as every count is (token-count.ts): counted whole, 300 KB of one result held the event loop 88 s (a probe). */
const tokensOf = (value: unknown, count: Counter, budget: CountBudget) => (value === undefined ? 0 : countTextWith(typeof value === "string" ? value : JSON.stringify(value), count, budget));

/**
 * The conversation with the edits applied (new objects where something changed; the request's own
 * are not touched), and what each edit did. `inputTokens` is the prompt's count before the edits.
 */
export async function applyContextEdits(
  messages: readonly MessageParam[],
  edits: readonly Edit[],
  inputTokens: () => Promise<number>,
): Promise<{ messages: MessageParam[]; applied: AppliedEdit[] }> {
  let edited = messages.slice();
  const applied: AppliedEdit[] = [];
  if (edits.length === 0) return { messages: edited, applied };
  const count = await loadTokenizer();
  const budget = countBudget(); // one for all the edits' counts of this request
  let total: number | undefined;
  for (let i = 0; i < edits.length; i++) {
    const edit = edits[i]!;
    if (edit.type === "clear_thinking_20251015") {
      const result = clearThinking(edited, edit, count, budget);
      if (result) {
        edited = result.messages;
        applied.push(result.applied);
      }
      continue;
    }
    const trigger = setting(edit, i, "trigger", ["input_tokens", "tool_uses"]) ?? { type: "input_tokens", value: DEFAULT_TRIGGER_TOKENS };
    if (trigger.type === "input_tokens") {
      total ??= await inputTokens();
      if (total < trigger.value) continue;
    } else if (toolUsesOf(edited).length < trigger.value) continue;
    const result = clearToolUses(edited, edit, i, count, budget);
    if (result) {
      edited = result.messages;
      applied.push(result.applied);
    }
  }
  return { messages: edited, applied };
}

/** Every tool use of the conversation, oldest first: where it is and what it called. */
function toolUsesOf(messages: readonly MessageParam[]): { message: number; block: number; id: string; name: string }[] {
  const uses: { message: number; block: number; id: string; name: string }[] = [];
  messages.forEach((message, m) => {
    if (message.role !== "assistant") return;
    blocksOf(message).forEach((block, b) => {
      if (block.type === "tool_use" && typeof block.id === "string") uses.push({ message: m, block: b, id: block.id, name: block.name ?? "" });
    });
  });
  return uses;
}

function clearToolUses(messages: MessageParam[], edit: Edit, i: number, count: Counter, budget: CountBudget): { messages: MessageParam[]; applied: AppliedEdit } | undefined {
  const keep = setting(edit, i, "keep", ["tool_uses"])?.value ?? DEFAULT_KEEP_TOOL_USES;
  const atLeast = setting(edit, i, "clear_at_least", ["input_tokens"])?.value ?? 0;
  const excluded = new Set(Array.isArray(edit.exclude_tools) ? (edit.exclude_tools as string[]) : []);
  const inputs = edit.clear_tool_inputs;
  const clearsInput = (name: string) => inputs === true || (Array.isArray(inputs) && inputs.includes(name));
  const uses = toolUsesOf(messages);
  const cleared = new Map<string, string>(); // tool_use id → name
  for (const use of uses.slice(0, Math.max(0, uses.length - keep))) if (!excluded.has(use.name)) cleared.set(use.id, use.name);
  if (cleared.size === 0) return undefined;

  let tokens = 0;
  let clearedUses = 0;
  const out = messages.map((message) => {
    let changed = false;
    const blocks = blocksOf(message).map((block) => {
      if (block.type === "tool_result" && block.tool_use_id !== undefined && cleared.has(block.tool_use_id) && block.content !== CLEARED_RESULT) {
        tokens += tokensOf(block.content, count, budget) - count(CLEARED_RESULT);
        clearedUses++;
        changed = true;
        return { ...block, content: CLEARED_RESULT };
      }
      if (block.type === "tool_use" && block.id !== undefined && cleared.has(block.id) && clearsInput(cleared.get(block.id)!) && JSON.stringify(block.input ?? {}) !== "{}") {
        tokens += tokensOf(block.input, count, budget) - 1;
        changed = true;
        return { ...block, input: {} };
      }
      return block;
    });
    return changed ? { ...message, content: blocks } : message;
  });
  if (clearedUses === 0 || tokens < atLeast) return undefined;
  return { messages: out, applied: { type: "clear_tool_uses_20250919", cleared_tool_uses: clearedUses, cleared_input_tokens: Math.max(0, tokens) } };
}

function clearThinking(messages: MessageParam[], edit: Edit, count: Counter, budget: CountBudget): { messages: MessageParam[]; applied: AppliedEdit } | undefined {
  const keepAll = edit.keep === "all" || (edit.keep as { type?: unknown } | undefined)?.type === "all";
  if (keepAll) return undefined;
  const keep = (edit.keep as { value?: number } | undefined)?.value ?? DEFAULT_KEEP_THINKING_TURNS;
  const thinkingTurns: number[] = [];
  messages.forEach((message, m) => {
    if (message.role === "assistant" && blocksOf(message).some((block) => block.type === "thinking" || block.type === "redacted_thinking")) thinkingTurns.push(m);
  });
  const cleared = new Set(thinkingTurns.slice(0, Math.max(0, thinkingTurns.length - keep)));
  if (cleared.size === 0) return undefined;
  let tokens = 0;
  const out = messages.map((message, m) => {
    if (!cleared.has(m)) return message;
    const kept = blocksOf(message).filter((block) => {
      if (block.type !== "thinking" && block.type !== "redacted_thinking") return true;
      tokens += tokensOf(block.thinking ?? block.data ?? "", count, budget);
      return false;
    });
    // An assistant turn of thinking alone keeps an empty text: a turn with no content is refused.
    return { ...message, content: kept.length > 0 ? kept : [{ type: "text" as const, text: "" }] };
  });
  return { messages: out, applied: { type: "clear_thinking_20251015", cleared_thinking_turns: cleared.size, cleared_input_tokens: tokens } };
}
