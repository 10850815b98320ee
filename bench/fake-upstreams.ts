/**
 * Process entry: two fake upstreams on 127.0.0.1 that answer at once.
 * - OpenAI-compatible: GET /v1/models, POST /v1/chat/completions (JSON, or SSE with `stream: true`).
 * - Ollama: GET /api/tags, GET /api/version, POST /api/show, POST /api/chat (JSON, or NDJSON unless `stream: false`).
 * Streams have FAKE_CHUNKS chunks and FAKE_DELAY_MS between them, unless the model id says otherwise:
 * `-c<N>` sets the chunk count and `-d<ms>` the pacing (`bench-model-c2000-d1`, `bench-llama-c200:latest`).
 * Env: FAKE_OPENAI_PORT, FAKE_OLLAMA_PORT (0 = any), FAKE_VARIANTS (comma list of listed suffixes).
 * Prints one JSON line `{"openai":url,"ollama":url}` when listening. GET /__stats on either: request counts.
 */
import { OLLAMA_MODEL, OPENAI_MODEL, variant } from "./config.ts";
import { exitWithParent } from "./spawn.ts";

const env = process.env;
const DEFAULT_CHUNKS = Number(env.FAKE_CHUNKS ?? 20);
const DEFAULT_DELAY = Number(env.FAKE_DELAY_MS ?? 0);
const VARIANTS = ["", ...(env.FAKE_VARIANTS ?? "c200,c2000,c2000-d1").split(",").filter(Boolean)];
const WORDS = ["Sure", "! ", "Here", " is", " some", " Python", " code", " for", " you", ":", " def", " main", "()", "\n"];
const CONTENT = "Sure! I can help you with Python code. What would you like to write: a script, a function, or a whole module?";
const JSON_HEADERS = { "content-type": "application/json" };
const stats = { openai: 0, ollama: 0, other: 0 };

function shape(model: string): { chunks: number; delayMs: number } {
  const c = /-c(\d+)/.exec(model);
  const d = /-d(\d+(?:\.\d+)?)/.exec(model);
  return { chunks: c ? Number(c[1]) : DEFAULT_CHUNKS, delayMs: d ? Number(d[1]) : DEFAULT_DELAY };
}

/** Writes `events` as one body when unpaced (cached bytes), else one write+flush per event with pauses. */
function streamResponse(events: () => string[], key: string, delayMs: number, type: string, signal: AbortSignal): Response {
  const headers = { "content-type": type, "cache-control": "no-cache" };
  if (delayMs <= 0) {
    let bytes = cache.get(key);
    if (!bytes) cache.set(key, (bytes = new TextEncoder().encode(events().join(""))));
    return new Response(bytes, { headers });
  }
  const list = events();
  const body = new ReadableStream({
    type: "direct",
    async pull(controller: ReadableStreamDirectController) {
      for (let i = 0; i < list.length; i++) {
        if (signal.aborted) break;
        if (i > 0) await Bun.sleep(delayMs);
        controller.write(list[i]!);
        controller.flush();
      }
      controller.close();
    },
  } satisfies Bun.DirectUnderlyingSource<Uint8Array>);
  return new Response(body, { headers });
}
const cache = new Map<string, Uint8Array>();

// --- OpenAI-compatible ---------------------------------------------------------------------------
const created = 1735689600;
const usage = { prompt_tokens: 42, completion_tokens: 24, total_tokens: 66 };

function openaiCompletion(model: string): string {
  return JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion",
    created,
    model,
    choices: [{ index: 0, message: { role: "assistant", content: CONTENT, refusal: null }, logprobs: null, finish_reason: "stop" }],
    usage,
  });
}

function openaiEvents(model: string, chunks: number, includeUsage: boolean): string[] {
  const head = `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},`;
  const u = includeUsage ? `,"usage":null` : "";
  const out: string[] = [];
  for (let i = 0; i < chunks; i++) {
    const delta = i === 0 ? { role: "assistant", content: WORDS[0] } : { content: WORDS[i % WORDS.length] };
    out.push(`${head}"choices":[{"index":0,"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":null}]${u}}\n\n`);
  }
  out.push(`${head}"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]${u}}\n\n`);
  if (includeUsage) out.push(`${head}"choices":[],"usage":${JSON.stringify({ ...usage, completion_tokens: chunks, total_tokens: 42 + chunks })}}\n\n`);
  out.push("data: [DONE]\n\n");
  return out;
}

