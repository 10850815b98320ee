import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { jsonPost, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { freePort } from "./helpers/process.ts";

/**
 * Metric labels stay bounded whatever ids clients send (CONTRACT.md, Observability): the ollama
 * instance accepts any `ollama/<id>`, so before this an id per request minted series forever.
 */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ OLLAMA_BASE_URL: `http://127.0.0.1:${freePort()}`, LOG_LEVEL: "info" });
});
afterAll(() => gw.close());

const ask = (model: string) => fetch(`${gw.url}/v1/chat/completions`, jsonPost({ model, messages: [{ role: "user", content: "hi" }] }));

describe("model labels", () => {
  test("ids an instance accepts but does not list are counted as model=\"\"; listed ids keep their name; logs keep what was asked", async () => {
    for (let i = 0; i < 20; i++) expect((await ask(`ollama/made-up-${i}`)).status).toBe(503);
    expect((await ask("dummy-model:1.0")).status).toBe(200);
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).not.toContain("made-up-");
    expect(text).toMatch(/ollaix_requests_total\{surface="chat",model="",provider="ollama",key="",status="503"\} 20/);
    expect(text).toContain('ollaix_requests_total{surface="chat",model="dummy-model:1.0",provider="dummy",key="",status="200"} 1');
    const lines = gw.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === "request");
    expect(lines.filter((l) => String(l.model).startsWith("ollama/made-up-"))).toHaveLength(20);
  });

  test("a listed model asked for by its instance (`dummy/dummy-model:1.0`) is counted under its listed id", async () => {
    const before = await (await fetch(`${gw.url}/metrics`)).text();
    const count = (text: string) => Number(/ollaix_requests_total\{surface="chat",model="dummy-model:1.0",provider="dummy",key="",status="200"\} (\d+)/.exec(text)?.[1] ?? 0);
    expect((await ask("dummy/dummy-model:1.0")).status).toBe(200);
    const after = await (await fetch(`${gw.url}/metrics`)).text();
    expect(count(after)).toBe(count(before) + 1);
    expect(after).not.toMatch(/ollaix_requests_total\{surface="chat",model="",provider="dummy"/);
  });
});
