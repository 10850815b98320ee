// The gateway's shutdown() closes every Redis connection it opened, the Responses store's included
// (Elysia's onStop, where the route used to close it, does not run on server.stop).
import { afterAll, beforeAll, expect, test } from "bun:test";
import dummy from "../plugins/dummy/index.ts";
import { eventually, writeConfigFile } from "../plugins/openai-compatible/__fixtures__/test-env.ts";
import { json, jsonPost, startTestGateway } from "./helpers/gateway.ts";
import { startRedis, type TestRedis } from "./helpers/redis.ts";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.stop());

/** The connections Redis has, besides the one asking (`CLIENT LIST` lists itself as `cmd=client|list`). */
async function otherClients(): Promise<string[]> {
  const list = String(await redis.command(["CLIENT", "LIST"]));
  return list.split("\n").filter((line) => line.trim() !== "" && !line.includes("cmd=client|list"));
}

test("no Redis connection is left after shutdown (response store, limits)", async () => {
  const config = writeConfigFile({ keys: [{ name: "limited", key_env: "K_LIMITED", rpm: 100 }] });
  const key = "sk-shutdown-limited-01";
  const gw = await startTestGateway({ REDIS_URL: redis.url, OLLAIX_CONFIG: config, K_LIMITED: key }, [dummy]);
  const auth = { authorization: `Bearer ${key}` };
  const created = await fetch(`${gw.url}/v1/responses`, jsonPost({ model: "dummy-model:1.0", input: "hi" }, auth));
  expect(created.status).toBe(200);
  const { id } = await json(created);
  expect((await fetch(`${gw.url}/v1/responses/${id}`, { headers: auth })).status).toBe(200);
  // The store and the limits each have a connection while the gateway runs.
  expect((await otherClients()).length).toBeGreaterThanOrEqual(2);
  await gw.close();
  await eventually(async () => (await otherClients()).length === 0);
  expect(await otherClients()).toEqual([]);
});
