import { inflateSync } from "node:zlib";

/** A page object (`/Type /Page`, not `/Pages`). */
const PAGE = /\/Type\s*\/Page(?![A-Za-z])/g;
/** A `/Pages` node's type and its total: looked for within one stretch of text without a `>`. */
const PAGES_TYPE = /\/Type\s*\/Pages/;
const COUNT = /\/Count\s+(\d+)/g;
/**
 * The most pages one PDF is counted as (Anthropic reads 100 to 600 a request): a `/Count` above it is
 * a lie, or a number too large to be one (400 digits read as Infinity, a token count of null).
 */
export const MAX_PDF_PAGES = 10_000;
/** The start of a stream's data, after its dictionary. */
const STREAM = /stream\r?\n/g;
/** How far before `stream` its dictionary is looked for. */
const DICTIONARY_SPAN = 1024;
/** What the object streams of all the PDFs of one request may inflate to (a bound on a hostile request's cost). */
export const MAX_INFLATED = 16 * 1024 * 1024;
/** Deflate's largest ratio (~1032:1): a stream that fails to inflate did at most this much work first. */
const MAX_RATIO = 1032;

/**
 * What is left of one request's inflating: shared by every PDF the request holds, so that many
 * files (or many streams that fail past the limit) cost no more than one (a probe: 400 PDFs of one
 * stream each held the event loop 30 s with a budget per file, reset by each failure).
 */
export interface InflateBudget {
  left: number;
}

export const inflateBudget = (): InflateBudget => ({ left: MAX_INFLATED });

/**
 * A PDF's page count, estimated from its bytes: the page objects, or the page tree's `/Count`,
 * whichever is larger, also inside compressed object streams (`/Type /ObjStm`, FlateDecode), where
 * PDF 1.5 and later keep them. At least 1. Not a PDF parser: an estimate for token counts.
 */
export function pdfPageCount(pdf: Buffer, budget: InflateBudget = inflateBudget()): number {
  const text = pdf.toString("latin1");
  let objects = pageObjects(text);
  let tree = treeCount(text);
  // Linear in the text, whatever it holds: a dictionary is looked for no further back than the last
  // stream's end, and a `stream` inside a stream's data (before its `endstream`) is no stream.
  let done = 0;
  for (const match of text.matchAll(STREAM)) {
    const at = match.index;
    if (at < done) continue;
    const dictionary = text.slice(Math.max(done, at - DICTIONARY_SPAN), at);
    done = at;
    const open = dictionary.lastIndexOf("obj");
    const own = open < 0 ? dictionary : dictionary.slice(open);
    if (!own.includes("/ObjStm") || !own.includes("/FlateDecode") || budget.left <= 0) continue;
    const start = at + match[0].length;
    const end = text.indexOf("endstream", start);
    if (end < 0) break;
    done = end;
    try {
      const inflated = inflateSync(pdf.subarray(start, end), { maxOutputLength: budget.left }).toString("latin1");
      budget.left -= inflated.length;
      objects += pageObjects(inflated);
      tree = Math.max(tree, treeCount(inflated));
    } catch {
      // A stream that does not inflate (another filter, damage, over the budget) counts for nothing,
      // and is charged the most it could have inflated before failing.
      budget.left -= Math.min(budget.left, (end - start) * MAX_RATIO);
    }
  }
  return Math.min(Math.max(1, objects, tree), MAX_PDF_PAGES);
}

const pageObjects = (text: string): number => text.match(PAGE)?.length ?? 0;

/**
 * The largest `/Count` of a `/Pages` node: one with `/Type /Pages` in the same stretch of text
 * without a `>` (its dictionary, before any nested one closes). Each stretch is read once: a pattern
 * spanning `[^>]*?` from every `/Type /Pages` read the rest of the text from each (a 2 KB PDF that
 * inflated to 700 KB of `/Type/Pages` held the event loop 39 s).
 */
function treeCount(text: string): number {
  let count = 0;
  let from = 0;
  while (from < text.length) {
    let to = text.indexOf(">", from);
    if (to < 0) to = text.length;
    const stretch = text.slice(from, to);
    if (stretch.includes("/Count") && PAGES_TYPE.test(stretch)) {
      for (const match of stretch.matchAll(COUNT)) count = Math.max(count, Math.min(Number(match[1]), MAX_PDF_PAGES));
    }
    from = to + 1;
  }
  return count;
}
