// Looking up a model the upstream did not list (`GET /v1/models/{instance}%2F{id}`, `POST /api/show`)
// asks the upstream (its `GET /models/{id}`); the answer, found or not, is kept a while, so repeating
// the lookup does not reach the upstream each time, and a lookup that would reach it is a request of
// the key: refused while its rpm is spent. A key over its rpm still reached the upstream with every
// lookup (a probe).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Ollama } from "ollama";
import OpenAI from "openai";
import openaiCompatible from "../plugins/openai-compatible/index.ts";
import { openAIHandler, UNLISTED_MODEL } from "../plugins/openai-compatible/__fixtures__/fake-openai.ts";
import { writeConfigFile } from "../plugins/openai-compatible/__fixtures__/test-env.ts";
import { startFakeServer, type FakeServer } from "./helpers/fake-server.ts";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { awayFromMinuteEnd } from "./helpers/windows.ts";

const KEY = { free: "sk-lookups-free-0001", limited: "sk-lookups-limited-0002" };

let upstream: FakeServer;
let gw: TestGateway;
/** The upstream's `GET /v1/models/{id}` calls so far, by id. */
const asked = (): string[] => upstream.requests.filter((r) => r.method === "GET" && r.path.startsWith("/v1/models/")).map((r) => decodeURIComponent(r.path.slice("/v1/models/".length)));

beforeAll(async () => {
  upstream = startFakeServer(openAIHandler);
  const config = writeConfigFile({ keys: [{ name: "free", key_env: "K_FREE" }, { name: "limited", key_env: "K_LIMITED", rpm: 2 }] });
  gw = await startTestGateway(
    { OPENAI_BASE_URL: `${upstream.url}/v1`, OPENAI_API_KEY: "sk-upstream", OLLAIX_CONFIG: config, K_FREE: KEY.free, K_LIMITED: KEY.limited },
    [openaiCompatible],
  );
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
});

test("a lookup's answer, found or not, is kept: repeated on any surface, it reaches the upstream once", async () => {
  const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY.free, maxRetries: 0 });
  const ollama = new Ollama({ host: gw.url, headers: { Authorization: `Bearer ${KEY.free}` } });
  for (let i = 0; i < 5; i++) expect((await openai.models.retrieve(`openai/${UNLISTED_MODEL}`)).id).toBe(`openai/${UNLISTED_MODEL}`);
  expect((await ollama.show({ model: `openai/${UNLISTED_MODEL}` })).capabilities).toBeDefined();
  for (let i = 0; i < 5; i++) {
    const missing = await openai.models.retrieve("openai/no-such-model").catch((error: unknown) => error);
    expect(missing).toMatchObject({ status: 404, code: "model_not_found" });
  }
  const notShown = await ollama.show({ model: "openai/no-such-model" }).catch((error: unknown) => error);
  expect(notShown).toMatchObject({ status_code: 404 });
  expect(asked().sort()).toEqual([UNLISTED_MODEL, "no-such-model"].sort());
});

test("a lookup that would reach the upstream is a request of the key: over its rpm it is a 429 and the upstream is not asked; a kept answer still serves", async () => {
  await awayFromMinuteEnd();
  const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY.limited, maxRetries: 0 });
  const before = asked().length;
  await openai.models.retrieve("openai/limited-1").catch(() => undefined); // 404s, each asked: two of its rpm
  await openai.models.retrieve("openai/limited-2").catch(() => undefined);
  expect(asked().length).toBe(before + 2);
  const refused = await openai.models.retrieve("openai/limited-3").catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(OpenAI.APIError);
  expect(refused).toMatchObject({ status: 429, code: "rate_limit_exceeded" });
  const shown = await fetch(`${gw.url}/api/show`, { method: "POST", headers: { authorization: `Bearer ${KEY.limited}` }, body: JSON.stringify({ model: "openai/limited-4" }) });
  expect(shown.status).toBe(429);
  expect(await shown.json()).toEqual({ error: expect.stringContaining("Rate limit") });
  expect(asked().length).toBe(before + 2);
  // Kept answers reach no upstream: they are answered as a listed model is.
  expect((await openai.models.retrieve(`openai/${UNLISTED_MODEL}`)).id).toBe(`openai/${UNLISTED_MODEL}`);
  expect(await openai.models.retrieve("openai/limited-1").catch((error: unknown) => error)).toMatchObject({ status: 404 });
  expect(asked().length).toBe(before + 2);
}, 15_000); // awayFromMinuteEnd may wait up to 8 s
