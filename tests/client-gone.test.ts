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

/** Sends `body` to `path`, leaves after `ms` (past the scope's first tick, which links it to the client's connection), and waits for the request's log line. */
async function leave(gateway: TestGateway, path: string, body: unknown, ms: number): Promise<Record<string, unknown> | undefined> {
  const controller = new AbortController();
  const pending = fetch(`${gateway.url}${path}`, { ...jsonPost(body), signal: controller.signal });
  await Bun.sleep(ms);
  controller.abort();
  await pending.catch(() => undefined);
  let line: Record<string, unknown> | undefined;
  for (let i = 0; i < 100 && !line; i++) {
    line = gateway.logs.map((l) => JSON.parse(l)).find((l) => l.msg === "request" && l.model === "hang-model");
    if (!line) await Bun.sleep(20);
  }
  return line;
}

test("a client that leaves a non-stream request is 499 client_gone in the log and the metrics, never a 500 or an upstream error", async () => {
  const line = await leave(gw, "/v1/chat/completions", { model: "hang-model", messages: [{ role: "user", content: "hi" }] }, 100);
  expect(line).toMatchObject({ status: 499, error: "client_gone" });
  expect(gw.logs.some((l) => l.includes('"level":"error"'))).toBe(false);
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  expect(metrics).toContain('ollaix_requests_total{surface="chat",model="hang-model",provider="hang",key="",status="499"} 1');
  expect(metrics).not.toMatch(/ollaix_upstream_errors_total\{[^}]*provider="hang"/);
});

test("a client that leaves while the gateway fetches its file by URL is 499 client_gone, and the fetch stops", async () => {
  let cancelled = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  const slow = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: () =>
      new Response(
        new ReadableStream({
          start: (body) => void (timer = setInterval(() => body.enqueue(new Uint8Array([37])), 50)),
          cancel: () => {
            clearInterval(timer);
            cancelled = true;
          },
        }),
        { headers: { "content-type": "application/pdf" } },
      ),
  });
  const files = await startTestGateway({ LOG_LEVEL: "info", IMAGE_FETCH_ALLOW_PRIVATE: "true" }, [hanging]);
  try {
    const input = [{ role: "user", content: [{ type: "input_file", file_url: `http://127.0.0.1:${slow.port}/a.pdf` }] }];
    const line = await leave(files, "/v1/responses", { model: "hang-model", input }, 150); // the fetch has begun
    expect(line).toMatchObject({ status: 499, error: "client_gone" });
    for (let i = 0; i < 50 && !cancelled; i++) await Bun.sleep(20);
    expect(cancelled).toBe(true);
    expect(files.logs.some((l) => l.includes('"level":"error"'))).toBe(false);
  } finally {
    clearInterval(timer);
    await files.close();
    await slow.stop(true);
  }
});