const openaiModels = JSON.stringify({
  object: "list",
  data: VARIANTS.map((v) => ({ id: variant(OPENAI_MODEL, v), object: "model", created, owned_by: "bench" })),
});

async function openai(req: Request): Promise<Response> {
  const path = new URL(req.url).pathname;
  if (req.method === "GET" && path === "/v1/models") return new Response(openaiModels, { headers: JSON_HEADERS });
  if (req.method === "POST" && path === "/v1/chat/completions") {
    stats.openai++;
    const body = (await req.json()) as { model?: string; stream?: boolean; stream_options?: { include_usage?: boolean } };
    const model = String(body.model ?? OPENAI_MODEL);
    if (body.stream !== true) return new Response(openaiCompletion(model), { headers: JSON_HEADERS });
    const { chunks, delayMs } = shape(model);
    const withUsage = body.stream_options?.include_usage === true;
    return streamResponse(() => openaiEvents(model, chunks, withUsage), `o:${model}:${withUsage}`, delayMs, "text/event-stream", req.signal);
  }
  if (path === "/__stats") return Response.json(stats);
  stats.other++;
  return Response.json({ error: { message: `fake: no route ${req.method} ${path}`, type: "invalid_request_error" } }, { status: 404 });
}

// --- Ollama --------------------------------------------------------------------------------------
const createdAt = "2025-01-01T00:00:00.000Z";
const metrics = { total_duration: 1000000, load_duration: 1000, prompt_eval_count: 42, prompt_eval_duration: 1000, eval_duration: 1000 };

function ollamaEvents(model: string, chunks: number): string[] {
  const head = `{"model":${JSON.stringify(model)},"created_at":"${createdAt}","message":{"role":"assistant","content":`;
  const out: string[] = [];
  for (let i = 0; i < chunks; i++) out.push(`${head}${JSON.stringify(WORDS[i % WORDS.length])}},"done":false}\n`);
  out.push(`${JSON.stringify({ model, created_at: createdAt, message: { role: "assistant", content: "" }, done: true, done_reason: "stop", ...metrics, eval_count: chunks })}\n`);
  return out;
}

const ollamaTags = JSON.stringify({
  models: VARIANTS.map((v) => {
    const name = variant(OLLAMA_MODEL, v);
    return {
      name,
      model: name,
      modified_at: createdAt,
      size: 1000000,
      digest: "0".repeat(64),
      details: { parent_model: "", format: "gguf", family: "llama", families: ["llama"], parameter_size: "1B", quantization_level: "Q4_0" },
    };
  }),
});

async function ollama(req: Request): Promise<Response> {
  const path = new URL(req.url).pathname;
  if (req.method === "GET" && path === "/api/tags") return new Response(ollamaTags, { headers: JSON_HEADERS });
  if (req.method === "GET" && path === "/api/version") return Response.json({ version: "0.6.0" });
  if (req.method === "POST" && path === "/api/show") {
    return Response.json({ details: { family: "llama", parameter_size: "1B" }, model_info: { "llama.context_length": 8192 }, capabilities: ["completion"] });
  }
  if (req.method === "POST" && path === "/api/chat") {
    stats.ollama++;
    const body = (await req.json()) as { model?: string; stream?: boolean };
    const model = String(body.model ?? OLLAMA_MODEL);
    const { chunks, delayMs } = shape(model);
    if (body.stream === false) {
      return Response.json({ model, created_at: createdAt, message: { role: "assistant", content: CONTENT }, done: true, done_reason: "stop", ...metrics, eval_count: 24 });
    }
    return streamResponse(() => ollamaEvents(model, chunks), `l:${model}`, delayMs, "application/x-ndjson", req.signal);
  }
  if (path === "/__stats") return Response.json(stats);
  stats.other++;
  return Response.json({ error: `fake: no route ${req.method} ${path}` }, { status: 404 });
}

const serve = (port: number, fetch: (req: Request) => Promise<Response>) => Bun.serve({ hostname: "127.0.0.1", port, idleTimeout: 0, fetch });
const o = serve(Number(env.FAKE_OPENAI_PORT ?? 0), openai);
const l = serve(Number(env.FAKE_OLLAMA_PORT ?? 0), ollama);
exitWithParent();
console.log(JSON.stringify({ openai: `http://127.0.0.1:${o.port}`, ollama: `http://127.0.0.1:${l.port}` }));
