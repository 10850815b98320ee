/**
 * What the fuzz suite sends (fast-check arbitraries): valid bodies mutated in nasty ways, random
 * JSON and text, and random headers. Pure data; tests/helpers/fuzz.ts sends it.
 */
import fc from "fast-check";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Keys that reach prototypes when code copies objects carelessly. */
export const POLLUTING_KEYS = ["__proto__", "constructor", "prototype"] as const;

/** An object that pollutes Object.prototype with `polluted` if merged carelessly. */
function pollutingObject(): Json {
  const inner: Record<string, Json> = {};
  define(inner, "polluted", "yes");
  const out: Record<string, Json> = {};
  define(out, "__proto__", inner);
  define(out, "constructor", { prototype: { polluted: "yes" } });
  return out;
}

/** Sets an own enumerable property, also `__proto__` (plain assignment would set the prototype). */
function define(target: Record<string, Json> | Json[], key: string | number, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const nested = (depth: number, leaf: "array" | "object"): Json => {
  let value: Json = "deep";
  for (let i = 0; i < depth; i++) value = leaf === "array" ? [value] : { a: value };
  return value;
};

const loneSurrogates = fc.array(fc.integer({ min: 0xd800, max: 0xdfff }), { minLength: 1, maxLength: 4 }).map((units) => String.fromCharCode(...units));

/** Values a schema may accept, so mutated bodies get past validation into the route and the plugin. */
const plausibleValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(
    { role: "user", content: "Hi" },
    { role: "developer", content: [{ type: "text", text: "Be brief." }] },
    { role: "assistant", content: "", tool_calls: [] },
    { role: "tool", tool_call_id: "", content: [] },
    { type: "image_url", image_url: { url: "data:image/png;base64," } },
    { type: "image_url", image_url: { url: "http://img.example.com/cat.png" } },
    { type: "image_url", image_url: { url: "http://[::ffff:7f00:1]/a.png" } },
    { type: "image_url", image_url: { url: "data:image/svg+xml,%E0%A4%A" } },
    { type: "image_url", image_url: { url: "https://img.example.com:0/x" } },
    { type: "text", text: "" },
    { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=", filename: "a.pdf" } },
    { type: "file", file: { file_data: "data:;base64,%%", filename: "../../etc/passwd" } },
    { type: "file", file: { file_id: "file_1" } },
    { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } },
    { type: "input_audio", input_audio: { data: "\n\n!", format: "mp3" } },
    { type: "input_file", file_url: "http://127.0.0.1:1/a.pdf" },
    { type: "search_result", source: "s", title: "t", content: [{ type: "text", text: "" }] },
    { type: "input_file", file_data: "JVBERi0=", filename: null },
    { type: "input_file", file_url: "http://[::ffff:7f00:1]/a.pdf" },
    { type: "document", source: { type: "base64", media_type: "application/pdf", data: "" }, title: "" },
    { type: "document", source: { type: "content", content: [{ type: "image", source: { type: "text" } }] } },
    { type: "input_image", image_url: "http://[::ffff:7f00:1]/a.png" },
    { type: "input_image", file_id: "file_1" },
    { type: "input_text", text: "" },
    { type: "function_call", call_id: "", name: "", arguments: "{" },
    { type: "reasoning", summary: [] },
    { type: "image", source: { type: "url", url: "http://[::ffff:7f00:1]/a.png" } },
    { type: "image", source: { type: "base64", media_type: "image/gif", data: "!!" } },
    { type: "tool_use", id: "", name: "", input: [] },
    { type: "tool_result", tool_use_id: "nope", content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: "" } }] },
    { type: "thinking", thinking: "", signature: "x" },
    { type: "enabled", budget_tokens: 1024 },
    { function: { name: "f", arguments: "not an object" } },
    { num_predict: -1, stop: "x", num_ctx: 0 },
    ["!!not base64", ""],
    { type: "json_object" },
    { include_usage: false },
    ["a", "b", "c", "d"],
    [[1, 2, 3]],
  ),
  fc.double({ min: 0, max: 2, noNaN: true }),
  fc.integer({ min: 1, max: 200 }),
  fc.boolean(),
  fc.string({ maxLength: 12 }),
);

