import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import dummy from "../plugins/dummy/index.ts";
import { definePlugin, type ChunkResult, type ModelInfo, type Provider } from "../src/kit.ts";
import { expectOpenAI } from "./helpers/openai-schema.ts";
import { createGateway } from "../src/server.ts";
import { json, jsonPost, startTestGateway, type TestGateway } from "./helpers/gateway.ts";


/** A provider answering with its own name and the upstream id it was given. */
function provider(name: string, models: Provider["models"], extra: Partial<Provider> = {}): Provider {
  return definePlugin({
    name,
    models,
    async chat(_request, ctx) {
      return { choices: [{ index: 0, message: { content: `${name}:${ctx.model}` }, finish_reason: "stop" }] };
    },
    async *chatStream(): AsyncGenerator<ChunkResult> {
      yield { choices: [{ index: 0, delta: { content: name }, finish_reason: "stop" }] };
    },
    ...extra,
  });
}

let discovered: ModelInfo[] = [{ id: "shared:1" }, { id: "late-model" }];
let discoveryFails = false;
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({}, [
    dummy,
    provider("alpha", [{ id: "shared:1", created: 1700000000, context_length: 4096 }, { id: "org/model-a" }]),
    provider("beta", async () => {
      if (discoveryFails) throw new Error("connection refused");
      return discovered;
    }, {
      refreshIntervalMs: 50,
      resolveModel: (id) => (id.startsWith("any-") ? id : undefined),
      // The upstream knows `any-thing` although discovery does not list it.
      modelExists: async (id) => id === "any-thing",
    }),
  ]);
});
afterAll(() => gw.close());

const answerOf = async (model: string) => {
  const res = await gw.handle("/v1/chat/completions", jsonPost({ model, messages: [{ role: "user", content: "hi" }] }));
  return res.status === 200 ? (await json(res)).choices[0].message.content : res.status;
};

describe("GET /v1/models", () => {
  test("lists every instance's models in the OpenAI shape; a taken bare id gets the instance prefix", async () => {
    const res = await gw.handle("/v1/models");
    expect(res.status).toBe(200);
    const body = await json(res);
    expectOpenAI("ListModelsResponse", body);
    expect(body.data.map((m: { id: string; owned_by: string }) => [m.id, m.owned_by])).toEqual([
      ["dummy-model:1.0", "dummy"],
      ["shared:1", "alpha"],
      ["org/model-a", "alpha"],
      ["beta/shared:1", "beta"],
      ["late-model", "beta"],
    ]);
    const shared = body.data.find((m: { id: string }) => m.id === "shared:1");
    expect(shared).toEqual({ id: "shared:1", object: "model", created: 1700000000, owned_by: "alpha", context_length: 4096 });
    for (const model of body.data) expect(Number.isInteger(model.created)).toBe(true);
  });
});

describe("GET /v1/models/{id}", () => {
  test.each([
    ["dummy-model:1.0", "dummy-model:1.0", "dummy"],
    ["org/model-a", "org/model-a", "alpha"],
    ["org%2Fmodel-a", "org/model-a", "alpha"],
    ["beta/shared:1", "beta/shared:1", "beta"],
    ["alpha/org/model-a", "alpha/org/model-a", "alpha"],
    ["beta/any-thing", "beta/any-thing", "beta"],
  ])("%s", async (path, id, owner) => {
    const res = await gw.handle(`/v1/models/${path}`);
    expect(res.status).toBe(200);
    const body = await json(res);
    expectOpenAI("Model", body);
    expect(body).toMatchObject({ id, object: "model", owned_by: owner });
  });

  test("unknown ids are 404 model_not_found, also ids the instance accepts but its upstream does not have", async () => {
    for (const id of ["nope", "beta/nope", "gamma/x", "alpha/", "beta/any-other", "alpha/unlisted"]) {
      const res = await gw.handle(`/v1/models/${id}`);
      expect(res.status).toBe(404);
      const body = await json(res);
      expectOpenAI("ErrorResponse", body);
      expect(body.error.code).toBe("model_not_found");
    }
  });
});

