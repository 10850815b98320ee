import { afterAll, beforeAll, expect, test } from "bun:test";
import { definePlugin, type RequestContext } from "../src/kit.ts";
import { jsonPost, startTestGateway, type TestGateway } from "./helpers/gateway.ts";

/** A provider whose non-stream answer waits until its signal aborts (then fails as fetch would). */
const hanging = definePlugin({
  name: "hang",
  models: [{ id: "hang-model" }],
  chat: (_request, ctx: RequestContext) =>
    new Promise((_resolve, reject) => ctx.signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")), { once: true })),
  chatStream: async function* () {},
});

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ LOG_LEVEL: "info" }, [hanging]);
});
afterAll(() => gw.close());

test("a client that leaves a non-stream request is 499 client_gone in the log and the metrics, never a 500 or an upstream error", async () => {
  const controller = new AbortController();
  const pending = fetch(`${gw.url}/v1/chat/completions`, { ...jsonPost({ model: "hang-model", messages: [{ role: "user", content: "hi" }] }), signal: controller.signal });
  await Bun.sleep(100); // past the scope's first tick, which links it to the client's connection
  controller.abort();
  await pending.catch(() => undefined);
  let line: Record<string, unknown> | undefined;
  for (let i = 0; i < 100 && !line; i++) {
    line = gw.logs.map((l) => JSON.parse(l)).find((l) => l.msg === "request" && l.model === "hang-model");
    if (!line) await Bun.sleep(20);
  }
  expect(line).toMatchObject({ status: 499, error: "client_gone" });
  expect(gw.logs.some((l) => l.includes('"level":"error"'))).toBe(false);
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  expect(metrics).toContain('ollaix_requests_total{surface="chat",model="hang-model",provider="hang",key="",status="499"} 1');
  expect(metrics).not.toMatch(/ollaix_upstream_errors_total\{[^}]*provider="hang"/);
});
