// Long previous_response_id chains: a continuation is stored as a link to the responses it continues
// (a whole copy every 16th turn), so a chain takes about its own size in the store, not its square;
// what the model reads and what input_items lists are unchanged, and a chain with a member gone says so.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { json, jsonPost, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { expectOpenAI } from "./helpers/openai-schema.ts";
import { startRedis, type TestRedis } from "./helpers/redis.ts";

const model = "dummy-model:1.0";
type Created = { id: string; output: { id: string }[] };

/** Every input item of a response, oldest first, paged 100 at a time as a client pages. */
async function allInputItems(gw: TestGateway, id: string): Promise<{ id: string; role?: string }[]> {
  const items: { id: string; role?: string }[] = [];
  let after: string | undefined;
  for (let page = 0; page < 20; page++) {
    const list = await json(gw.handle(`/v1/responses/${id}/input_items?order=asc&limit=100${after ? `&after=${after}` : ""}`));
    expectOpenAI("ResponseItemList", list);
    items.push(...list.data);
    if (!list.has_more) break;
    after = list.last_id;
  }
  return items;
}

/** The items a chain's turn `n` (0-based) read: every earlier turn's input and answer, then its own input. */
const expectedItems = (turns: Created[], n: number) => [
  ...turns.slice(0, n).flatMap((turn) => [`msg_${turn.id.slice(5)}i0000`, turn.output[0]!.id]),
  `msg_${turns[n]!.id.slice(5)}i0000`,
];

