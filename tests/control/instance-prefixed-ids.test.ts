// An instance whose upstream lists ids that begin with another instance's name (OpenRouter's
// `openai/gpt-4o` beside an instance `openai`): `<instance>/<id>` names the instance, and a key for
// `up/*` is for instance `up`, not for another instance's models named `up/…` (a security probe: a
// key limited to `up/*` reached `up/secret` on the router upstream, with the router's key).
import { afterAll, beforeAll, expect, test } from "bun:test";
import openaiCompatible from "../../plugins/openai-compatible/index.ts";
import { openAIHandler } from "../../plugins/openai-compatible/__fixtures__/fake-openai.ts";
import { writeConfigFile } from "../../plugins/openai-compatible/__fixtures__/test-env.ts";
import { startFakeServer, type FakeServer } from "../helpers/fake-server.ts";
import { json, jsonPost, startTestGateway, type TestGateway } from "../helpers/gateway.ts";

const TEAM = "sk-prefixed-team-a-0001";
const EXACT = "sk-prefixed-exact-0002";
let fake: FakeServer;
let router: FakeServer;
let gw: TestGateway;
beforeAll(async () => {
  fake = startFakeServer(openAIHandler);
  router = startFakeServer(openAIHandler);
  const config = writeConfigFile({
    keys: [
      { name: "team-a", key_env: "K_TEAM", models: ["up/*"] },
      { name: "exact", key_env: "K_EXACT", models: ["up/secret"] },
    ],
    plugins: {
      "openai-compatible": {
        upstreams: [
          { name: "up", base_url: `${fake.url}/v1`, models: ["m1", "m2"] },
          { name: "router", base_url: `${router.url}/v1`, models: ["up/m1", "up/secret", "other"] },
        ],
      },
    },
  });
  gw = await startTestGateway({ OLLAIX_CONFIG: config, K_TEAM: TEAM, K_EXACT: EXACT }, [openaiCompatible]);
});
afterAll(async () => {
  await gw.close();
  await fake.close();
  await router.close();
});

const auth = { authorization: `Bearer ${TEAM}` };
const chat = (model: string) => fetch(`${gw.url}/v1/chat/completions`, jsonPost({ model, messages: [{ role: "user", content: "hi" }] }, auth));

test("`up/m1` is instance up's m1 (the router's own `up/m1` is listed as router/up/m1); `up/secret`, the router's, is outside a key for up/*", async () => {
  const mine = await chat("up/m1");
  expect(mine.status).toBe(200);
  expect(mine.headers.get("x-ollaix-target")).toBe("up/m1");
  expect(fake.requests.at(-1)!.path).toBe("/v1/chat/completions");

  for (const model of ["up/secret", "router/up/secret", "router/up/m1", "router/other"]) expect([model, (await chat(model)).status]).toEqual([model, 403]);
  expect(router.requests.filter((r) => r.path === "/v1/chat/completions")).toHaveLength(0); // nothing reached the router

  const listed = (await json(fetch(`${gw.url}/v1/models`, { headers: auth }))).data.map((m: { id: string }) => m.id);
  expect(listed.sort()).toEqual(["m1", "m2"]);
});

test("a key that names the router's model by the id /v1/models lists it under (up/secret) may use it: named outright, not through up's pattern (a review)", async () => {
  const exact = { authorization: `Bearer ${EXACT}` };
  const answer = await fetch(`${gw.url}/v1/chat/completions`, jsonPost({ model: "up/secret", messages: [{ role: "user", content: "hi" }] }, exact));
  expect(answer.status).toBe(200);
  expect(answer.headers.get("x-ollaix-target")).toBe("router/up/secret");
  expect((await json(fetch(`${gw.url}/v1/models`, { headers: exact }))).data.map((m: { id: string }) => m.id)).toEqual(["up/secret"]);
});
