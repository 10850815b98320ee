import { describe, expect, test } from "bun:test";
import type { Model } from "../../schemas/models.ts";
import { anthropicModelPage, toAnthropicModel } from "./models.ts";

const model = (id: string, created: number, extra: Partial<Model> = {}): Model => ({ id, object: "model", created, owned_by: "x", ...extra });
const models = [model("a", 100), model("b", 300), model("c", 200), model("d", 300)];
const page = (query: string) => anthropicModelPage(models, new URLSearchParams(query));
const ids = (query: string) => page(query).data.map((m) => m.id);

describe("anthropicModelPage", () => {
  test("newest first (ties in the gateway's order), 20 by default, limit pages", () => {
    expect(ids("")).toEqual(["b", "d", "c", "a"]);
    expect(page("limit=2")).toMatchObject({ has_more: true, first_id: "b", last_id: "d" });
    expect(page("after_id=d&limit=2")).toMatchObject({ has_more: false, first_id: "c", last_id: "a" });
    expect(page("before_id=c&limit=1")).toMatchObject({ has_more: true, first_id: "d", last_id: "d" });
    expect(page("before_id=d")).toMatchObject({ has_more: false, first_id: "b", last_id: "b" });
    expect(anthropicModelPage(Array.from({ length: 25 }, (_, i) => model(`m${i}`, i)), new URLSearchParams()).data).toHaveLength(20);
  });

  test("an unknown cursor is an empty page; lifecycle filters (every model is active)", () => {
    expect(page("after_id=zz")).toEqual({ data: [], has_more: false, first_id: null, last_id: null });
    expect(page("before_id=zz")).toEqual({ data: [], has_more: false, first_id: null, last_id: null });
    expect(ids("lifecycle=deprecated&lifecycle=retired")).toEqual([]);
    expect(ids("lifecycle[]=active")).toHaveLength(4);
  });

  test.each(["limit=0", "limit=1001", "limit=2.5", "limit=x", "after_id=a&before_id=b", "lifecycle=gone"])("%s is a 400 naming the parameter", (query) => {
    expect(() => page(query)).toThrow(expect.objectContaining({ status: 400 }));
  });
});

test("toAnthropicModel: the name as display_name (else the id), context_length as max_input_tokens, created as RFC 3339", () => {
  expect(toAnthropicModel(model("x", 1735689600, { name: "X", context_length: 8192 }))).toEqual({
    type: "model", id: "x", display_name: "X", created_at: "2025-01-01T00:00:00Z", capabilities: null, deprecated_at: null, lifecycle: "active", line: null, max_input_tokens: 8192, max_tokens: null, retires_at: null,
  });
  expect(toAnthropicModel(model("y", 0))).toMatchObject({ display_name: "y", created_at: "1970-01-01T00:00:00Z", max_input_tokens: null });
});