/** Values that are wrong somewhere in every schema, and some a schema takes. */
export const nastyValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: plausibleValue },
  fc.constantFrom<Json>(null, true, false, 0, -1, -0, 1.5, 1e308, -1e308, 2 ** 53 + 1, 4294967297, "", " ", [], {}, [null], { "": "" }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  loneSurrogates,
  fc.constantFrom("dummy-model:1.0", "user", "assistant", "tool", "image_url", "text", "function", "json_schema", "data:image/png;base64,", "http://127.0.0.1/a.png"),
  fc.tuple(fc.integer({ min: 20, max: 3000 }), fc.constantFrom<"array" | "object">("array", "object")).map(([depth, leaf]) => nested(depth, leaf)),
  fc.integer({ min: 1_000, max: 150_000 }).map((n) => "x".repeat(n)),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  fc.constant(null).map(pollutingObject),
);

/** Strings in the places strings go: URLs and data URLs broken in the ways parsers trip on. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(
    "data:image/svg+xml,%E0%A4%A",
    "data:image/png;base64,!!!",
    "data:,",
    "data:image/png,",
    "data:;base64,AAAA",
    "http://",
    "http://[::1",
    "https://img.example.com:0/x",
    "http://img.example.com:65536/",
    "http://img.example.com/cat.png#x",
    "http://user:pass@img.example.com/cat.png",
    "HTTP://IMG.EXAMPLE.COM/cat.png",
    "http://img.example.com/%zz",
    "http://img.example.com./cat.png",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "call_1",
    "{\"x\":",
    "dummy-model:1.0",
  ) },
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
  loneSurrogates,
);

export const nastyKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...POLLUTING_KEYS, "toString", "hasOwnProperty", "valueOf", "", "model", "messages", "stream", "n", "input", "content", "role", "tools", "tool_calls", "stream_options", "image_url", "dimensions", "encoding_format", "max_tokens", "system", "tool_choice", "thinking", "source", "instructions", "previous_response_id", "max_output_tokens", "text", "format", "options", "images", "prompt", "think", "keep_alive", "suffix"),
  fc.string({ maxLength: 20 }),
);

interface Mutation {
  op: "set" | "delete" | "add" | "retext" | "retextUrl";
  text: string;
  node: number;
  key: number;
  name: string;
  value: Json;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom<Mutation["op"]>("set", "set", "delete", "add", "retext", "retext", "retextUrl", "retextUrl"),
  text: nastyString,
  node: fc.nat(),
  key: fc.nat(),
  name: nastyKey,
  value: nastyValue,
});

/** Every object and array inside `value`, the root first. */
function containers(value: Json, out: (Json[] | Record<string, Json>)[] = []): (Json[] | Record<string, Json>)[] {
  if (value === null || typeof value !== "object") return out;
  out.push(value);
  for (const child of Object.values(value)) containers(child, out);
  return out;
}

/** A deep copy that keeps own `__proto__` keys (generated values are shared between runs: never mutate them). */
function copy(value: Json): Json {
  if (value === null || typeof value !== "object") return value;
  const out: Json[] | Record<string, Json> = Array.isArray(value) ? [] : {};
  for (const [key, child] of Object.entries(value)) define(out, Array.isArray(out) ? Number(key) : key, copy(child));
  return out;
}

/** Every object or array holding a string, with that string's key. */
function stringSlots(value: Json, urlsOnly: boolean, out: [Json[] | Record<string, Json>, string][] = []): [Json[] | Record<string, Json>, string][] {
  if (value === null || typeof value !== "object") return out;
  for (const [key, child] of Object.entries(value)) {
    if (typeof child === "string") {
      if (!urlsOnly || /^(data:|\w+:\/\/)/.test(child)) out.push([value, key]);
    } else stringSlots(child, urlsOnly, out);
  }
  return out;
}

function applyMutation(body: Json, m: Mutation): Json {
  if (m.op === "retext" || m.op === "retextUrl") {
    // URL-valued strings get their own share of the broken URLs: that is where parsers trip.
    const slots = stringSlots(body, m.op === "retextUrl");
    const slot = slots[m.node % Math.max(slots.length, 1)];
    if (slot) define(slot[0], Array.isArray(slot[0]) ? Number(slot[1]) : slot[1], m.text);
    return body;
  }
  const value = copy(m.value);
  const nodes = containers(body);
  const node = nodes[m.node % nodes.length];
  if (!node) return value;
  const keys = Object.keys(node);
  const key = keys.length > 0 ? keys[m.key % keys.length]! : m.name;
  if (m.op === "delete" && keys.length > 0) {
    if (Array.isArray(node)) node.splice(Number(key), 1);
    else delete node[key];
  } else if (m.op === "add") {
    if (Array.isArray(node)) node.push(value);
    else define(node, m.name, value);
  } else {
    define(node, Array.isArray(node) ? Number(key) : key, value);
  }
  return body;
}

