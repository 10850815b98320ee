// Routes end to end with fake OpenAI upstreams (the openai-compatible plugin, one instance per
// scenario, all served by one fake that dispatches on the instance's path): weights, fallbacks,
// what is and is not retried, Retry-After, cooldowns — stream and not.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import dummy from "../../plugins/dummy/index.ts";
import { jsonResponse, sseResponse } from "../../plugins/openai-compatible/__fixtures__/fake-openai.ts";
import { COMPLETION, ERRORS, TEXT_CHUNKS } from "../../plugins/openai-compatible/__fixtures__/openai-wire.ts";
import { freePort, writeConfigFile } from "../../plugins/openai-compatible/__fixtures__/test-env.ts";
import openaiCompatible from "../../plugins/openai-compatible/index.ts";
import { startFakeServer, type FakeServer, type RecordedRequest } from "../helpers/fake-server.ts";
import { Scrape } from "../helpers/prometheus.ts";
import { jsonPost, parseSseBody, startTestGateway, type TestGateway } from "../helpers/gateway.ts";

const INSTANCES = ["w1", "w2", "f500", "fok", "fdead", "bad400", "never", "cut", "cutalt", "ra", "c1", "c2", "down1", "down2", "ab", "f500b", "small", "nomodel", "f500c", "r503", "early", "earlyalt", "done", "donealt"] as const;
type Instance = (typeof INSTANCES)[number];
const serverError = () => jsonResponse({ error: { message: "The server had an error while processing your request.", type: "server_error", param: null, code: null } }, 500);

/** How each instance answers a chat request; a plain answer unless a test says otherwise. */
const behaviour: Partial<Record<Instance, (request: RecordedRequest) => Response>> = {
  f500: serverError,
  f500b: serverError,
  f500c: serverError,
  bad400: () => jsonResponse({ error: { message: "Invalid value for 'temperature': expected a number between 0 and 2.", type: "invalid_request_error", param: "temperature", code: "invalid_value" } }, 400),
  small: () => jsonResponse(ERRORS.contextLength, 400),
  nomodel: () => jsonResponse(ERRORS.modelNotFound, 404),
  c1: serverError,
  down1: serverError,
  down2: serverError,
  cut: (request) => ((request.body as { stream?: boolean }).stream ? cutStream() : serverError()),
  // The role-only first chunk every OpenAI stream begins with, then the error: nothing of the answer came.
  early: () => sseResponse([TEXT_CHUNKS[0], { error: { message: "The server is overloaded.", type: "server_error", param: null, code: null } }], { done: false }),
  // `[DONE]` alone: a stream that ends before any answer.
  done: () => sseResponse([]),
  ab: () => jsonResponse(ERRORS.rateLimit, 429, { "retry-after": "3" }),
};

/** The first chunks (a token among them), then the upstream's error event (OpenAI's in-stream error shape): a stream that failed after it started. */
const cutStream = () =>
  sseResponse([TEXT_CHUNKS[0], TEXT_CHUNKS[1], { error: { message: "The server is overloaded.", type: "server_error", param: null, code: null } }], { done: false });

let fake: FakeServer;
let gw: TestGateway;
const hits = (instance: Instance) => fake.requests.filter((r) => r.path === `/${instance}/v1/chat/completions`);

