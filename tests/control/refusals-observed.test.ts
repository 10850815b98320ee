// A refused model call is observed as the key's and the model's: a request refused by validation
// (before the pipeline), by a key's limit or by its allowed models (in the pipeline's gate) is
// counted under its key, its model's label and the limit that refused it, and logged with them and
// with its `stream` flag; a queued background create carries the key's x-ratelimit-* headers.
import { afterAll, beforeAll, beforeEach, describe, expect, test, setDefaultTimeout } from "bun:test";
import dummy from "../../plugins/dummy/index.ts";
import { writeConfigFile } from "../../plugins/openai-compatible/__fixtures__/test-env.ts";
import { json, jsonPost, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { scrape, type Scrape } from "../helpers/prometheus.ts";
import { awayFromMinuteEnd } from "../helpers/windows.ts";

setDefaultTimeout(20_000);

let gw: TestGateway;
const KEYS = { team: "sk-observed-team-0001", narrow: "sk-observed-narrow-02", background: "sk-observed-backgr-03" };

beforeAll(async () => {
  const config = writeConfigFile({
    keys: [
      { name: "team", key_env: "K_TEAM", rpm: 4 },
      { name: "narrow", key_env: "K_NARROW", models: ["no-such-model-*"] },
      { name: "background", key_env: "K_BACKGROUND", rpm: 10 },
    ],
  });
  gw = await startTestGateway({ OLLAIX_CONFIG: config, K_TEAM: KEYS.team, K_NARROW: KEYS.narrow, K_BACKGROUND: KEYS.background, LOG_LEVEL: "info" }, [dummy]);
});
afterAll(() => gw.close());
beforeEach(() => awayFromMinuteEnd());

const post = (path: string, key: string, body: Record<string, unknown>) => fetch(`${gw.url}${path}`, jsonPost(body, { authorization: `Bearer ${key}` }));
const delta = (after: Scrape, before: Scrape, name: string, labels: Record<string, string>) => after.value(name, labels) - before.value(name, labels);
const logLine = (status: number, path: string) =>
  gw.logs.map((line) => JSON.parse(line) as Record<string, unknown>).findLast((line) => line.status === status && line.path === path);

describe("refusals carry their key and model", () => {
  test("refused by validation, stream or not: the key, the model's label, the stream flag", async () => {
    const before = await scrape(gw.url);
    const bad = await post("/v1/responses", KEYS.team, { model: "dummy-model:1.0", input: "Hi", stream: true, temperature: 7 });
    expect(bad.status).toBe(400);
    expect(logLine(400, "/v1/responses")).toMatchObject({ key: "team", model: "dummy-model:1.0", stream: true });
    const compact = await post("/v1/responses/compact", KEYS.team, { model: "dummy-model:1.0", input: 7 });
    expect(compact.status).toBe(400);
    expect(logLine(400, "/v1/responses/compact")).toMatchObject({ key: "team", model: "dummy-model:1.0" });
    const after = await scrape(gw.url);
    expect(delta(after, before, "ollaix_requests_total", { surface: "responses", key: "team", model: "dummy-model:1.0", status: "400" })).toBe(2);
    // A model nobody serves mints no series: counted under "".
    const unknown = await post("/v1/chat/completions", KEYS.team, { model: "no-such-model-4711", messages: "not a list" });
    expect(unknown.status).toBe(400);
    expect(delta(await scrape(gw.url), after, "ollaix_requests_total", { surface: "chat", key: "team", model: "", status: "400" })).toBe(1);
  });

  test("through Elysia's own routing (app.handle, as the WebSocket mode's messages go): the same", async () => {
    const before = await scrape(gw.url);
    const bad = await gw.handle("/v1/responses", jsonPost({ model: "dummy-model:1.0", input: "Hi", max_output_tokens: 3 }, { authorization: `Bearer ${KEYS.team}` }));
    expect(bad.status).toBe(400);
    expect(delta(await scrape(gw.url), before, "ollaix_requests_total", { surface: "responses", key: "team", model: "dummy-model:1.0", status: "400" })).toBe(1);
  });

  test("refused by the key's limit or its models: the key, the model, the limit", async () => {
    const before = await scrape(gw.url);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await post("/v1/chat/completions", KEYS.team, { model: "dummy-model:1.0", messages: [{ role: "user", content: "hi" }] })).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2);
    const after = await scrape(gw.url);
    expect(delta(after, before, "ollaix_rate_limited_total", { key: "team", limit: "rpm" })).toBe(statuses.filter((s) => s === 429).length);
    expect(delta(after, before, "ollaix_requests_total", { surface: "chat", key: "team", model: "dummy-model:1.0", status: "429" })).toBe(statuses.filter((s) => s === 429).length);
    const forbidden = await post("/v1/responses", KEYS.narrow, { model: "dummy-model:1.0", input: "Hi" });
    expect(forbidden.status).toBe(403);
    expect(delta(await scrape(gw.url), after, "ollaix_requests_total", { surface: "responses", key: "narrow", model: "dummy-model:1.0", status: "403" })).toBe(1);
  });
});

test("a queued background create carries the key's x-ratelimit-* headers and its target, as a foreground answer does", async () => {
  const created = await post("/v1/responses", KEYS.background, { model: "dummy-model:1.0", input: "Hi", background: true });
  expect(created.status).toBe(200);
  expect((await json(created)).status).toBe("queued");
  expect(created.headers.get("x-ratelimit-limit-requests")).toBe("10");
  expect(created.headers.get("x-ratelimit-remaining-requests")).toBe("9");
  expect(created.headers.get("x-ollaix-target")).toBe("dummy/dummy-model:1.0");
});