describe("resolution of a requested model", () => {
  test("exact listed id first, then <instance>/<rest>, with the prefix removed for the provider", async () => {
    expect(await answerOf("shared:1")).toBe("alpha:shared:1");
    expect(await answerOf("beta/shared:1")).toBe("beta:shared:1");
    expect(await answerOf("alpha/shared:1")).toBe("alpha:shared:1");
    expect(await answerOf("org/model-a")).toBe("alpha:org/model-a");
    expect(await answerOf("beta/any-unlisted")).toBe("beta:any-unlisted");
    expect(await answerOf("beta/unlisted")).toBe(404);
    expect(await answerOf("org/unknown")).toBe(404);
  });

  test("the answer's model is the id the client asked for", async () => {
    const res = await gw.handle("/v1/chat/completions", jsonPost({ model: "beta/shared:1", messages: [{ role: "user", content: "hi" }] }));
    expect((await json(res)).model).toBe("beta/shared:1");
  });
});

describe("discovery", () => {
  test("refreshes in the background; a failure keeps the last list and other providers", async () => {
    discovered = [{ id: "shared:1" }, { id: "late-model" }, { id: "brand-new" }];
    await Bun.sleep(200);
    let ids = (await json(gw.handle("/v1/models"))).data.map((m: { id: string }) => m.id);
    expect(ids).toContain("brand-new");
    discoveryFails = true;
    await Bun.sleep(200);
    ids = (await json(gw.handle("/v1/models"))).data.map((m: { id: string }) => m.id);
    expect(ids).toContain("brand-new");
    expect(ids).toContain("dummy-model:1.0");
    expect(gw.logs.some((l) => l.includes("model discovery failed") && l.includes("connection refused"))).toBe(true);
    discoveryFails = false;
  });

  test("a provider whose discovery fails at start is still served when it recovers; others are unaffected", async () => {
    let up = false;
    const gw2 = await startTestGateway({}, [
      dummy,
      provider("flaky", async () => {
        if (!up) throw new Error("down");
        return [{ id: "flaky-1" }];
      }, { refreshIntervalMs: 50 }),
    ]);
    try {
      let ids = (await json(gw2.handle("/v1/models"))).data.map((m: { id: string }) => m.id);
      expect(ids).toEqual(["dummy-model:1.0"]);
      up = true;
      await Bun.sleep(200);
      ids = (await json(gw2.handle("/v1/models"))).data.map((m: { id: string }) => m.id);
      expect(ids).toEqual(["dummy-model:1.0", "flaky-1"]);
    } finally {
      await gw2.close();
    }
  });

  test("ids an upstream lists under this instance's own prefix are skipped (a gateway discovering itself)", async () => {
    const gw2 = await startTestGateway({}, [provider("self", [{ id: "real" }, { id: "self/real" }, { id: "self/self/real" }])]);
    try {
      const ids = (await json(gw2.handle("/v1/models"))).data.map((m: { id: string }) => m.id);
      expect(ids).toEqual(["real"]);
    } finally {
      await gw2.close();
    }
  });

  test("the server answers /health before the first discovery is done; /v1/* waits for it", async () => {
    let release!: () => void;
    const slow = provider("slow", () => new Promise<ModelInfo[]>((resolve) => (release = () => resolve([{ id: "slow-1" }]))));
    const gateway = await createGateway({ env: { PORT: "0", LOG_LEVEL: "error" }, builtins: [dummy, slow], write: () => undefined });
    const url = gateway.listen();
    try {
      const health = await json(fetch(`${url}/health`));
      expect(health.providers).toEqual([{ name: "dummy", models: 1 }, { name: "slow", models: 0 }]);
      const listing = fetch(`${url}/v1/models`);
      await Bun.sleep(50);
      release();
      expect((await json(listing)).data.map((m: { id: string }) => m.id)).toEqual(["dummy-model:1.0", "slow-1"]);
    } finally {
      await gateway.shutdown();
    }
  });

  test("an instance name used twice stops start-up with a message naming it", async () => {
    const start = createGateway({ env: { PORT: "0" }, builtins: [dummy, provider("dummy", [{ id: "other" }])], write: () => undefined });
    await expect(start).rejects.toMatchObject({ name: "ConfigError", message: expect.stringContaining('"dummy" is used twice') });
  });
});
