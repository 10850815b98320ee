import { describe, expect, test } from "bun:test";
import { randomId } from "../../ids.ts";
import { inputItemId, outputItemId, responseIdOfItem, storedItemOf } from "./item-ids.ts";

describe("output item ids", () => {
  test("name their response, for every item kind and index", () => {
    const responseId = randomId("resp_");
    for (const prefix of ["msg_", "rs_", "fc_", "ctc_"] as const) {
      for (const index of [0, 1, 15, 255, 4095]) {
        const id = outputItemId(prefix, responseId, index);
        expect(id.startsWith(prefix)).toBe(true);
        expect(responseIdOfItem(id)).toBe(responseId);
      }
    }
  });

  test("differ by index and by response", () => {
    const a = randomId("resp_");
    const b = randomId("resp_");
    const ids = new Set([0, 1, 2].flatMap((i) => [outputItemId("msg_", a, i), outputItemId("msg_", b, i), outputItemId("fc_", a, i)]));
    expect(ids.size).toBe(9);
  });

  test("ids made elsewhere name no response", () => {
    // A client's own ids with one of the gateway's prefixes too (a probe's msg_client1 was taken for one of its items), and OpenAI's.
    for (const id of ["", "msg_", "msg_0000", "item_abc0000", "resp_abc", "call_0123456789", "no-underscore", "msg_client1", "fc_abcd1234", "msg_67ccd3acc8d48190a77525dc6de64b4104becd9b49e8bd0e"]) {
      expect(responseIdOfItem(id)).toBeUndefined();
    }
  });
});

describe("input item ids", () => {
  test("one per place, none naming a response (input items are listed, not referenced)", () => {
    const responseId = randomId("resp_");
    const ids = [0, 1, 2].map((i) => inputItemId("msg_", responseId, i));
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) {
      expect(id).toMatch(/^msg_[0-9a-f]{24}i[0-9a-f]{4}$/);
      expect(responseIdOfItem(id)).not.toBe(responseId);
    }
  });
});

describe("storedItemOf: the response an item id made here belongs to", () => {
  test("an output item's, and an input item's (what input_items lists, which clients may refer to)", () => {
    const responseId = randomId("resp_");
    expect(storedItemOf(outputItemId("fc_", responseId, 3))).toEqual({ responseId, isInput: false });
    for (const prefix of ["msg_", "fc_", "fco_", "ctc_", "ctco_", "rs_"]) expect(storedItemOf(inputItemId(prefix, responseId, 300))).toEqual({ responseId, isInput: true });
  });

  test("none for ids made elsewhere", () => {
    for (const id of ["msg_mine", "fco_0000", "fco_abc0000", "call_abci0000", "item_abc0000", ""]) expect(storedItemOf(id)).toBeUndefined();
  });
});
