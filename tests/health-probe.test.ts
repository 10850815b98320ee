import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Elysia } from "elysia";
import dummy from "../plugins/dummy/index.ts";
import { cachedHealthProbe } from "../src/console/health.ts";
import { definePlugin } from "../src/kit.ts";
import { createLogger } from "../src/logger.ts";
import { Readiness } from "../src/observe/readiness.ts";
import { ModelRegistry } from "../src/registry.ts";
import { healthRoutes } from "../src/routes/health.ts";
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

describe("a provider whose health() never settles (its signal ignored)", () => {
  const hung = definePlugin({
    name: "hung",
    models: [{ id: "hung-1" }],
    chat: () => Promise.reject(new Error("unused")),
    chatStream: async function* () {},
    health: () => new Promise<{ ok: boolean }>(() => {}),
  });
  const fine = definePlugin({ name: "fine", models: [{ id: "fine-1" }], chat: probed.chat, chatStream: probed.chatStream, health: async () => ({ ok: true }) });
  const logger = createLogger({ level: "error", write: () => {} });
  const redact = (text: string) => text;
  const registry = new ModelRegistry(logger);
  registry.add(hung);
  registry.add(fine);
  /** The answer, or "hung" when it has not come in a second (each probe's time-out is 20 ms). */
  const settled = <T>(answer: Promise<T>) => Promise.race([answer, Bun.sleep(1000).then(() => "hung" as const)]);

  test("/health?probe=true answers, the hung one down with why", async () => {
    const app = new Elysia().use(healthRoutes({ registry, logger, redact }, 20));
    const answer = await settled(app.handle(new Request("http://localhost/health?probe=true")).then((r) => r.json()));
    expect(answer).not.toBe("hung");
    expect((answer as { providers: unknown[] }).providers).toEqual([
      { name: "hung", models: 1, ok: false, detail: "no answer in 0.02 s" },
      { name: "fine", models: 1, ok: true },
    ]);
  });

  test("readiness answers: ready on the other provider, the hung one down with why", async () => {
    const report = await settled(new Readiness({ registry, logger, redact, timeoutMs: 20 }).report());
    expect(report).toEqual({
      ready: true,
      providers: [{ name: "hung", ok: false, detail: "no answer in 0.02 s" }, { name: "fine", ok: true }],
      checks: [],
    });
  });

  test("the console's probe answers, down with why", async () => {
    const answer = await settled(cachedHealthProbe({ logger, redact, timeoutMs: 20 })(hung));
    expect(answer).toMatchObject({ ok: false, detail: "no answer in 0.02 s" });
  });
});
