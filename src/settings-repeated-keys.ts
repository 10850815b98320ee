/*
 * A key given twice in one mapping of the OLLAIX_CONFIG file. Both parsers (Bun.YAML, JSON.parse)
 * keep the last of the two without a word, so a second `models: ["*"]` under a key silently widens
 * what it may use, and a second `keys: []` leaves the gateway open. Both scans run on a text its
 * parser accepted, and look at every depth: block and flow mappings, mappings inside lists.
 */

/** Where a repeated key is: its path (`["keys", "0", "models"]`), its line and the first one's. */
export interface RepeatedKey {
  segments: string[];
  line: number;
  first: number;
}

/**
 * Bun.YAML gives no positions and no option to refuse a repeated key, so the text is read again by
 * the `yaml` package, whose syntax tree keeps each key with its offset; the value start-up uses is
 * still Bun's. Loaded only for a YAML file (it takes ~0.1 s to import).
 */
export async function repeatedYamlKeys(text: string): Promise<RepeatedKey[]> {
  const { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments } = await import("yaml");
  const lines = new LineCounter();
  // uniqueKeys off: the walk below finds the repeats itself, with the path and both lines. The core
  // schema whatever the file's `%YAML` directive says, as Bun reads it: under YAML 1.1's, `yes` and
  // "true" were one key here and two in the parsed file (a review).
  const documents = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false, schema: "core" });
  const found: RepeatedKey[] = [];
  if (!Array.isArray(documents)) return found; // an empty stream

  for (const document of documents) {
    /** The property name the key becomes in the parsed object (`~` and `null` are both "null", `1` and `'1'` both "1"). */
    const nameOf = (key: unknown): string | undefined => {
      const node = isAlias(key) ? key.resolve(document) : key;
      if (!isScalar(node)) return undefined; // a mapping or list as a key: no config field is one
      return node.value === null ? "null" : String(node.value);
    };
    const walk = (node: unknown, segments: string[]): void => {
      if (isSeq(node)) node.items.forEach((item, i) => walk(item, [...segments, String(i)]));
      if (!isMap(node)) return; // aliases are not followed: the anchored node is walked where it stands
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        const name = nameOf(pair.key);
        const offset = (pair.key as { range?: [number, number, number] } | null)?.range?.[0];
        if (name !== undefined && offset !== undefined) {
          const line = lines.linePos(offset).line;
          const first = seen.get(name);
          if (first === undefined) seen.set(name, line);
          else found.push({ segments: [...segments, name], line, first });
        }
        walk(pair.value, [...segments, name ?? "?"]);
      }
    };
    walk(document.contents, []);
  }
  return found;
}

/**
 * The same for a JSON text that JSON.parse accepted: a small tokenizer that keeps, for each object
 * being read, the keys seen so far, and for each array the index of its current element.
 */
export function repeatedJsonKeys(text: string): RepeatedKey[] {
  type Frame =
    | { kind: "object"; segments: string[]; seen: Map<string, number>; key?: string; expectKey: boolean }
    | { kind: "array"; segments: string[]; index: number };
  const found: RepeatedKey[] = [];
  const stack: Frame[] = [];
  let line = 1;
  /** The path of a value about to start in the innermost container. */
  const here = (): string[] => {
    const top = stack.at(-1);
    if (!top) return [];
    return [...top.segments, top.kind === "object" ? (top.key ?? "?") : String(top.index)];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\n") line++;
    else if (c === "{") stack.push({ kind: "object", segments: here(), seen: new Map(), expectKey: true });
    else if (c === "[") stack.push({ kind: "array", segments: here(), index: 0 });
    else if (c === "}" || c === "]") stack.pop();
    else if (c === ",") {
      const top = stack.at(-1);
      if (top?.kind === "array") top.index++;
      else if (top?.kind === "object") top.expectKey = true;
    } else if (c === '"') {
      // A JSON string holds no raw line break, so the line count is unaffected.
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      const top = stack.at(-1);
      if (top?.kind !== "object" || !top.expectKey) continue;
      top.expectKey = false;
      const key = JSON.parse(text.slice(start, i + 1)) as string; // escapes decoded: "\u0061" is "a"
      top.key = key;
      const first = top.seen.get(key);
      if (first === undefined) top.seen.set(key, line);
      else found.push({ segments: [...top.segments, key], line, first });
    }
  }
  return found;
}
