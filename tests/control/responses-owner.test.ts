// Stored responses belong to the key that created them (OpenAI scopes them to a project): another
// key cannot read, continue, list or delete them, nor reference their items.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import dummy from "../../plugins/dummy/index.ts";
import { writeConfigFile } from "../../plugins/openai-compatible/__fixtures__/test-env.ts";
import { json, jsonPost, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { startRedis } from "../helpers/redis.ts";

const A = "sk-owner-team-a-0001";
const B = "sk-owner-team-b-0002";
let gw: TestGateway;
beforeAll(async () => {
  const config = writeConfigFile({ keys: [{ name: "team-a", key_env: "KEY_A" }, { name: "team-b", key_env: "KEY_B" }] });
  gw = await startTestGateway({ OLLAIX_CONFIG: config, KEY_A: A, KEY_B: B }, [dummy]);
});
afterAll(() => gw.close());

const as = (key: string) => ({ authorization: `Bearer ${key}` });
const create = (key: string, extra: Record<string, unknown> = {}) =>
  json(fetch(`${gw.url}/v1/responses`, jsonPost({ model: "dummy-model:1.0", input: "Hello", ...extra }, as(key))));

describe("stored responses are the creating key's", () => {
  test("another key gets 404 on GET, input_items and DELETE, 400 previous_response_not_found on a continuation; the owner gets them", async () => {
    const mine = await create(A);
    expect(mine.id).toMatch(/^resp_/);
    const url = `${gw.url}/v1/responses/${mine.id}`;
    expect((await fetch(url, { headers: as(B) })).status).toBe(404);
    expect((await fetch(`${url}/input_items`, { headers: as(B) })).status).toBe(404);
    expect((await fetch(url, { method: "DELETE", headers: as(B) })).status).toBe(404);
    const continued = await fetch(`${gw.url}/v1/responses`, jsonPost({ model: "dummy-model:1.0", input: "more", previous_response_id: mine.id }, as(B)));
    expect(continued.status).toBe(400);
    expect((await json(continued)).error).toMatchObject({ code: "previous_response_not_found", param: "previous_response_id" });
    // An item reference to another key's output item is unknown too.
    const itemId = mine.output[0].id;
    const referenced = await fetch(`${gw.url}/v1/responses`, jsonPost({ model: "dummy-model:1.0", input: [{ type: "item_reference", id: itemId }, { role: "user", content: "and?" }] }, as(B)));
    expect(referenced.status).toBe(400);
    // The owner still has all of it.
    expect((await fetch(url, { headers: as(A) })).status).toBe(200);
    expect((await fetch(`${url}/input_items`, { headers: as(A) })).status).toBe(200);
    expect((await fetch(`${gw.url}/v1/responses`, jsonPost({ model: "dummy-model:1.0", input: "more", previous_response_id: mine.id }, as(A)))).status).toBe(200);
    expect((await fetch(url, { method: "DELETE", headers: as(A) })).status).toBe(200);
  });

  test("cancel: another key gets 404 for a background response, the owner gets it back", async () => {
    const mine = await create(A, { background: true });
    expect(mine.status).toBe("queued");
    let status = mine.status;
    for (let i = 0; i < 100 && (status === "queued" || status === "in_progress"); i++) {
      await Bun.sleep(10);
      status = (await json(fetch(`${gw.url}/v1/responses/${mine.id}`, { headers: as(A) }))).status;
    }
    expect(status).toBe("completed");
    expect((await fetch(`${gw.url}/v1/responses/${mine.id}?stream=true`, { headers: as(B) })).status).toBe(404);
    const cancel = (key: string) => fetch(`${gw.url}/v1/responses/${mine.id}/cancel`, { method: "POST", headers: as(key) });
    const other = await cancel(B);
    expect(other.status).toBe(404);
    expect((await json(other)).error).toMatchObject({ param: "response_id", code: "not_found" });
    const own = await cancel(A);
    expect(own.status).toBe(200);
    expect(await json(own)).toMatchObject({ id: mine.id, status: "completed", background: true });
  });
});

describe("OLLAIX_API_KEYS: what a key stored stays its own when the list changes", () => {
  test("a key removed or moved in the list hands nothing to the key that takes its place (Redis, as replicas share it)", async () => {
    const redis = await startRedis();
    const one = "sk-list-tenant-one-111";
    const two = "sk-list-tenant-two-222";
    const start = (list: string) => startTestGateway({ OLLAIX_API_KEYS: list, REDIS_URL: redis.url }, [dummy]);
    try {
      let gateway = await start(`${one},${two}`);
      const post = (path: string, key: string, body: unknown) => fetch(`${gateway.url}${path}`, jsonPost(body, as(key)));
      const response = await json(post("/v1/responses", one, { model: "dummy-model:1.0", input: "TENANT-ONE-PRIVATE" }));
      const conversation = await json(post("/v1/conversations", one, { items: [{ role: "user", content: "TENANT-ONE-PRIVATE" }] }));
      expect(response.id).toMatch(/^resp_/);
      expect(conversation.id).toMatch(/^conv_/);
      await gateway.close();
      // Key one revoked: key two is now api-key-1, the name key one had.
      gateway = await start(two);
      for (const path of [`/v1/responses/${response.id}`, `/v1/responses/${response.id}/input_items`, `/v1/conversations/${conversation.id}`, `/v1/conversations/${conversation.id}/items`]) {
        expect((await fetch(`${gateway.url}${path}`, { headers: as(two) })).status).toBe(404);
      }
      await gateway.close();
      // Key one back, in another place in the list: all of it is still its own.
      gateway = await start(`${two},${one}`);
      expect((await fetch(`${gateway.url}/v1/responses/${response.id}/input_items`, { headers: as(one) })).status).toBe(200);
      expect((await json(fetch(`${gateway.url}/v1/conversations/${conversation.id}/items`, { headers: as(one) }))).data[0].content[0].text).toBe("TENANT-ONE-PRIVATE");
      expect((await fetch(`${gateway.url}/v1/responses/${response.id}`, { headers: as(two) })).status).toBe(404);
      await gateway.close();
    } finally {
      await redis.stop();
    }
  });
});
