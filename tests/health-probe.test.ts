import { afterAll, beforeAll, expect, test } from "bun:test";
import dummy from "../plugins/dummy/index.ts";
import { definePlugin } from "../src/kit.ts";
import { json, startTestGateway, type TestGateway } from "./helpers/gateway.ts";

let probes = 0;
const probed = definePlugin({
  name: "probed",
  models: [{ id: "probed-model" }],
  chat: () => Promise.reject(new Error("unused")),
  chatStream: async function* () {},
  async health() {
    probes++;
    return { ok: true, detail: "fine" };
  },
});

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({}, [dummy, probed]);
});
afterAll(() => gw.close());

test("/health?probe=true asks each provider at most once per few seconds, however often it is called (it needs no key)", async () => {
  const answers = await Promise.all(Array.from({ length: 5 }, () => json(fetch(`${gw.url}/health?probe=true`))));
  for (let i = 0; i < 5; i++) answers.push(await json(fetch(`${gw.url}/health?probe=true`)));
  for (const answer of answers) expect(answer.providers.find((p: { name: string }) => p.name === "probed")).toMatchObject({ ok: true, detail: "fine" });
  expect(probes).toBe(1);
  // Without ?probe=true nobody is asked.
  await fetch(`${gw.url}/health`);
  expect(probes).toBe(1);
});
