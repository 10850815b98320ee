/**
 * Fuzz every surface on a real port (issue 9): random and mutated bodies, headers, paths and
 * methods, seeded and bounded. Replay a failure with `FUZZ_SEED=<seed> bun test tests/fuzz.test.ts`
 * (the seed is printed at the start and the end; fast-check's report adds the failing case's path).
 * `FUZZ_RUNS` scales the number of cases (default 1 = the figures below).
 *
 * A new surface is one entry in SURFACES: {name, method, path, validBody, statuses, checkError,
 * checkSuccess} (see tests/helpers/fuzz.ts); its envelope check is its own (Anthropic's, Ollama's).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import dummy from "../plugins/dummy/index.ts";
import ollama from "../plugins/ollama/index.ts";
import { setImageNetworkForTests } from "../src/image-network.ts";
import { startFakeServer, type FakeServer } from "./helpers/fake-server.ts";
import { defaultRoutes, PNG } from "./ollama/e2e.ts";
import { validateOpenAI, type OpenAISchemaName } from "./helpers/openai-schema.ts";
import { checkOpenAIError, checkSseBody, fuzzSurface, shapeOf, type FuzzSurface } from "./helpers/fuzz.ts";
import { modelIdPath, unknownPath } from "./helpers/fuzz-inputs.ts";
import { newSurfaces, type SurfaceContext } from "./helpers/fuzz-surfaces.ts";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
const SCALE = Number(process.env.FUZZ_RUNS ?? 1);
const KEY = "sk-fuzz-0123456789abcdef";
const AUTH = `Bearer ${KEY}`;
/** The contract's refusals for OpenAI paths in this set-up (dummy only: no upstream, no limits). */
const OPENAI_STATUSES = [400, 401, 404, 413, 508];

const schemaProblem = (name: OpenAISchemaName, text: string): string | undefined => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "a 2xx body that is not JSON";
  }
  const errors = validateOpenAI(name, value);
  return errors.length > 0 ? `not a valid ${name}: ${errors.slice(0, 3).join("; ")}` : undefined;
};

/** A chat answer is a completion or, when the (mutated) body asked to stream, a valid SSE stream of chunks. */
const checkChat = (response: Response, text: string) =>
  response.headers.get("content-type")?.startsWith("text/event-stream")
    ? checkSseBody(response, text, (chunk) => validateOpenAI("CreateChatCompletionStreamResponse", chunk).slice(0, 3).join("; ") || undefined)
    : schemaProblem("CreateChatCompletionResponse", text);

const chatBody = (stream: boolean) => () => ({
  model: "dummy-model:1.0",
  messages: [
    { role: "system", content: "You are terse." },
    { role: "user", content: [{ type: "text", text: "Describe this." }, { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=", detail: "low" } }] },
    { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "look", arguments: "{\"x\":1}" } }] },
    { role: "tool", tool_call_id: "call_1", content: "a cat" },
    { role: "user", content: "So?" },
  ],
  stream,
  ...(stream ? { stream_options: { include_usage: true } } : {}),
  max_tokens: 12,
  temperature: 0.5,
  top_p: 0.9,
  n: 2,
  seed: 7,
  stop: ["\n\n"],
  tools: [{ type: "function", function: { name: "look", description: "Looks", parameters: { type: "object", properties: { x: { type: "integer" } } } } }],
  tool_choice: "auto",
  response_format: { type: "json_schema", json_schema: { name: "out", schema: { type: "object" } } },
  user: "fuzz",
  logprobs: true,
  top_logprobs: 2,
});

/** Through the ollama plugin, whose requests load images (the gateway's own outgoing fetches). */
const ollamaChatBody = () => ({
  model: "llama3.2:latest",
  messages: [
    { role: "user", content: [
      { type: "text", text: "What is in these?" },
      { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } },
      { type: "image_url", image_url: { url: "http://img.example.com/cat.png" } },
    ] },
  ],
  stream: false,
  temperature: 0.2,
  logprobs: true,
  top_logprobs: 1,
});

/** Stored responses the Responses surfaces read and delete (created before the run). */
const context: SurfaceContext = { key: KEY, stored: [] };