beforeAll(async () => {
  fake = startFakeServer((request) => {
    const instance = request.path.split("/")[1] as Instance;
    const answer = behaviour[instance];
    if (answer) return answer(request);
    return (request.body as { stream?: boolean }).stream ? sseResponse(TEXT_CHUNKS) : jsonResponse(COMPLETION);
  });
  const dead = await freePort();
  const upstreams = INSTANCES.map((name) => ({
    name,
    base_url: name === "fdead" ? `http://127.0.0.1:${dead}/v1` : `${fake.url}/${name}/v1`,
    models: ["m"],
  }));
  const config = writeConfigFile({
    plugins: { "openai-compatible": { upstreams } },
    routes: [
      { model: "spread", targets: [{ model: "w1/m", weight: 3 }, { model: "w2/m" }] },
      { model: "fb500", targets: [{ model: "f500/m" }], fallbacks: ["fok/m"] },
      { model: "fbdead", targets: [{ model: "fdead/m" }], fallbacks: ["fok/m"] },
      { model: "no400", targets: [{ model: "bad400/m" }], fallbacks: ["never/m"], retries: 2 },
      { model: "cutroute", targets: [{ model: "cut/m" }], fallbacks: ["cutalt/m"], retries: 2 },
      { model: "earlyroute", targets: [{ model: "early/m" }], fallbacks: ["earlyalt/m"], retries: 1 },
      { model: "doneroute", targets: [{ model: "done/m" }], fallbacks: ["donealt/m"], retries: 1 },
      { model: "retry-*", targets: [{ model: "ra/m" }], retries: 1 },
      { model: "cool", targets: [{ model: "c1/m" }, { model: "c2/m" }] },
      { model: "alldown", targets: [{ model: "down1/m" }], fallbacks: ["down2/m"] },
      { model: "abandon", targets: [{ model: "ab/m" }], retries: 2 },
      { model: "fb500b", targets: [{ model: "f500b/m" }], fallbacks: ["fok/m"] },
      { model: "bigger", targets: [{ model: "small/m" }], fallbacks: ["fok/m"], retries: 2 },
      { model: "elsewhere", targets: [{ model: "nomodel/m" }], fallbacks: ["fok/m"], retries: 2 },
      { model: "typo", targets: [{ model: "nosuch/m" }], fallbacks: ["fok/m"], retries: 2 },
      { model: "typo-last", targets: [{ model: "f500c/m" }], fallbacks: ["nosuch/m"] },
      { model: "roomier", targets: [{ model: "dummy-model:1.0" }], fallbacks: ["fok/m"] },
      { model: "busy", targets: [{ model: "r503/m" }], retries: 1 },
    ],
    cooldown: { failures: 2, window_s: 60, seconds: 60 },
  });
  gw = await startTestGateway({ OLLAIX_CONFIG: config }, [dummy, openaiCompatible]);
});
afterAll(async () => {
  await gw.close();
  await fake.close();
});

const messages = [{ role: "user", content: "hi" }];
/** All requests' ollaix_overhead_seconds so far. */
const overheadSeconds = async () => new Scrape(await (await fetch(`${gw.url}/metrics`)).text()).histogram("ollaix_overhead_seconds", {}).sum;
async function chat(model: string, stream: boolean) {
  const response = await fetch(`${gw.url}/v1/chat/completions`, jsonPost({ model, messages, stream }));
  const text = await response.text();
  return {
    status: response.status,
    target: response.headers.get("x-ollaix-target"),
    attempts: response.headers.get("x-ollaix-attempts"),
    text,
    /** Every `model` in the answer (the completion, or each chunk). */
    models: response.ok ? (stream ? parseSseBody(text).filter((e) => e !== "[DONE]" && !e.startsWith('{"error"')).map((e) => JSON.parse(e).model) : [JSON.parse(text).model]) : [],
  };
}

test("a route's target or fallback no instance serves is named at start-up, once discovery has run; the others are not", async () => {
  const warned = () =>
    gw.logs
      .map((line) => JSON.parse(line))
      .filter((line) => line.msg === "a route names a model no instance serves: its requests skip it")
      .map((line) => [line.route, line.model]);
  for (let i = 0; i < 100 && warned().length < 2; i++) await Bun.sleep(20);
  expect(warned()).toEqual([
    ["typo", "nosuch/m"],
    ["typo-last", "nosuch/m"],
  ]);
});

