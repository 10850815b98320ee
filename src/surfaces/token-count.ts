import { inlineFile, textOfFile } from "../file-parts.ts";
import { inflateBudget, pdfPageCount, type InflateBudget } from "./pdf-pages.ts";
import type { ContentPart, Message, ResponseFormat, Tool } from "../schemas/chat.ts";
import { MAX_TOKENS } from "../pipeline/tally.ts";

/**
 * Ollaix's own count of a prompt's tokens, for Anthropic's `count_tokens` and OpenAI's
 * `/v1/responses/input_tokens` when the provider has no counter, and for `message_start` before the
 * provider's figure is known. An estimate: a real BPE tokenizer
 * (`gpt-tokenizer`, OpenAI's cl100k_base; pure JS, its ranks inside the package, so it works offline
 * and in the compiled binary) plus a few tokens of framing per message — not the model's own
 * tokenizer, which only the provider knows.
 *
 * Loading the ranks costs about a second of CPU, so it happens on first use, never at start-up;
 * until it is loaded `estimatePromptTokens` falls back to four characters a token.
 */
type Counter = (text: string) => number;

/**
 * What one request's count may spend: its PDFs' inflating (pdf-pages.ts) and the characters the BPE
 * tokenizer reads, all texts together (~1 µs a character: past the budget, four characters a
 * token). A budget per text let one 10 MB request of 49 texts hold the event loop 23 s (a probe).
 */
export interface CountBudget extends InflateBudget {
  bpeLeft: number;
}

export const countBudget = (): CountBudget => ({ ...inflateBudget(), bpeLeft: BPE_BUDGET });
let counter: Counter | undefined;
let loading: Promise<Counter> | undefined;

export function loadTokenizer(): Promise<Counter> {
  return (loading ??= import("gpt-tokenizer/encoding/cl100k_base").then((m) => (counter = m.countTokens)));
}

/** Per message: role and separators, as OpenAI's cookbook counts chat framing. */
const PER_MESSAGE = 3;
/** An image, whatever its size: Anthropic's ~1.15-megapixel images are about 1,600 tokens. */
const PER_IMAGE = 1600;
/** A PDF page: "each page typically uses 1,500-3,000 tokens" (Anthropic's PDF guide). */
const PER_PDF_PAGE = 2000;

/**
 * A file part: a text file's text, a PDF by its pages (pdf-pages.ts), anything else as an image. An
 * uploaded file's id (no data to read) counts as one page; data that cannot be read is the 400 the
 * request itself would get.
 */
function fileTokens(part: ContentPart, count: Counter, budget: CountBudget): number {
  if (!part.file?.file_data) return PER_PDF_PAGE;
  const file = inlineFile(part, "file");
  const text = textOfFile(file);
  if (text !== undefined) return countText(text, count, budget);
  if (file.mimeType !== "application/pdf") return PER_IMAGE;
  return pdfPages(file.data, budget) * PER_PDF_PAGE;
}

// A conversation resends its PDFs every turn: each file's count is kept, by a hash of its data.
const pdfCache = new Map<number | bigint, number>();

function pdfPages(base64: string, budget: CountBudget): number {
  const key = Bun.hash(base64);
  const known = pdfCache.get(key);
  if (known !== undefined) return known;
  const pages = pdfPageCount(Buffer.from(base64, "base64"), budget);
  // A count the request's budget cut short is not kept: another request may read the whole file.
  if (budget.left > 0) {
    if (pdfCache.size >= CACHE_ENTRIES) pdfCache.clear();
    pdfCache.set(key, pages);
  }
  return pages;
}

function partTokens(part: ContentPart, count: Counter, budget: CountBudget): number {
  switch (part.type) {
    case "text":
      return countText(part.text ?? "", count, budget);
    case "file":
      return fileTokens(part, count, budget);
    default:
      return PER_IMAGE;
  }
}

// Claude Code resends the same system prompt and tool list every turn: long segments are counted
// once. Keyed by a hash of the text (not the text itself), so the cache stays small whatever it holds.
const cache = new Map<number | bigint, number>();
const CACHE_MIN_CHARS = 512;
const CACHE_ENTRIES = 256;

/**
 * BPE's merge step is quadratic in the length of a run without spaces (100,000 characters of `a`
 * take ~20 s): text is counted in slices ending at a space (at most 2,048 characters), a run with no
 * space nearby in slices of 256, and past the request's 200,000 characters (CountBudget) by four
 * characters a token. The count stays an estimate, and one request can no longer hold the event loop.
 */
const SLICE = 2048;
const RUN = 256;
const BPE_BUDGET = 200_000;