const SURFACES: { surface: FuzzSurface; runs: number }[] = [
  {
    runs: 1000,
    surface: {
      name: "chat via ollama",
      method: "POST",
      path: "/v1/chat/completions",
      validBody: ollamaChatBody,
      // 502: the fake Ollama answers a stream request with one JSON object, as a broken upstream would.
      statuses: [...OPENAI_STATUSES, 502],
      checkError: checkOpenAIError,
      checkSuccess: checkChat,
    },
  },
  {
    runs: 1400,
    surface: { name: "chat", method: "POST", path: "/v1/chat/completions", validBody: chatBody(false), statuses: OPENAI_STATUSES, checkError: checkOpenAIError, checkSuccess: checkChat },
  },
  {
    runs: 1000,
    surface: { name: "chat (stream)", method: "POST", path: "/v1/chat/completions", validBody: chatBody(true), statuses: OPENAI_STATUSES, checkError: checkOpenAIError, checkSuccess: checkChat },
  },
  {
    runs: 1200,
    surface: {
      name: "embeddings",
      method: "POST",
      path: "/v1/embeddings",
      validBody: () => ({ model: "dummy-model:1.0", input: ["hello", "world"], encoding_format: "float", dimensions: 8, user: "fuzz" }),
      statuses: OPENAI_STATUSES,
      checkError: checkOpenAIError,
      checkSuccess: (_response, text) => schemaProblem("CreateEmbeddingResponse", text),
    },
  },
  {
    runs: 200,
    surface: { name: "models", method: "GET", path: "/v1/models", statuses: OPENAI_STATUSES, checkError: checkOpenAIError, checkSuccess: (_r, text) => schemaProblem("ListModelsResponse", text) },
  },
  {
    runs: 500,
    surface: {
      name: "model by id",
      method: "GET",
      path: modelIdPath.map((id) => `/v1/models/${id}`),
      statuses: OPENAI_STATUSES,
      checkError: checkOpenAIError,
      checkSuccess: (_r, text) => schemaProblem("Model", text),
    },
  },
  {
    runs: 600,
    surface: {
      name: "unknown paths",
      method: "GET",
      methods: ["GET", "POST", "PUT", "DELETE", "PATCH"],
      path: unknownPath,
      validBody: () => ({ model: "dummy-model:1.0" }),
      statuses: [...OPENAI_STATUSES, 302],
      checkError: checkOpenAIError,
    },
  },
  {
    runs: 300,
    surface: {
      name: "wrong methods",
      method: "PUT",
      methods: ["PUT", "DELETE", "PATCH", "GET"],
      path: fc.constantFrom("/v1/chat/completions", "/v1/embeddings", "/v1/models/dummy-model:1.0"),
      validBody: chatBody(false),
      statuses: OPENAI_STATUSES,
      checkError: checkOpenAIError,
    },
  },
  ...newSurfaces(context),
];

/** A normal request of each kind, to compare before and after the run (prototype pollution shows as new fields). */
const PROBES: [string, RequestInit][] = [
  ["/v1/chat/completions", { method: "POST", body: JSON.stringify({ model: "dummy-model:1.0", messages: [{ role: "user", content: "Hi" }], seed: 1 }) }],
  ["/v1/chat/completions", { method: "POST", body: JSON.stringify({ model: "dummy-model:1.0", messages: [], seed: 1 }) }],
  ["/v1/embeddings", { method: "POST", body: JSON.stringify({ model: "dummy-model:1.0", input: "hi", dimensions: 4 }) }],
  ["/v1/models", { method: "GET" }],
  ["/v1/models/dummy-model:1.0", { method: "GET" }],
  ["/v1/models/nope", { method: "GET" }],
  ["/health", { method: "GET" }],
  ["/v1/responses", { method: "POST", body: JSON.stringify({ model: "dummy-model:1.0", input: "Hi", store: false }) }],
  ["/v1/responses/resp_nope", { method: "GET" }],
  ["/v1/messages", { method: "POST", body: JSON.stringify({ model: "dummy-model:1.0", max_tokens: 16, messages: [{ role: "user", content: "Hi" }] }) }],
  ["/v1/messages/count_tokens", { method: "POST", body: JSON.stringify({ model: "dummy-model:1.0", messages: [{ role: "user", content: "Hi" }] }) }],
  ["/v1/messages", { method: "POST", body: JSON.stringify({ model: "nope", max_tokens: 16, messages: [{ role: "user", content: "Hi" }] }) }],
  ["/api/chat", { method: "POST", body: JSON.stringify({ model: "dummy-model:1.0", messages: [{ role: "user", content: "Hi" }], stream: false }) }],
  ["/api/generate", { method: "POST", body: JSON.stringify({ model: "dummy-model:1.0", prompt: "Hi", stream: false }) }],
  ["/api/embed", { method: "POST", body: JSON.stringify({ model: "dummy-model:1.0", input: "hi" }) }],
  ["/api/show", { method: "POST", body: JSON.stringify({ model: "dummy-model:1.0" }) }],
  ["/api/show", { method: "POST", body: JSON.stringify({ model: "nope" }) }],
  ["/api/tags", { method: "GET" }],
  ["/api/nope", { method: "GET" }],
];

