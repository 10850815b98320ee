import { describe, expect, test } from "bun:test";
import { hashId, IdTable } from "./id-table.ts";

/** Records as an array of ids; a record is live while `live` has its sequence number. */
function records(hashOf: (id: string) => number = hashId) {
  const ids: string[] = [];
  const live = new Set<number>();
  const view = {
    isLive: (sequence: number) => live.has(sequence),
    hasId: (sequence: number, id: string) => ids[sequence] === id,
    hashOf: (sequence: number) => hashOf(ids[sequence]!),
    forEachLive: (visit: (sequence: number) => void) => live.forEach(visit),
  };
  const table = new IdTable(view);
  const add = (id: string) => {
    const sequence = ids.push(id) - 1;
    live.add(sequence);
    table.insert(hashOf(id), sequence);
    return sequence;
  };
  const find = (id: string) => table.find(id, hashOf(id));
  return { table, add, find, live };
}

describe("IdTable", () => {
  test("finds what was inserted, and nothing else", () => {
    const { add, find } = records();
    const a = add("resp_a");
    const b = add("resp_b");
    expect(find("resp_a")).toBe(a);
    expect(find("resp_b")).toBe(b);
    expect(find("resp_c")).toBe(-1);
    expect(find("")).toBe(-1);
  });

  test("a record that no longer counts is not found, and its slot is reused", () => {
    const { add, find, live, table } = records();
    const a = add("resp_a");
    live.delete(a);
    expect(find("resp_a")).toBe(-1);
    const again = add("resp_a");
    expect(find("resp_a")).toBe(again);
    expect(table.capacity).toBe(1024);
  });

  test("every id colliding on one hash: probing still tells them apart, deletions included", () => {
    const { add, find, live } = records(() => 7);
    const sequences = Array.from({ length: 300 }, (_, i) => add(`id${i}`));
    for (let i = 0; i < 300; i += 3) live.delete(sequences[i]!);
    for (let i = 0; i < 300; i++) expect(find(`id${i}`)).toBe(i % 3 === 0 ? -1 : sequences[i]!);
  });

  test("a long churn (10,000 live at most, 200,000 inserted) keeps every live id findable and the table small", () => {
    const { add, find, live, table } = records();
    const order: number[] = [];
    for (let i = 0; i < 200_000; i++) {
      order.push(add(`resp_${i.toString(16)}`));
      if (order.length > 10_000) live.delete(order[order.length - 10_001]!);
    }
    expect(table.capacity).toBeLessThanOrEqual(65_536);
    for (let i = 190_000; i < 200_000; i += 97) expect(find(`resp_${i.toString(16)}`)).toBe(order[i]!);
    for (let i = 0; i < 189_000; i += 997) expect(find(`resp_${i.toString(16)}`)).toBe(-1);
  });

  test("hashId is FNV-1a (32-bit)", () => {
    expect(hashId("")).toBe(0x811c9dc5);
    expect(hashId("a")).toBe(0xe40c292c);
    expect(hashId("foobar")).toBe(0xbf9cf968);
  });
});