function countSliced(text: string, count: Counter, budget: CountBudget): number {
  const limit = Math.min(text.length, budget.bpeLeft);
  budget.bpeLeft -= limit;
  let n = 0;
  for (let i = 0; i < limit; ) {
    let end = Math.min(i + SLICE, limit);
    if (end < limit) {
      const space = text.lastIndexOf(" ", end);
      end = space > i + RUN ? space : Math.min(i + RUN, limit);
    }
    n += count(text.slice(i, end));
    i = end;
  }
  if (text.length > limit) n += Math.ceil((text.length - limit) / 4);
  return n;
}

function countText(text: string, count: Counter, budget: CountBudget): number {
  const length = text.length;
  if (length === 0) return 0;
  if (length < CACHE_MIN_CHARS) {
    if (budget.bpeLeft < length) return Math.ceil(length / 4);
    budget.bpeLeft -= length;
    return count(text);
  }
  // The budget is charged whether or not the count is kept from before (which only spares the CPU),
  // so the same request counts the same whatever other requests counted (a review: count_tokens and
  // message_start must agree).
  const whole = budget.bpeLeft >= length;
  const key = Bun.hash(text);
  if (whole) {
    const known = cache.get(key);
    if (known !== undefined) {
      budget.bpeLeft -= length;
      return known;
    }
  }
  const n = countSliced(text, count, budget);
  // A count the budget cut short is not kept: another request may read the whole text.
  if (whole) {
    if (cache.size >= CACHE_ENTRIES) cache.clear();
    cache.set(key, n);
  }
  return n;
}

/** One text's tokens with a loaded counter, against the request's budget (context editing's cleared results and thinking). */
export const countTextWith: (text: string, count: Counter, budget: CountBudget) => number = countText;

const byChars: Counter = (text) => Math.ceil(text.length / 4);

/**
 * The prompt's tokens with the BPE tokenizer if it is loaded, else by characters (and the load
 * starts); a JSON schema the answer must follow counted too, as `countPromptTokens` counts it.
 */
export function estimatePromptTokens(messages: readonly Message[], tools: readonly Tool[] | undefined, format?: ResponseFormat): number {
  if (!counter) void loadTokenizer().catch(() => undefined);
  const count = counter ?? byChars;
  const budget = countBudget();
  return Math.min(countWith(count, messages, tools, budget) + schemaTokens(format, count, budget), MAX_TOKENS);
}

/**
 * The prompt's tokens with the BPE tokenizer, loading it first if need be. A JSON schema the answer
 * must follow is counted too: the model is given it as it is given the tools.
 */
export async function countPromptTokens(
  messages: readonly Message[],
  tools: readonly Tool[] | undefined,
  format?: ResponseFormat,
): Promise<number> {
  const count = counter ?? (await loadTokenizer());
  const budget = countBudget();
  // No more than any provider figure is taken for (many PDFs each claiming thousands of pages).
  return Math.min(countWith(count, messages, tools, budget) + schemaTokens(format, count, budget), MAX_TOKENS);
}

/** The same count by part: each message's tokens (its framing included), and what the tools and a JSON schema add. */
export async function countPromptParts(
  messages: readonly Message[],
  tools: readonly Tool[] | undefined,
  format?: ResponseFormat,
): Promise<{ messages: number[]; rest: number }> {
  const count = counter ?? (await loadTokenizer());
  const budget = countBudget();
  return { messages: messages.map((message) => countWith(count, [message], undefined, budget)), rest: countWith(count, [], tools, budget) + schemaTokens(format, count, budget) };
}

const schemaTokens = (format: ResponseFormat | undefined, count: Counter, budget: CountBudget): number =>
  format?.type === "json_schema" && format.json_schema ? countText(JSON.stringify(format.json_schema), count, budget) : 0;

/** `budget`: what the request's count may spend, all its texts and PDFs together. */
function countWith(count: Counter, messages: readonly Message[], tools: readonly Tool[] | undefined, budget: CountBudget): number {
  let n = 0;
  for (const message of messages) {
    n += PER_MESSAGE;
    const content = message.content;
    if (typeof content === "string") n += countText(content, count, budget);
    else if (content) for (const part of content) n += partTokens(part, count, budget);
    const reasoning = (message as { reasoning_content?: unknown }).reasoning_content;
    if (typeof reasoning === "string") n += countText(reasoning, count, budget);
    for (const call of message.tool_calls ?? []) n += countText(call.function.name, count, budget) + countText(call.function.arguments, count, budget);
  }
  for (const tool of tools ?? []) n += countText(JSON.stringify(tool.function), count, budget);
  return n;
}