let gw: TestGateway;
let fakeOllama: FakeServer;
let images: FakeServer;
const stats: Record<string, Record<number, number>> = {};

async function probe(): Promise<{ status: number; shape: unknown; text: string }[]> {
  const out = [];
  for (const [path, init] of PROBES) {
    const response = await fetch(`${gw.url}${path}`, { ...init, headers: { "content-type": "application/json", authorization: AUTH } });
    const text = await response.text();
    out.push({ status: response.status, shape: shapeOf(JSON.parse(text)), text });
  }
  return out;
}

let before: Awaited<ReturnType<typeof probe>>;
const prototypeKeys = () => Object.getOwnPropertyNames(Object.prototype).sort();
const prototypeBefore = prototypeKeys();

beforeAll(async () => {
  console.log(`fuzz seed ${SEED} (replay: FUZZ_SEED=${SEED} bun test tests/fuzz.test.ts)`);
  fakeOllama = startFakeServer(defaultRoutes());
  images = startFakeServer(() => new Response(Buffer.from(PNG, "base64"), { headers: { "content-type": "image/png" } }));
  // img.example.com is a "public" host served on loopback; no other name resolves (no real DNS).
  setImageNetworkForTests({
    resolve: async (name) => (name === "img.example.com" ? ["93.184.216.34"] : Promise.reject(new Error(`ENOTFOUND ${name}`))),
    fetch: ((input: URL | string, init?: RequestInit) => {
      const url = new URL(String(input));
      if (url.hostname === "93.184.216.34") url.host = new URL(images.url).host;
      return fetch(url, init);
    }) as typeof fetch,
  });
  gw = await startTestGateway({ OLLAIX_API_KEYS: KEY, MAX_BODY_BYTES: "100000", OLLAMA_BASE_URL: fakeOllama.url }, [dummy, ollama]);
  for (let i = 0; i < 40; i++) {
    const response = await fetch(`${gw.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: AUTH },
      body: JSON.stringify({ model: "dummy-model:1.0", input: [{ role: "user", content: `Hi ${i}` }], instructions: "Be terse." }),
    });
    context.stored.push(((await response.json()) as { id: string }).id);
  }
  const conversation = await fetch(`${gw.url}/v1/conversations`, { method: "POST", headers: { "content-type": "application/json", authorization: AUTH }, body: "{}" });
  context.conversation = ((await conversation.json()) as { id: string }).id;
  before = await probe();
});
afterAll(async () => {
  setImageNetworkForTests(undefined);
  await gw.close();
  await Promise.all([fakeOllama.close(), images.close()]);
});

describe(`fuzz (seed ${SEED})`, () => {
  for (const { surface, runs } of SURFACES) {
    test(`${surface.name}: ${Math.round(runs * SCALE)} cases`, async () => {
      await fuzzSurface(surface, { baseUrl: gw.url, seed: SEED, numRuns: Math.round(runs * SCALE), validAuth: AUTH, stats });
    }, 120_000);
  }

  test("afterwards: alive, same answers' shapes, no polluted prototype", async () => {
    const health = await fetch(`${gw.url}/health`);
    expect(health.status).toBe(200);
    const after = await probe();
    expect(after.map((a) => [a.status, a.shape])).toEqual(before.map((b) => [b.status, b.shape]));
    for (const answer of after) expect(answer.text).not.toContain("polluted");
    // The gateway runs in this process: its Object.prototype is ours.
    expect(prototypeKeys()).toEqual(prototypeBefore);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const total = Object.values(stats).reduce((sum, counts) => sum + Object.values(counts).reduce((a, b) => a + b, 0), 0);
    console.log(`fuzz: ${total} cases, seed ${SEED}`);
    for (const [name, counts] of Object.entries(stats)) {
      console.log(`  ${name.padEnd(24)} ${Object.entries(counts).map(([status, n]) => `${status}×${n}`).join("  ")}`);
    }
  });
});

