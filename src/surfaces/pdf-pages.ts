import { inflateSync } from "node:zlib";

/** A page object (`/Type /Page`, not `/Pages`). */
const PAGE = /\/Type\s*\/Page(?![A-Za-z])/g;
/** The page tree's total, in a `/Pages` node. */
const COUNT = /\/Type\s*\/Pages[^>]*?\/Count\s+(\d+)|\/Count\s+(\d+)[^>]*?\/Type\s*\/Pages/g;
/** The start of a stream's data, after its dictionary. */
const STREAM = /stream\r?\n/g;
/** How far before `stream` its dictionary is looked for. */
const DICTIONARY_SPAN = 1024;
/** What all object streams of one PDF may inflate to (a bound on a hostile file's cost). */
const MAX_INFLATED = 64 * 1024 * 1024;

/**
 * A PDF's page count, estimated from its bytes: the page objects, or the page tree's `/Count`,
 * whichever is larger, also inside compressed object streams (`/Type /ObjStm`, FlateDecode), where
 * PDF 1.5 and later keep them. At least 1. Not a PDF parser: an estimate for token counts.
 */
export function pdfPageCount(pdf: Buffer): number {
  const text = pdf.toString("latin1");
  let objects = pageObjects(text);
  let tree = treeCount(text);
  let budget = MAX_INFLATED;
  for (const match of text.matchAll(STREAM)) {
    const at = match.index;
    const dictionary = text.slice(Math.max(0, at - DICTIONARY_SPAN), at);
    const open = dictionary.lastIndexOf("obj");
    const own = open < 0 ? dictionary : dictionary.slice(open);
    if (!own.includes("/ObjStm") || !own.includes("/FlateDecode") || budget <= 0) continue;
    const start = at + match[0].length;
    const end = text.indexOf("endstream", start);
    if (end < 0) break;
    try {
      const inflated = inflateSync(pdf.subarray(start, end), { maxOutputLength: budget }).toString("latin1");
      budget -= inflated.length;
      objects += pageObjects(inflated);
      tree = Math.max(tree, treeCount(inflated));
    } catch {
      // A stream that does not inflate (another filter, damage, over the budget) counts for nothing.
    }
  }
  return Math.max(1, objects, tree);
}

const pageObjects = (text: string): number => text.match(PAGE)?.length ?? 0;

function treeCount(text: string): number {
  let count = 0;
  for (const match of text.matchAll(COUNT)) count = Math.max(count, Number(match[1] ?? match[2]));
  return count;
}
