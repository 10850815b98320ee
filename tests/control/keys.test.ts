// Virtual keys end to end on a real port: 401 and 403 envelopes on every surface that exists
// (chat, embeddings, models), per-key model lists, the short form, and keys in no log or body.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import OpenAI from "openai";
import dummy from "../../plugins/dummy/index.ts";
import { definePlugin } from "../../src/kit.ts";
import { writeConfigFile } from "../../plugins/openai-compatible/__fixtures__/test-env.ts";
import { json, jsonPost, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { expectOpenAI } from "../helpers/openai-schema.ts";

const TEAM = "sk-team-a-0123456789";
const READER = "sk-reader-9876543210";
const SHORT = "sk-short-form-5555";
const WRONG = "sk-wrong-key-7777777";
let gw: TestGateway;

beforeAll(async () => {
  const config = writeConfigFile({
    keys: [
      { name: "team-a", key_env: "TEAM_A_KEY", models: ["dummy-model:1.0", "smart"] },
      { name: "reader", key_sha256: createHash("sha256").update(READER).digest("hex"), models: ["other-*"] },
    ],
    routes: [{ model: "smart", targets: [{ model: "dummy/dummy-model:1.0" }] }],
  });
  gw = await startTestGateway({ OLLAIX_CONFIG: config, TEAM_A_KEY: TEAM, OLLAIX_API_KEYS: SHORT, LOG_LEVEL: "debug" }, [dummy]);
});
afterAll(() => gw.close());

const auth = (key?: string): Record<string, string> => (key ? { authorization: `Bearer ${key}` } : {});
const chatBody = (model: string, stream = false) => ({ model, stream, messages: [{ role: "user", content: "hi" }] });

/** The surfaces that exist so far, as requests for a model. */
const SURFACES = {
  chat: (model: string, key?: string) => fetch(`${gw.url}/v1/chat/completions`, jsonPost(chatBody(model), auth(key))),
  "chat (stream)": (model: string, key?: string) => fetch(`${gw.url}/v1/chat/completions`, jsonPost(chatBody(model, true), auth(key))),
  embeddings: (model: string, key?: string) => fetch(`${gw.url}/v1/embeddings`, jsonPost({ model, input: "hi" }, auth(key))),
  models: (_model: string, key?: string) => fetch(`${gw.url}/v1/models`, { headers: auth(key) }),
};

describe("401 for a missing or unknown key", () => {
  for (const [surface, send] of Object.entries(SURFACES)) {
    test(surface, async () => {
      for (const key of [undefined, WRONG]) {
        const response = await send("dummy-model:1.0", key);
        expect(response.status).toBe(401);
        const body = await json(response);
        expect(body.error).toMatchObject({ type: "authentication_error", code: "invalid_api_key" });
        expectOpenAI("ErrorResponse", body);
        expect(JSON.stringify(body)).not.toContain(WRONG);
      }
    });
  }
});

describe("403 model_not_allowed for a model outside the key's list", () => {
  for (const [surface, send] of Object.entries(SURFACES).filter(([name]) => name !== "models")) {
    test(surface, async () => {
      const response = await send("dummy-model:1.0", READER);
      expect(response.status).toBe(403);
      const body = await json(response);
      expect(body).toEqual({
        error: { message: "The key 'reader' is not allowed to use the model 'dummy-model:1.0'.", type: "permission_error", param: "model", code: "model_not_allowed" },
      });
      expectOpenAI("ErrorResponse", body);
    });
  }

  test("a route is a model too: allowed by name, refused when not listed", async () => {
    expect((await SURFACES.chat("smart", TEAM)).status).toBe(200);
    expect((await SURFACES.chat("smart", READER)).status).toBe(403);
    // The `<instance>/<id>` form of an allowed bare id is not on team-a's list.
    expect((await SURFACES.chat("dummy/dummy-model:1.0", TEAM)).status).toBe(403);
  });
});

describe("each key sees only what it may use", () => {
  test("/v1/models lists per key; the short form sees everything", async () => {
    const ids = async (key: string) => (await json(SURFACES.models("", key))).data.map((m: { id: string }) => m.id);
    expect(await ids(TEAM)).toEqual(["smart", "dummy-model:1.0"]);
    expect(await ids(READER)).toEqual([]);
    expect(await ids(SHORT)).toEqual(["smart", "dummy-model:1.0"]);
  });

  test("GET /v1/models/{id}: 404 model_not_found for a model the key may not use", async () => {
    const get = (id: string, key: string) => fetch(`${gw.url}/v1/models/${encodeURIComponent(id)}`, { headers: auth(key) });
    expect((await get("dummy-model:1.0", TEAM)).status).toBe(200);
    const refused = await get("dummy-model:1.0", READER);
    expect(refused.status).toBe(404);
    expect((await json(refused)).error).toMatchObject({ code: "model_not_found", param: "model" });
    expect(await json(get("smart", TEAM))).toMatchObject({ id: "smart", object: "model", owned_by: "ollaix" });
  });
});

describe("the official client", () => {
  test("a route answers with the model asked for and names the deployment", async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: TEAM, maxRetries: 0 });
    const { data, response } = await client.chat.completions.create({ model: "smart", messages: [{ role: "user", content: "hi" }] }).withResponse();
    expect(data.model).toBe("smart");
    expect(response.headers.get("x-ollaix-target")).toBe("dummy/dummy-model:1.0");
    expect(response.headers.get("x-ollaix-attempts")).toBe("1");
    const refused = await new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: READER, maxRetries: 0 }).chat.completions
      .create({ model: "smart", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);
  });

  test("no key ever reaches a log line", () => {
    const logs = gw.logs.join("\n");
    expect(gw.logs.length).toBeGreaterThan(0);
    for (const key of [TEAM, READER, SHORT, WRONG]) expect(logs).not.toContain(key);
  });
});