describe.each([false, true])("stream: %p", (stream) => {
  test("weights spread the load: 3:1 over 200 calls, within tolerance", async () => {
    const before = { w1: hits("w1").length, w2: hits("w2").length };
    const answers = await Promise.all(Array.from({ length: 200 }, () => chat("spread", stream)));
    expect(answers.every((a) => a.status === 200 && a.attempts === "1")).toBe(true);
    const w1 = hits("w1").length - before.w1;
    const w2 = hits("w2").length - before.w2;
    expect(w1 + w2).toBe(200);
    // Binomial(200, 0.75): mean 150, sd ≈ 6.1; ±30 is about five standard deviations.
    expect(w1).toBeGreaterThan(120);
    expect(w1).toBeLessThan(180);
    expect(answers.filter((a) => a.target === "w1/m").length).toBe(w1);
  });

  test("a 500 falls back; the answer keeps the model asked for and names the deployment", async () => {
    const answer = await chat("fb500", stream);
    expect(answer).toMatchObject({ status: 200, target: "fok/m", attempts: "2" });
    expect(new Set(answer.models)).toEqual(new Set(["fb500"]));
  });

  test("a route's name with :latest is the route, as Ollama names models (and on Ollama's API)", async () => {
    const answer = await chat("spread:latest", stream);
    expect(answer.status).toBe(200);
    expect(answer.target).toMatch(/^w[12]\/m$/);
    const ollama = await fetch(`${gw.url}/api/chat`, jsonPost({ model: "spread:latest", stream, messages }));
    expect(ollama.status).toBe(200);
    expect(ollama.headers.get("x-ollaix-target")).toMatch(/^w[12]\/m$/);
    await ollama.text();
  });

  test("the failure a route fell back from is still the provider's: counted in ollaix_upstream_errors_total and logged at warn", async () => {
    const failures = async () => Number(/ollaix_upstream_errors_total\{provider="f500b",code="upstream_error"\} (\d+)/.exec(await (await fetch(`${gw.url}/metrics`)).text())?.[1] ?? 0);
    const before = await failures();
    const warned = gw.logs.length;
    const answer = await chat("fb500b", stream);
    expect(answer.status).toBe(200);
    expect(await failures()).toBe(before + 1);
    const warns = gw.logs.slice(warned).map((line) => JSON.parse(line)).filter((line) => line.msg === "upstream failed");
    expect(warns).toEqual([expect.objectContaining({ provider: "f500b", target: "f500b/m", status: 502, code: "upstream_error", tried_again: true })]);
  });

  test("every deployment failing: the error names the last one tried and the tries it took", async () => {
    const answer = await chat("alldown", stream);
    expect(answer).toMatchObject({ status: 502, target: "down2/m", attempts: "2" });
  });

  test("a refused connection falls back", async () => {
    expect(await chat("fbdead", stream)).toMatchObject({ status: 200, target: "fok/m", attempts: "2" });
  });

  test("a 400 is neither retried nor sent to the fallback", async () => {
    const before = hits("bad400").length;
    const answer = await chat("no400", stream);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text).error.param).toBe("temperature");
    expect(hits("bad400").length - before).toBe(1);
    expect(hits("never").length).toBe(0);
  });

  test("a deployment that cannot take the request (a window too small, a model it does not have, a target no instance serves) is not retried: the next one answers", async () => {
    for (const [route, instance] of [["bigger", "small"], ["elsewhere", "nomodel"]] as const) {
      const before = hits(instance).length;
      expect(await chat(route, stream)).toMatchObject({ status: 200, target: "fok/m", attempts: "2" });
      expect(hits(instance).length - before).toBe(1);
    }
    expect(await chat("typo", stream)).toMatchObject({ status: 200, target: "fok/m", attempts: "2" });
  });

  test("the gateway's own check of a deployment (max_tokens over its 8,192-token window) moves on to the next, counted as no provider's failure", async () => {
    const response = await fetch(`${gw.url}/v1/chat/completions`, jsonPost({ model: "roomier", messages, stream, max_tokens: 16_000 }));
    await response.text();
    expect([response.status, response.headers.get("x-ollaix-target"), response.headers.get("x-ollaix-attempts")]).toEqual([200, "fok/m", "2"]);
    expect(await (await fetch(`${gw.url}/metrics`)).text()).not.toContain('ollaix_upstream_errors_total{provider="dummy"');
  });

  test("a route's last deployment failing as no instance's model: its 404, and no header naming the deployment tried before it", async () => {
    const answer = await chat("typo-last", stream);
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.text).error.code).toBe("model_not_found");
    expect(answer.target).toBeNull();
  });

  test("a client that leaves during the back-off ends the call as client_gone (499), not the upstream's failure; no further try is made", async () => {
    const count = (text: string, status: string) =>
      Number(new RegExp(`ollaix_requests_total\\{surface="chat",model="abandon",provider="ab",key="",status="${status}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
    const errors = (text: string) => Number(/ollaix_upstream_errors_total\{provider="ab",code="rate_limit_exceeded"\} (\d+)/.exec(text)?.[1] ?? 0);
    const before = await (await fetch(`${gw.url}/metrics`)).text();
    const tried = hits("ab").length;
    const controller = new AbortController();
    const asked = fetch(`${gw.url}/v1/chat/completions`, { ...jsonPost({ model: "abandon", messages, stream }), signal: controller.signal });
    await Bun.sleep(400); // the first try was refused; the retry waits the upstream's 3 s
    controller.abort();
    await asked.catch(() => undefined);
    let after = await (await fetch(`${gw.url}/metrics`)).text();
    for (let i = 0; i < 100 && count(after, "499") === count(before, "499"); i++) {
      await Bun.sleep(20);
      after = await (await fetch(`${gw.url}/metrics`)).text();
    }
    expect(count(after, "499")).toBe(count(before, "499") + 1);
    expect(count(after, "429")).toBe(count(before, "429"));
    // The first try's 429 is the provider's (tried again after); the client leaving is not.
    expect(errors(after)).toBe(errors(before) + 1);
    expect(hits("ab").length - tried).toBe(1);
  });

  test("Retry-After is honoured before the retry (a glob route)", async () => {
    let calls = 0;
    behaviour.ra = () => (++calls === 1 ? jsonResponse(ERRORS.rateLimit, 429, { "retry-after": "1" }) : stream ? sseResponse(TEXT_CHUNKS) : jsonResponse(COMPLETION));
    const before = hits("ra").length;
    const overheadBefore = await overheadSeconds();
    const started = Date.now();
    const answer = await chat("retry-me-please", stream);
    expect(answer).toMatchObject({ status: 200, target: "ra/m", attempts: "2" });
    expect(new Set(answer.models)).toEqual(new Set(["retry-me-please"]));
    expect(hits("ra").length - before).toBe(2);
    // A lower bound only: the retry cannot come before the upstream's Retry-After (1 s).
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    // That second is the provider's, not the gateway's overhead (a probe: ollaix_overhead_seconds counted it).
    expect((await overheadSeconds()) - overheadBefore).toBeLessThan(0.5);
  });

  test("an overloaded upstream's Retry-After (its 503) is honoured before the retry, and passed on when every try failed", async () => {
    const overloaded = () => jsonResponse({ error: { message: "Service Unavailable", type: "server_error", param: null, code: null } }, 503, { "retry-after": "1" });
    let calls = 0;
    behaviour.r503 = () => (++calls === 1 ? overloaded() : stream ? sseResponse(TEXT_CHUNKS) : jsonResponse(COMPLETION));
    const started = Date.now();
    expect(await chat("busy", stream)).toMatchObject({ status: 200, target: "r503/m", attempts: "2" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950); // a lower bound only: not before its Retry-After
    behaviour.r503 = overloaded;
    const failed = await fetch(`${gw.url}/v1/chat/completions`, jsonPost({ model: "busy", messages, stream }));
    await failed.text();
    expect([failed.status, failed.headers.get("retry-after")]).toEqual([502, "1"]);
  });

  test("cooldown: a failing target is skipped once it failed `failures` times", async () => {
    // Targets are drawn at random (equal weights): ask until c1 has failed twice (it goes into
    // cooldown then), however the draws fell; every answer still comes from c2.
    const answers = [];
    for (let i = 0; i < 200 && hits("c1").length < 2; i++) answers.push(await chat("cool", stream));
    expect(hits("c1").length).toBe(2);
    // From now on c1 is skipped: one try each, nothing more reaches it.
    for (let i = 0; i < 8; i++) answers.push(await chat("cool", stream));
    expect(answers.every((a) => a.status === 200 && a.target === "c2/m")).toBe(true);
    expect(answers.slice(-8).every((a) => a.attempts === "1")).toBe(true);
    expect(hits("c1").length).toBe(2);
  });
});

test("a prompt too long for one deployment takes it out of rotation for nothing: no cooldown, no provider failure counted", async () => {
  const before = hits("small").length;
  for (let i = 0; i < 4; i++) expect(await chat("bigger", false)).toMatchObject({ status: 200, target: "fok/m" });
  // Every request still tried `small` first (a cooldown after 2 failures would have skipped it).
  expect(hits("small").length - before).toBe(4);
  expect(await (await fetch(`${gw.url}/metrics`)).text()).not.toContain('ollaix_upstream_errors_total{provider="small"');
});

test("a stream that fails before any of the answer came (after the role-only first chunk, or [DONE] alone) is no stream begun: retried, then the fallback answers; a model alone gets its HTTP error (a probe: 200 and an error event, the fallback never tried)", async () => {
  for (const [route, instance, fallback] of [["earlyroute", "early", "earlyalt"], ["doneroute", "done", "donealt"]] as const) {
    const answer = await chat(route, true);
    expect([answer.status, answer.target]).toEqual([200, `${fallback}/m`]);
    expect(parseSseBody(answer.text).map((event) => (event === "[DONE]" ? "" : JSON.parse(event).choices[0]?.delta?.content ?? "")).join("")).toBe("Hello!");
    expect(hits(instance).length).toBe(2); // the try and its retry
    expect(hits(fallback).length).toBe(1);
  }
  const plain = await chat("early/m", true);
  expect(plain.status).toBe(502);
  expect(JSON.parse(plain.text).error).toMatchObject({ type: "api_error" });
});

test("a stream cut after its first chunk is not retried: the client gets the stream's error event", async () => {
  const answer = await chat("cutroute", true);
  expect(answer.status).toBe(200);
  expect(answer.target).toBe("cut/m");
  const events = parseSseBody(answer.text);
  expect(JSON.parse(events[0]!).model).toBe("cutroute");
  expect(JSON.parse(events.at(-1)!).error).toBeDefined();
  expect(hits("cut").length).toBe(1);
  expect(hits("cutalt").length).toBe(0);
});
