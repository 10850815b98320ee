// The console's API (/console/api/*) and page route on a real port: who may see it (admin key,
// loopback listener, same origin), what it reports (overview, the ring and its bound, series,
// keys) and its live event stream.
import { afterAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { createSseParser, type SseEvent } from "../src/console/page/sse-parser.ts";
import type { KeysSource } from "../src/console/keys.ts";
import { createGateway, type Gateway } from "../src/server.ts";
import { writeConfigFile } from "../plugins/openai-compatible/__fixtures__/test-env.ts";

const ADMIN_KEY = "console-admin-key-0123456789";
const started: Gateway[] = [];

async function start(env: Record<string, string> = {}, keys?: KeysSource) {
  const logs: string[] = [];
  const gateway = await createGateway({ env: { PORT: "0", LOG_LEVEL: "info", ...env }, write: (l) => void logs.push(l), keyUsage: keys, discoveryTimeoutMs: 2000 });
  started.push(gateway);
  let url = gateway.listen();
  // A wildcard listener is reached through the loopback address.
  url = url.replace("0.0.0.0", "127.0.0.1").replace("[::]", "[::1]");
  await gateway.registry.ready;
  return { gateway, url, logs };
}

afterAll(async () => {
  for (const g of started) await g.shutdown();
});

const chat = (url: string, n: number, stream = false) =>
  Promise.all(
    Array.from({ length: n }, () =>
      fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "dummy-model:1.0", messages: [{ role: "user", content: "hi" }], stream }),
      }).then((r) => r.text()),
    ),
  );