describe("a 40-turn chain over two gateways sharing Redis", () => {
  let redis: TestRedis;
  let a: TestGateway;
  let b: TestGateway;
  beforeAll(async () => {
    redis = await startRedis();
    a = await startTestGateway({ REDIS_URL: redis.url });
    b = await startTestGateway({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  test("each turn continues the last, input_items lists every turn, and the store holds ~the chain's size, not its square", async () => {
    const turns: Created[] = [];
    const text = (n: number) => `Turn ${n}: ${"a long tool result line. ".repeat(80)}`; // ~2 KB a turn
    for (let n = 0; n < 40; n++) {
      const gw = n % 2 === 0 ? a : b;
      const response = await gw.handle("/v1/responses", jsonPost({ model, input: text(n), ...(n > 0 ? { previous_response_id: turns[n - 1]!.id } : {}) }));
      expect(response.status).toBe(200);
      turns.push((await response.json()) as Created);
    }
    for (const n of [1, 15, 16, 17, 39]) expect((await allInputItems(n % 2 === 0 ? b : a, turns[n]!.id)).map((item) => item.id)).toEqual(expectedItems(turns, n));

    const sizes = await Promise.all(turns.map(async (turn) => Number(await redis.command(["STRLEN", `ollaix:responses:${turn.id}`]))));
    // Turns 0, 16 and 32 keep a whole copy of their conversation; the others their own turn and links.
    for (const [n, size] of sizes.entries()) {
      if (n === 16 || n === 32) expect(size).toBeGreaterThan(16 * 2000);
      else expect(size).toBeLessThan(5000);
    }
    const total = sizes.reduce((sum, size) => sum + size, 0);
    const quadratic = sizes[0]! * ((40 * 41) / 2); // each turn a copy of all before it
    expect(total).toBeLessThan(quadratic / 4);
  });

  test("a link renews the expiry of the responses it links to: a chain lives as long as its last response", async () => {
    const first = (await json(a.handle("/v1/responses", jsonPost({ model, input: "one" })))) as Created;
    await redis.command(["EXPIRE", `ollaix:responses:${first.id}`, "100"]);
    await json(b.handle("/v1/responses", jsonPost({ model, input: "two", previous_response_id: first.id })));
    expect(Number(await redis.command(["TTL", `ollaix:responses:${first.id}`]))).toBeGreaterThan(80_000); // RESPONSES_TTL_S's default, a day
  });
});

describe("in memory: a chain with a member gone, and one whose start may expire soon", () => {
  let gw: TestGateway;
  let shortLived: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
    shortLived = await startTestGateway({ RESPONSES_TTL_S: "5" });
  });
  afterAll(async () => {
    await gw?.close();
    await shortLived?.close();
  });

  const turn = async (input: string, previous?: Created, on = gw) =>
    json(on.handle("/v1/responses", jsonPost({ model, input, ...(previous ? { previous_response_id: previous.id } : {}) }))) as Promise<Created>;

  test("a deleted member: a later response linking to it is OpenAI's previous_response_not_found naming both, its input_items a 404; a whole copy continues", async () => {
    const turns: Created[] = [];
    for (let n = 0; n < 20; n++) turns.push(await turn(`turn ${n}`, turns[n - 1]));
    expect((await gw.handle(`/v1/responses/${turns[5]!.id}`, { method: "DELETE" })).status).toBe(200);

    const refused = await gw.handle("/v1/responses", jsonPost({ model, input: "more", previous_response_id: turns[10]!.id }));
    expect(refused.status).toBe(400);
    const error = (await refused.json()) as { error: { message: string } };
    expectOpenAI("ErrorResponse", error);
    expect(error.error).toMatchObject({ type: "invalid_request_error", param: "previous_response_id", code: "previous_response_not_found" });
    expect(error.error.message).toContain(turns[10]!.id);
    expect(error.error.message).toContain(turns[5]!.id);
    const listed = await gw.handle(`/v1/responses/${turns[10]!.id}/input_items`);
    expect(listed.status).toBe(404);
    expect(((await listed.json()) as { error: { message: string } }).error.message).toContain(turns[5]!.id);

    // Turn 16 keeps a whole copy; turn 19 links only to turns 16-18.
    for (const n of [16, 19]) {
      const next = await turn("more", turns[n]);
      const items = await allInputItems(gw, next.id);
      expect(items.length).toBe(2 * (n + 1) + 1);
      expect(items.map((item) => item.id)).toContain(`msg_${turns[5]!.id.slice(5)}i0000`);
    }
  });

  test("a chain whose first response is past an eighth of RESPONSES_TTL_S is not linked to again: the next turn keeps a whole copy", async () => {
    const first = await turn("remember: blue", undefined, shortLived);
    await Bun.sleep(1100); // RESPONSES_TTL_S 5: an eighth is 625 ms
    const second = await turn("and then?", first, shortLived);
    expect((await shortLived.handle(`/v1/responses/${first.id}`, { method: "DELETE" })).status).toBe(200);
    const third = await shortLived.handle("/v1/responses", jsonPost({ model, input: "what colour?", previous_response_id: second.id }));
    expect(third.status).toBe(200);
    const items = await allInputItems(shortLived, ((await third.json()) as Created).id);
    expect(items.map((item) => item.id).slice(0, 2)).toEqual([`msg_${first.id.slice(5)}i0000`, first.output[0]!.id]);
  });
});

describe("in memory, a store that drops its oldest responses before their TTL (RESPONSES_MEMORY_MB)", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ RESPONSES_MEMORY_MB: "1" });
  });
  afterAll(async () => {
    await gw?.close();
  });

  test("once it drops responses within a second, it links to no chain start older than an eighth of that: each turn keeps a whole copy", async () => {
    const create = async (body: object) => (await json(gw.handle("/v1/responses", jsonPost({ model, ...body })))) as Created;
    const filler = async (n: number) => {
      for (let i = 0; i < n; i++) await create({ input: "x".repeat(40_000) });
    };
    await filler(40); // 1.6 MB through a 1 MiB store: the oldest go, each within a second of being put
    await Bun.sleep(300); // the worker holds what was put (its batches go every 250 ms), and says how long it keeps them
    const start = await create({ input: "start of the chain" });
    let latest = start;
    for (let n = 1; n <= 3; n++) {
      await Bun.sleep(50);
      latest = await create({ input: `turn ${n}`, previous_response_id: latest.id });
    }
    // Kept whole: the turns need nothing older than themselves (deleting the start, or the store dropping it, ends nothing).
    expect((await gw.handle(`/v1/responses/${start.id}`, { method: "DELETE" })).status).toBe(200);
    const next = await gw.handle("/v1/responses", jsonPost({ model, input: "go on", previous_response_id: latest.id }));
    expect(next.status).toBe(200);
    const items = await allInputItems(gw, ((await next.json()) as Created).id);
    expect(items[0]!.id).toBe(`msg_${start.id.slice(5)}i0000`);
  });
});