describe("a route hands a key no deployment outside its list", () => {
  /** Two instances: a key may use `cheap/*`, never `premium/big`. */
  const instance = (name: string, id: string) =>
    definePlugin({
      name,
      models: [{ id }],
      async chat() {
        return { choices: [{ index: 0, message: { role: "assistant" as const, content: `from ${name}` }, finish_reason: "stop" as const }], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } };
      },
      async *chatStream() {
        yield { choices: [{ index: 0, delta: { role: "assistant" as const, content: `from ${name}` }, finish_reason: "stop" as const }] };
      },
    });
  const CHEAP = "sk-cheap-only-0000001";
  const NAMED = "sk-names-route-000002";
  let routed: TestGateway;
  beforeAll(async () => {
    const config = writeConfigFile({
      keys: [
        { name: "cheap", key_env: "CHEAP_KEY", models: ["cheap/*"] },
        { name: "named", key_env: "NAMED_KEY", models: ["ok", "cheap/*"] },
      ],
      routes: [
        // A route named like a model `cheap` serves, and a glob that catches `cheap/…` ids: both answer from premium.
        { model: "ok", targets: [{ model: "premium/big" }] },
        { model: "c*", targets: [{ model: "premium/big" }] },
        { model: "cheapest", targets: [{ model: "cheap/ok" }] },
      ],
    });
    routed = await startTestGateway({ OLLAIX_CONFIG: config, CHEAP_KEY: CHEAP, NAMED_KEY: NAMED }, [instance("cheap", "ok"), instance("premium", "big")]);
  });
  afterAll(() => routed?.close());
  const ask = (model: string, key: string, path = "/v1/chat/completions") =>
    fetch(`${routed.url}${path}`, jsonPost(path === "/api/chat" ? { model, stream: false, messages: [{ role: "user", content: "hi" }] } : chatBody(model), auth(key)));

  test("neither the route's name nor a glob catching an allowed id passes the key's instance pattern (403 on every surface)", async () => {
    expect((await ask("premium/big", CHEAP)).status).toBe(403);
    for (const path of ["/v1/chat/completions", "/api/chat"]) {
      const byName = await ask("ok", CHEAP, path);
      expect(byName.status).toBe(403);
      expect(byName.headers.get("x-ollaix-target")).toBeNull();
      expect((await ask("cheap/ok", CHEAP, path)).status).toBe(403);
    }
    const messages = await fetch(`${routed.url}/v1/messages`, jsonPost({ model: "ok", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }, { "x-api-key": CHEAP, "anthropic-version": "2023-06-01" }));
    expect(messages.status).toBe(403);
  });

  test("the lists offer only what asking would give: /v1/models and /api/tags agree with the 403s", async () => {
    const listed = async (key: string) => ({
      models: ((await json(await fetch(`${routed.url}/v1/models`, { headers: auth(key) }))) as { data: { id: string }[] }).data.map((m) => m.id),
      tags: ((await json(await fetch(`${routed.url}/api/tags`, { headers: auth(key) }))) as { models: { name: string }[] }).models.map((m) => m.name),
    });
    // `ok` is the route to premium for whoever asks: not offered to a key that may not use it.
    const cheap = await listed(CHEAP);
    expect(cheap.models).not.toContain("ok");
    expect(cheap.models).not.toContain("cheapest");
    expect(cheap.tags).not.toContain("ok");
    expect((await listed(NAMED)).models).toContain("ok");
  });

  test("a route whose every deployment the key may use is allowed by the id it was asked by; a key that names the route may use it", async () => {
    // `cheapest` → cheap/ok: not named by `cheap`, and `cheap/*` does not cover the name `cheapest`.
    expect((await ask("cheapest", CHEAP)).status).toBe(403);
    const named = await ask("ok", NAMED);
    expect(named.status).toBe(200);
    expect(named.headers.get("x-ollaix-target")).toBe("premium/big");
  });
});
