import { SENTENCES } from "./corpus.ts";

/** mulberry32: a tiny, fast PRNG; the same seed always gives the same sequence. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over a string: a stable 32-bit hash for seeds and embeddings. */
export function hashString(text: string, basis = 0x811c9dc5): number {
  let hash = basis;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * The dummy's tokenizer: a word or a single punctuation mark is one token. Honest in the sense that
 * the usage it reports is exactly what it produced and what it read, by one fixed rule.
 */
export function countTokens(text: string): number {
  let tokens = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const kind = charKind(text.charCodeAt(i), text, i);
    if (kind === WORD) {
      if (!inWord) tokens++;
      inWord = true;
    } else {
      if (kind === MARK) tokens++;
      inWord = false;
    }
  }
  return tokens;
}

const SPACE = 0;
const WORD = 1;
const MARK = 2;
const WORD_CHAR = /[\p{L}\p{N}]/u;

// A character loop instead of one Unicode regex: the dummy sits on the benchmark's hot path.
function charKind(code: number, text: string, i: number): number {
  if (code <= 32) return SPACE;
  if ((code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95 || code === 39) return WORD;
  if (code < 128) return MARK;
  if (/\s/.test(text[i]!)) return SPACE;
  // Surrogate pairs: classify by the whole code point.
  const char = String.fromCodePoint(text.codePointAt(i)!);
  return WORD_CHAR.test(char) ? WORD : code >= 0xdc00 && code <= 0xdfff && i > 0 ? charKindLowSurrogate(text, i) : MARK;
}

function charKindLowSurrogate(text: string, i: number): number {
  // The high half already counted this code point.
  return charKind(text.charCodeAt(i - 1), text, i - 1) === WORD ? WORD : SPACE;
}

export interface GeneratedText {
  /** The whole text (what a non-streamed answer carries). */
  text: string;
  /** The pieces streamed one by one: each word with its leading space (made when first read). */
  readonly pieces: string[];
  finishReason: "stop" | "length";
  /** The stop sequence the text was cut at, when one was (and no token budget cut it first). */
  matchedStop?: string;
  completionTokens: number;
}

export interface GenerateOptions {
  seed: number;
  maxTokens?: number;
  stop?: readonly string[];
}

/** Each corpus sentence's words, their token counts and its total, worked out once (the benchmark's hot path). */
const SENTENCE_WORDS = SENTENCES.map((sentence) => {
  const words = sentence.split(" ");
  const costs = words.map(countTokens);
  return { words, costs, tokens: costs.reduce((a, b) => a + b, 0) };
});

/** Two to four sentences from the corpus, cut by `maxTokens` (→ length) or a stop sequence (→ stop). */
export function generateText({ seed, maxTokens, stop }: GenerateOptions): GeneratedText {
  const random = createRandom(seed);
  const count = 2 + Math.floor(random() * 3);
  const picked: number[] = [];
  for (let i = 0; i < count; i++) picked.push(Math.floor(random() * SENTENCES.length));
  if (!stop || stop.length === 0) return fromWords(picked, maxTokens);
  let text = picked.map((i) => SENTENCES[i]!).join(" ");
  let cut = text.length;
  let matched: string | undefined;
  for (const s of stop) {
    const at = s ? text.indexOf(s) : -1;
    if (at >= 0 && at < cut) {
      cut = at;
      matched = s;
    }
  }
  text = text.slice(0, cut);
  const words = text.split(" ").filter(Boolean);
  const pieces: string[] = [];
  let tokens = 0;
  let finishReason: "stop" | "length" = "stop";
  for (const word of words) {
    const cost = countTokens(word);
    if (maxTokens !== undefined && tokens + cost > maxTokens) {
      finishReason = "length";
      break;
    }
    pieces.push(pieces.length === 0 ? word : ` ${word}`);
    tokens += cost;
  }
  const generated: GeneratedText = { text: pieces.join(""), pieces, finishReason, completionTokens: tokens };
  if (finishReason === "stop" && matched !== undefined) generated.matchedStop = matched;
  return generated;
}

/**
 * The same as the general path above without stop sequences, from the precomputed words: whole
 * sentences while they fit (the usual case: one string, the pieces only when a stream reads them),
 * word by word in the sentence that reaches `maxTokens`.
 */
function fromWords(picked: readonly number[], maxTokens: number | undefined): GeneratedText {
  let text = "";
  let tokens = 0;
  let whole = 0;
  for (; whole < picked.length; whole++) {
    const sentence = SENTENCE_WORDS[picked[whole]!]!;
    if (maxTokens !== undefined && tokens + sentence.tokens > maxTokens) break;
    text = whole === 0 ? SENTENCES[picked[whole]!]! : `${text} ${SENTENCES[picked[whole]!]}`;
    tokens += sentence.tokens;
  }
  if (whole === picked.length) return lazyPieces(text, picked, "stop", tokens);
  const { words, costs } = SENTENCE_WORDS[picked[whole]!]!;
  for (let w = 0; w < words.length; w++) {
    if (tokens + costs[w]! > maxTokens!) break;
    text = text === "" ? words[w]! : `${text} ${words[w]}`;
    tokens += costs[w]!;
  }
  return { text, pieces: text === "" ? [] : splitPieces(text), finishReason: "length", completionTokens: tokens };
}

/** Each word with its leading space, as the stream sends them. */
const splitPieces = (text: string): string[] => text.split(" ").map((word, i) => (i === 0 ? word : ` ${word}`));

function lazyPieces(text: string, picked: readonly number[], finishReason: "stop" | "length", completionTokens: number): GeneratedText {
  let pieces: string[] | undefined;
  return {
    text,
    get pieces() {
      if (pieces === undefined) {
        pieces = [];
        for (const index of picked) for (const word of SENTENCE_WORDS[index]!.words) pieces.push(pieces.length === 0 ? word : ` ${word}`);
      }
      return pieces;
    },
    finishReason,
    completionTokens,
  };
}

/** A unit vector of `dimensions` floats derived from the input only. */
export function embedText(input: string, dimensions: number): number[] {
  const random = createRandom(hashString(input));
  const vector = new Array<number>(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    const v = random() * 2 - 1;
    vector[i] = v;
    norm += v * v;
  }
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < dimensions; i++) vector[i] = vector[i]! / norm;
  return vector;
}