/** `valid()` with one to four mutations: wrong types, missing fields, extra and polluting keys. */
export const mutatedBody = (valid: () => Json): fc.Arbitrary<Json> =>
  fc
    // Mostly one mutation: a bug usually needs one precise change to an otherwise valid body.
    .oneof({ weight: 3, arbitrary: fc.tuple(mutation) }, { weight: 1, arbitrary: fc.array(mutation, { minLength: 2, maxLength: 4 }) })
    .map((mutations) => mutations.reduce(applyMutation, valid()));

/** A request body as text: mostly mutated valid bodies, then random JSON, broken JSON and noise. */
export const bodyText = (valid: () => Json): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constant(null).map(() => JSON.stringify(valid())) },
    { weight: 12, arbitrary: mutatedBody(valid).map((body) => JSON.stringify(body)) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: fc.constant(null).map(() => JSON.stringify(valid())).chain((text) => fc.nat(text.length).map((cut) => text.slice(0, cut))) },
    { weight: 1, arbitrary: fc.constantFrom("", " ", "null", "[]", "{", "{\"model\":", "\u0000", "{\"a\":1}{", "\uFEFF{}", "NaN", "1e999999") },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
  );

/** Printable ASCII (what a header value can carry). */
const headerText = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });

/** Random request headers; `authorization` is the valid one most of the time when `validAuth` is given. */
export const requestHeaders = (validAuth: string | undefined): fc.Arbitrary<Record<string, string>> =>
  fc
    .record(
      {
        "content-type": fc.oneof(
          { weight: 8, arbitrary: fc.constant("application/json") },
          { weight: 3, arbitrary: fc.constantFrom("application/json; charset=utf-8", "APPLICATION/JSON", "application/vnd.api+json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", "json", "", "*/*") },
          { weight: 1, arbitrary: headerText(60) },
        ),
        authorization: fc.oneof(
          { weight: validAuth ? 8 : 0, arbitrary: fc.constant(validAuth ?? "") },
          { weight: 2, arbitrary: fc.oneof(headerText(80), headerText(80).map((s) => `Bearer ${s}`), fc.constantFrom("Bearer", "Bearer ", "bearer x", "Basic dXNlcjpwYXNz")) },
        ),
        "x-request-id": fc.oneof(headerText(300), fc.constantFrom("", " ", "a".repeat(129), "<script>", "../../etc/passwd")),
        "x-ollaix-hops": fc.oneof(
          { weight: 3, arbitrary: fc.integer({ min: 0, max: 4 }).map(String) },
          { weight: 1, arbitrary: fc.integer({ min: -3, max: 99 }).map(String) },
          { weight: 1, arbitrary: fc.constantFrom("", "abc", "1e3", "-1", "99999999999999999999", "0x5", " 3 ", "4.5", "5") },
        ),
      },
      { requiredKeys: ["authorization"] },
    )
    .map((headers) => Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined)) as Record<string, string>);

/**
 * Paths no surface owns. `/api/`, `/v1/messages` and `/` are left out: they belong to surfaces with
 * their own 404 shape (`/`, and `//` that the router reads as it, is Ollama's "Ollama is running", a 405 for other methods).
 */
export const unknownPath: fc.Arbitrary<string> = fc
  .oneof(
    fc.constantFrom("/v1", "/v1/", "/v1/chat", "/v1/chat/completions/", "/v1//models", "/V1/MODELS", "/v1/completions", "/v1/models/a/b/c/d", "/%", "/%2e%2e/%2e%2e/etc/passwd", "/v1/embeddings/x", "/health/x", "/docs/x/y", "/.env", "/v2/chat/completions", "/v1/chat/completions%00"),
    fc.webPath(),
    fc.array(headerText(12).map(encodeURIComponent), { minLength: 1, maxLength: 5 }).map((parts) => `/v1/${parts.join("/")}`),
  )
  .filter((path) => path.startsWith("/") && !/^\/+$/.test(path) && !/^\/(api(\/|$)|v1\/messages)/i.test(path));

/** A model id as it appears in `/v1/models/{id}`: encoded or raw, with `/` and `:`. */
export const modelIdPath: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("dummy-model:1.0", "dummy/dummy-model:1.0", "dummy-model%3A1.0", "nope", "ollama/x", "%00", "..%2f..%2f", "a:b/c:d", "__proto__", "constructor", "prototype", "hasOwnProperty"),
  fc.string({ minLength: 1, maxLength: 40 }).map(encodeURIComponent),
  fc.string({ unit: "binary", minLength: 1, maxLength: 20 }).map(encodeURIComponent),
  // `.` and `..` are dot segments: the client's URL parser removes them (`/v1/models/.` is `/v1/models/`).
).filter((id) => id !== "." && id !== "..");
