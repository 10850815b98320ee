import { describe, expect, test } from "bun:test";
import { InvalidRequestError, PayloadTooLargeError } from "./errors.ts";
import { MAX_JSON_DEPTH, nestsDeeperThan, noBodyParsers, readJsonBody } from "./body.ts";

/** `levels` arrays, one inside the other, around `inner`. */
const nested = (levels: number, inner: unknown = 1): unknown => {
  let value = inner;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
};

describe("nestsDeeperThan", () => {
  test("counts arrays and objects alike, the outermost as level 1", () => {
    expect(nestsDeeperThan(1, 0)).toBe(false);
    expect(nestsDeeperThan("x", 0)).toBe(false);
    expect(nestsDeeperThan(null, 0)).toBe(false);
    expect(nestsDeeperThan({}, 0)).toBe(true);
    expect(nestsDeeperThan({}, 1)).toBe(false);
    expect(nestsDeeperThan({ a: [{ b: 1 }] }, 2)).toBe(true);
    expect(nestsDeeperThan({ a: [{ b: 1 }] }, 3)).toBe(false);
    expect(nestsDeeperThan(nested(50), 50)).toBe(false);
    expect(nestsDeeperThan(nested(51), 50)).toBe(true);
  });

  test("finds the deep branch wherever it is, past wide shallow ones", () => {
    const wide = { list: Array.from({ length: 1000 }, (_, i) => ({ i })), tools: [{ parameters: nested(30, { deep: true }) }], after: [1, 2] };
    expect(nestsDeeperThan(wide, 33)).toBe(true);
    expect(nestsDeeperThan(wide, 34)).toBe(false);
  });

  test("takes no recursion: 200,000 levels", () => {
    expect(nestsDeeperThan(nested(200_000), MAX_JSON_DEPTH)).toBe(true);
  });
});

describe("readJsonBody: nesting", () => {
  const post = (text: string, chunked = false) =>
    new Request("http://x/", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: chunked ? new Blob([text]).stream() : text,
    });

  test.each([false, true])("chunked %p: MAX_JSON_DEPTH levels are read, one more is a 400", async (chunked) => {
    const at = JSON.stringify({ a: nested(MAX_JSON_DEPTH - 1) });
    expect(nestsDeeperThan(await readJsonBody(post(at, chunked), 1 << 20), MAX_JSON_DEPTH - 1)).toBe(true);
    const over = JSON.stringify({ a: nested(MAX_JSON_DEPTH) });
    const error = await readJsonBody(post(over, chunked), 1 << 20).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).message).toBe(`The request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep.`);
  });

  test("brackets inside strings are text, not nesting", async () => {
    const text = JSON.stringify({ content: "[".repeat(5000) + "{".repeat(5000) });
    expect(await readJsonBody(post(text), 1 << 20)).toEqual({ content: "[".repeat(5000) + "{".repeat(5000) });
  });
});

describe("noBodyParsers (a POST that takes no body)", () => {
  const [read] = noBodyParsers(16);
  test("without a body nothing is read; a body sent anyway is read as any other, capped", async () => {
    expect(await read({ request: new Request("http://x/", { method: "POST" }) })).toEqual({});
    const sent = (body: string) =>
      new Request("http://x/", { method: "POST", headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }, body });
    // curl -X POST -H "Content-Type: application/json" (no -d): a content type alone is no body.
    const typed = new Request("http://x/", { method: "POST", headers: { "content-type": "application/json" } });
    expect(await read({ request: typed })).toEqual({});
    expect(await read({ request: sent("") })).toEqual({});
    expect(await read({ request: sent("{}") })).toEqual({});
    expect(await read({ request: sent('{"a":1}') })).toEqual({ a: 1 });
    expect(await read({ request: sent(`{"a":"${"x".repeat(32)}"}`) }).catch((e) => e)).toBeInstanceOf(PayloadTooLargeError);
    expect(await read({ request: sent("{") }).catch((e) => e)).toBeInstanceOf(InvalidRequestError);
  });
});