describe("loopback listener without OLLAIX_ADMIN_KEY", async () => {
  const { url } = await start({ OLLAMA_BASE_URL: "http://127.0.0.1:9" });

  test("/console is the page; its script and styles are served from the gateway", async () => {
    const response = await fetch(`${url}/console`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const html = await response.text();
    expect(html).toContain("<title>Ollaix console</title>");
    const assets = [...html.matchAll(/(?:src|href)="(\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) expect((await fetch(`${url}${asset}`)).status).toBe(200);
    expect(html).not.toMatch(/(?:src|href)="https?:/);
  });

  test("/console/ (a trailing slash) is sent to the page, its query kept; other paths under it stay 404s", async () => {
    for (const [path, location] of [["/console/", "../console"], ["/console/?tab=keys", "../console?tab=keys"]] as const) {
      const response = await fetch(`${url}${path}`, { redirect: "manual" });
      expect([response.status, response.headers.get("location")]).toEqual([301, location]);
    }
    const followed = await fetch(`${url}/console/`);
    expect([followed.status, followed.url]).toEqual([200, `${url}/console`]);
    expect((await fetch(`${url}/console/nope`)).status).toBe(404);
  });

  test("overview: version, uptime, providers with health and models, the surfaces that exist", async () => {
    const response = await fetch(`${url}/console/api/overview`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.version).toBe("0.1.0");
    expect(body.uptimeS).toBeGreaterThanOrEqual(0);
    expect(body.surfaces).toEqual(["chat", "responses", "messages"]);
    expect(body.ringCapacity).toBe(1000);
    expect(body.apiKeyRequired).toBe(false);
    const dummy = body.providers.find((p: any) => p.name === "dummy");
    expect(dummy.models.map((m: any) => m.id)).toEqual(["dummy-model:1.0"]);
    expect(dummy.health.ok).toBeNull(); // the dummy plugin has no health() of its own
    const ollama = body.providers.find((p: any) => p.name === "ollama");
    expect(ollama.health.ok).toBe(false); // nothing listens on port 9
    expect(typeof ollama.health.detail).toBe("string");
    expect(body.routes).toEqual([]);
  });

  test("overview: the routes /v1/models lists, which the playground offers beside the providers' models", async () => {
    const config = writeConfigFile({ routes: [{ model: "smart", targets: [{ model: "dummy-model:1.0" }] }, { model: "hidden", list: false, targets: [{ model: "dummy-model:1.0" }] }] });
    const routed = await start({ OLLAMA_BASE_URL: "http://127.0.0.1:9", OLLAIX_CONFIG: config });
    const body = (await (await fetch(`${routed.url}/console/api/overview`)).json()) as { routes: string[] };
    expect(body.routes).toEqual(["smart"]);
  });

  test("another web site open in the browser cannot read it (Origin), nor a rebound DNS name (Host)", async () => {
    expect((await fetch(`${url}/console/api/overview`, { headers: { origin: "https://evil.example" } })).status).toBe(404);
    expect((await fetch(`${url}/console/api/overview`, { headers: { origin: url } })).status).toBe(200);
    expect((await fetch(`${url}/console/api/requests`, { headers: { host: "evil.example" } })).status).toBe(404);
  });

  test("requests: the ring, newest first, with no message contents", async () => {
    const marker = "a-secret-prompt-that-must-not-be-kept";
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused" });
    const { data: first, response: raw } = await client.chat.completions.create({ model: "dummy-model:1.0", messages: [{ role: "user", content: marker }] }).withResponse();
    const stream = await client.chat.completions.create({ model: "dummy-model:1.0", messages: [{ role: "user", content: marker }], stream: true });
    for await (const _ of stream) void _;
    await client.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "x" }] }).catch(() => undefined);
    const response = await fetch(`${url}/console/api/requests?limit=3`);
    const text = await response.text();
    expect(text).not.toContain(marker);
    expect(text).not.toContain(first.choices[0]!.message.content!.slice(0, 20));
    const { data } = JSON.parse(text) as { data: any[] };
    expect(data).toHaveLength(3);
    expect(data.map((r) => [r.status, r.stream])).toEqual([[404, false], [200, true], [200, false]]);
    expect(data[0].error).toBe("model_not_found");
    // `limit` at least 1 (0 read as "all" before); not a number: all.
    expect(((await (await fetch(`${url}/console/api/requests?limit=0`)).json()) as { data: unknown[] }).data).toHaveLength(1);
    expect(((await (await fetch(`${url}/console/api/requests?limit=x`)).json()) as { data: unknown[] }).data.length).toBeGreaterThanOrEqual(3);
    expect(data[1]).toMatchObject({ surface: "chat", model: "dummy-model:1.0", target: "dummy/dummy-model:1.0", provider: "dummy", path: "/v1/chat/completions" });
    expect(data[1].ttftMs).toBeGreaterThanOrEqual(0);
    expect(data[1].outputTokens).toBeGreaterThan(0);
    expect(data[2].requestId).toBe(raw.headers.get("x-request-id")!);
    expect(Math.abs(data[2].time - Date.now())).toBeLessThan(60_000);
  });

  test("the ring holds the last 1000 requests and no more", async () => {
    for (let i = 0; i < 11; i++) await chat(url, 100);
    const { capacity, data } = (await (await fetch(`${url}/console/api/requests`)).json()) as { capacity: number; data: any[] };
    expect(capacity).toBe(1000);
    expect(data).toHaveLength(1000);
  });

  test("series: the seconds with traffic, summed", async () => {
    await Bun.sleep(1000); // the current second closes
    const body = (await (await fetch(`${url}/console/api/series`)).json()) as any;
    expect(body.windowS).toBe(900);
    const total = body.points.reduce((n: number, p: any) => n + p.requests, 0);
    expect(total).toBeGreaterThanOrEqual(1103);
    const busiest = body.points.reduce((a: any, b: any) => (b.requests > a.requests ? b : a));
    expect(busiest.p95).toBeGreaterThanOrEqual(busiest.p50);
    expect(busiest.byModel["dummy-model:1.0"].requests).toBeGreaterThan(0);
  });

  test("access: no key to ask for", async () => {
    expect(await (await fetch(`${url}/console/api/access`)).json()).toEqual({ adminKeyRequired: false, signedIn: true });
  });

  test("keys: none configured", async () => {
    expect(await (await fetch(`${url}/console/api/keys`)).json()).toEqual({ configured: false, shortFormKeys: 0, data: [] });
  });

  test("events: a snapshot, then each finished request, then a per-second tick", async () => {
    const abort = new AbortController();
    const response = await fetch(`${url}/console/api/events`, { signal: abort.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const events: SseEvent[] = [];
    const push = createSseParser((e) => events.push(e));
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const waitFor = async (match: (e: SseEvent) => boolean) => {
      for (;;) {
        const found = events.find(match);
        if (found) return found;
        const { value, done } = await reader.read();
        if (done) throw new Error("the stream ended");
        push(decoder.decode(value, { stream: true }));
      }
    };
    const snapshot = JSON.parse((await waitFor((e) => e.event === "snapshot")).data);
    expect(snapshot.requests).toHaveLength(200);
    expect(snapshot.series.length).toBeGreaterThan(0);
    expect(events).toHaveLength(1);
    await chat(url, 1, true);
    const batch = JSON.parse((await waitFor((e) => e.event === "requests")).data) as any[];
    expect(batch).toHaveLength(1);
    expect(batch[0]).toMatchObject({ surface: "chat", stream: true, status: 200, model: "dummy-model:1.0" });
    const tick = JSON.parse((await waitFor((e) => e.event === "tick" && JSON.parse(e.data).points.length > 0)).data);
    expect(tick.points[0].requests).toBe(1);
    abort.abort();
  });
});

describe("a listener that is not loopback, without OLLAIX_ADMIN_KEY", async () => {
  const { url, logs } = await start({ HOST: "0.0.0.0" });

  test("/console and its API answer 404, and the log says how to turn it on", async () => {
    for (const path of ["/console", "/console/", "/console/api/overview", "/console/api/events"]) {
      const response = await fetch(`${url}${path}`, { redirect: "manual" });
      expect(response.status).toBe(404);
    }
    const line = logs.find((l) => l.includes('"console not served"'));
    expect(line).toBeDefined();
    expect(line).toContain("OLLAIX_ADMIN_KEY");
    expect(logs.filter((l) => l.includes('"console not served"'))).toHaveLength(1); // at most once a minute
  });

  test("the rest of the gateway is unaffected", async () => {
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect(await chat(url, 1)).toHaveLength(1);
  });
});

describe("with OLLAIX_ADMIN_KEY, on any listener", async () => {
  const keys: KeysSource = () => [{ name: "team-a", models: ["dummy-*"], limits: { rpm: 60, tpm: 1000 }, usage: { rpm: 3, tpm: 120 } }];
  const { url, logs } = await start({ HOST: "0.0.0.0", OLLAIX_ADMIN_KEY: ADMIN_KEY }, keys);

  test("the page is served (it asks for the key), also from /console/", async () => {
    const response = await fetch(`${url}/console/`);
    expect([response.status, response.url]).toEqual([200, `${url}/console`]);
    expect(await response.text()).toContain('id="signin"');
  });

  test("the API needs `Authorization: Bearer <admin key>`", async () => {
    for (const path of ["overview", "requests", "series", "keys", "events"]) {
      expect((await fetch(`${url}/console/api/${path}`)).status).toBe(401);
      expect((await fetch(`${url}/console/api/${path}`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    }
    const ok = await fetch(`${url}/console/api/overview`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(ok.status).toBe(200);
    const refused = await fetch(`${url}/console/api/overview`);
    const body = (await refused.json()) as any;
    expect(body.error.type).toBe("authentication_error");
    expect(body.error.message).toContain("admin key");
    expect(JSON.stringify(body)).not.toContain(ADMIN_KEY);
  });

  test("access tells the page whether to ask for the key, and whether the one it has is right", async () => {
    const access = (headers: Record<string, string> = {}) => fetch(`${url}/console/api/access`, { headers }).then((r) => r.json());
    expect(await access()).toEqual({ adminKeyRequired: true, signedIn: false });
    expect(await access({ authorization: "Bearer nope" })).toEqual({ adminKeyRequired: true, signedIn: false });
    expect(await access({ authorization: `Bearer ${ADMIN_KEY}` })).toEqual({ adminKeyRequired: true, signedIn: true });
  });

  test("keys come from the keys source: names, models, limits and use", async () => {
    const body = await (await fetch(`${url}/console/api/keys`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json();
    expect(body).toEqual({ configured: true, shortFormKeys: 0, data: [{ name: "team-a", models: ["dummy-*"], limits: { rpm: 60, tpm: 1000 }, usage: { rpm: 3, tpm: 120 } }] });
  });

  test("the admin key never reaches the log", () => {
    expect(logs.join("\n")).not.toContain(ADMIN_KEY);
  });
});
