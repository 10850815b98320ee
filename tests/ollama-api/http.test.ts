import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Ollama } from "ollama";
import dummy from "../../plugins/dummy/index.ts";
import type { ChunkResult, Provider } from "../../src/plugin.ts";
import { jsonPost, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { writeConfigFile } from "../../plugins/openai-compatible/__fixtures__/test-env.ts";

/**
 * The Ollama surface's HTTP contract: keys, the loop guard, refusals in Ollama's shape, HEAD, the
 * NDJSON writer under a client that stops reading, split characters, and a client that leaves.
 * A test provider records what the pipeline did with its stream.
 */
const KEY = "sk-ollama-surface-test";
const BIG = "x".repeat(64 * 1024);
const TOTAL = 400;
const probe = { yielded: 0, finished: 0, aborted: 0 };

const testProvider: Provider = {
  name: "t",
  models: [{ id: "big" }, { id: "split" }, { id: "held" }],
  async chat() {
    return { choices: [{ index: 0, message: { content: "ok" }, finish_reason: "stop" }] };
  },
  async *chatStream(request, ctx): AsyncGenerator<ChunkResult> {
    ctx.signal.addEventListener("abort", () => probe.aborted++, { once: true });
    try {
      if (ctx.model === "split") {
        // A surrogate pair split across chunks, and multi-byte text.
        for (const piece of ["né ", "\ud83d", "\ude00", " 日本"]) yield { choices: [{ index: 0, delta: { content: piece } }] };
      } else if (ctx.model === "big") {
        for (let i = 0; i < TOTAL; i++) {
          probe.yielded++;
          yield { choices: [{ index: 0, delta: { content: BIG } }] };
        }
      } else {
        yield { choices: [{ index: 0, delta: { content: "first" } }] };
        await new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true }));
      }
      yield { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] };
    } finally {
      probe.finished++;
    }
  },
};

let gw: TestGateway;
let keyed: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({}, [dummy, testProvider]);
  keyed = await startTestGateway({ OLLAIX_API_KEYS: KEY }, [dummy]);
});
afterAll(async () => {
  await gw.close();
  await keyed.close();
});

// biome-ignore lint: tests read arbitrary JSON
const bodyOf = async (response: Response) => ({ status: response.status, type: response.headers.get("content-type"), body: (await response.json()) as any });

describe("keys and guards", () => {
  test("with OLLAIX_API_KEYS, /api/* needs the key: 401 in Ollama's shape without it", async () => {
    const refused = await keyed.handle("/api/tags");
    expect(await bodyOf(refused)).toEqual({ status: 401, type: "application/json", body: { error: expect.stringContaining("API key") } });
    expect(refused.headers.get("x-request-id")).toBeTruthy();
    expect((await keyed.handle("/api/chat", jsonPost({ model: "dummy-model:1.0", messages: [] }, { authorization: "Bearer wrong" }))).status).toBe(401);
    const client = new Ollama({ host: keyed.url, headers: { Authorization: `Bearer ${KEY}` } });
    expect((await client.list()).models.map((m) => m.name)).toEqual(["dummy-model:1.0"]);
    expect(await client.chat({ model: "dummy-model:1.0", messages: [{ role: "user", content: "hi" }] })).toMatchObject({ done: true });
    // /health stays open.
    expect((await keyed.handle("/health")).status).toBe(200);
  });

  test("the hop-loop guard covers /api/* (508)", async () => {
    const looped = await gw.handle("/api/chat", jsonPost({ model: "dummy-model:1.0", messages: [] }, { "x-ollaix-hops": "5" }));
    expect(await bodyOf(looped)).toEqual({ status: 508, type: "application/json", body: { error: expect.stringContaining("loop") } });
  });
});

describe("bodies of any content type, as Ollama reads them", () => {
  // Ollama's own examples are `curl … -d '{…}'`: typed application/x-www-form-urlencoded.
  const body = JSON.stringify({ model: "dummy-model:1.0", messages: [{ role: "user", content: "Hi" }], stream: false });
  test.each([
    ["curl -d's form type", { "content-type": "application/x-www-form-urlencoded" }],
    ["text/plain", { "content-type": "text/plain" }],
    ["none", {}],
  ])("%s is read as JSON, on Bun's routes and on Elysia's", async (_name, headers) => {
    for (const answer of [
      await fetch(`${gw.url}/api/chat`, { method: "POST", headers, body }),
      await gw.handle("/api/chat", { method: "POST", headers, body }),
    ]) {
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as { message: { content: string } }).message.content).toBeString();
    }
    // Not JSON is still Ollama's 400; OpenAI's API keeps its own rule (a JSON content type).
    expect((await fetch(`${gw.url}/api/generate`, { method: "POST", headers, body: "{nope" })).status).toBe(400);
    expect((await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers, body: JSON.stringify({ model: "dummy-model:1.0", messages: [{ role: "user", content: "Hi" }] }) })).status).toBe(400);
  });
});

describe("what Ollama's decoder lets through", () => {
  const chat = (body: Record<string, unknown>) => gw.handle("/api/chat", jsonPost({ model: "dummy-model:1.0", stream: false, ...body }));
  test.each([
    ["a role in another case", { messages: [{ role: "User", content: "Hi" }] }],
    ["content null", { messages: [{ role: "system", content: null }, { role: "user", content: "Hi" }] }],
    ["options with null values (Python's None)", { messages: [{ role: "user", content: "Hi" }], options: { temperature: null, top_p: 0.9, seed: null } }],
    ["an integer option with a fraction", { messages: [{ role: "user", content: "Hi" }], options: { top_k: 40.5, num_predict: 12.9 } }],
    ["num_ctx 0 (Ollama runs its least context, 4)", { messages: [{ role: "user", content: "Hi" }], options: { num_ctx: 0 } }],
    ["num_ctx below 0", { messages: [{ role: "user", content: "Hi" }], options: { num_ctx: -1 } }],
    // Go leaves a field sent as null unset (a probe): Open WebUI sends a call's `"id": null`, Python clients `None`s.
    ["optional fields null (keep_alive, format, think, tools, options)", { messages: [{ role: "user", content: "Hi" }], keep_alive: null, format: null, think: null, tools: null, options: null }],
    [
      "a message's and a call's fields null (thinking, images, tool_name, tool_call_id, a call's id, its arguments)",
      {
        messages: [
          { role: "user", content: "Weather?", images: null, thinking: null },
          { role: "assistant", content: "", thinking: null, tool_calls: [{ id: null, function: { index: null, name: "get_weather", arguments: null } }] },
          { role: "tool", content: "sunny", tool_name: null, tool_call_id: null },
        ],
      },
    ],
  ])("%s is answered, as Ollama answers it", async (_name, body) => {
    const answer = await chat(body);
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { done: boolean }).done).toBe(true);
  });

  test("a keep_alive of megabytes is not read as a duration (a probe and a review: such strings held the event loop 12 s, then 2 s); one of up to 64 characters is", async () => {
    const reasonOf = async (keepAlive: string) => ((await (await gw.handle("/api/generate", jsonPost({ model: "dummy-model:1.0", keep_alive: keepAlive }))).json()) as { done_reason: string }).done_reason;
    expect(await reasonOf(`${"0".repeat(120_000)}x`)).toBe("load");
    expect(await reasonOf(`${"0h".repeat(2_000_000)}0x`)).toBe("load");
    expect(await reasonOf(`${"0".repeat(120_000)}s`)).toBe("load");
    expect(await reasonOf(`${"0h".repeat(31)}0s`)).toBe("unload"); // 64 characters
    expect(await reasonOf(`${"0".repeat(30)}.${"0".repeat(32)}m`)).toBe("unload");
  });

  test("/api/generate and /api/embed: optional fields null are unset, as Ollama reads them (a probe)", async () => {
    const generate = await gw.handle("/api/generate", jsonPost({ model: "dummy-model:1.0", prompt: "Hi", stream: false, system: null, suffix: null, raw: null, template: null, context: null, keep_alive: null, images: null }));
    expect(generate.status).toBe(200);
    expect(((await generate.json()) as { done: boolean }).done).toBe(true);
    const embed = await gw.handle("/api/embed", jsonPost({ model: "dummy-model:1.0", input: "Hi", truncate: null, dimensions: null, keep_alive: null }));
    expect(embed.status).toBe(200);
    expect(((await embed.json()) as { embeddings: unknown[] }).embeddings).toHaveLength(1);
  });

  test("a body still wrong once read as Ollama reads it is the 400 naming the field", async () => {
    const answer = await chat({ messages: [{ role: "Robot", content: "Hi" }] });
    expect(await bodyOf(answer)).toMatchObject({ status: 400, body: { error: expect.stringContaining("messages[0].role") } });
    // An integer past what stays one once sent on (1e23 reached a provider as a float literal; Ollama's Go int refuses it).
    const huge = await gw.handle("/api/chat", { method: "POST", body: '{"model":"dummy-model:1.0","stream":false,"messages":[{"role":"user","content":"Hi"}],"options":{"num_predict":1e23}}' });
    expect(await bodyOf(huge)).toMatchObject({ status: 400, body: { error: expect.stringContaining("options.num_predict") } });
  });

  test("prompt: null and messages: null are nothing to generate, as Go decodes them (a probe: 400 'expected string')", async () => {
    for (const [path, body] of [["/api/generate", { prompt: null }], ["/api/chat", { messages: null }], ["/api/embeddings", { prompt: null }]] as const) {
      const answer = await gw.handle(path, jsonPost({ model: "dummy-model:1.0", stream: false, ...body }));
      expect(answer.status).toBe(200);
      const read = (await answer.json()) as { done_reason?: string; embedding?: unknown[] };
      if (path === "/api/embeddings") expect(read.embedding).toEqual([]);
      else expect(read.done_reason).toBe("load");
    }
  });

  test.each([
    [0, "unload"], ["0", "unload"], ["0s", "unload"], ["0m", "unload"], ["0h0m0s", "unload"], ["-0", "unload"], ["0.0s", "unload"],
    ["5m", "load"], [300, "load"], ["1s", "load"], [-1, "load"], ["0x", "load"], [undefined, "load"],
  ] as const)("keep_alive %p with nothing to generate: %s", async (keepAlive, reason) => {
    const answer = await gw.handle("/api/chat", jsonPost({ model: "dummy-model:1.0", messages: [], keep_alive: keepAlive }));
    expect(((await answer.json()) as { done_reason: string }).done_reason).toBe(reason);
  });
});

describe("Ollama's answers where a client checks for them", () => {
  test.each([
    ["/api/chat", "GET", "POST"],
    ["/api/generate", "PUT", "POST"],
    ["/api/embed", "DELETE", "POST"],
    ["/api/embeddings", "PATCH", "POST"],
    ["/api/show", "GET", "POST"],
    ["/api/tags", "POST", "GET, HEAD"],
    ["/api/version", "DELETE", "GET, HEAD"],
    ["/api/ps", "POST", "GET, HEAD"],
    // A probe: `/` was a 404 (OpenAI's envelope) for other methods.
    ["/", "POST", "GET, HEAD"],
    ["/", "DELETE", "GET, HEAD"],
  ])("%s with %s: 405 with Allow (Ollama's router answers 405 for a known path)", async (path, method, allowed) => {
    const answer = await gw.handle(path, { method, ...(method === "GET" ? {} : { body: "{}" }) });
    expect(answer.status).toBe(405);
    expect(answer.headers.get("allow")).toBe(allowed);
    expect(await answer.json()).toEqual({ error: "method not allowed" });
  });

  test("on the real port too, whatever the body: none, not JSON, or over the body limit (nothing is read)", async () => {
    for (const body of [undefined, "{nope", "x".repeat(11 * 1024 * 1024)]) {
      for (const path of ["/api/tags", "/api/version", "/api/ps"]) {
        const answer = await fetch(`${gw.url}${path}`, { method: "POST", ...(body === undefined ? {} : { body }) });
        expect([path, body?.length, answer.status, answer.headers.get("allow")]).toEqual([path, body?.length, 405, "GET, HEAD"]);
      }
    }
    const get = await fetch(`${gw.url}/api/chat`);
    expect([get.status, get.headers.get("allow")]).toEqual([405, "POST"]);
  });

  test("an unknown path is still a 404; HEAD of a GET route and CORS preflight are not refused", async () => {
    expect((await gw.handle("/api/nothing-here", { method: "POST", body: "{}" })).status).toBe(404);
    expect((await gw.handle("/api/tags", { method: "HEAD" })).status).toBe(200);
    const preflight = await gw.handle("/api/chat", { method: "OPTIONS", headers: { origin: "http://app.example", "access-control-request-method": "POST" } });
    expect(preflight.status).toBe(204);
  });

  test.each([
    ["/api/chat", 400, "model is required"],
    ["/api/show", 400, "model is required"],
    ["/api/embeddings", 400, "model is required"],
    ["/api/generate", 404, "model '' not found"],
    ["/api/embed", 404, "model '' not found"],
  ])("%s without a model (absent, null or empty): Ollama's %d %s", async (path, status, error) => {
    for (const model of [undefined, null, ""]) {
      const answer = await gw.handle(path, jsonPost({ model, messages: [{ role: "user", content: "x" }], prompt: "x", input: "x" }));
      expect([model, answer.status, await answer.json()]).toEqual([model, status, { error }]);
    }
  });

  test("/api/show takes the older `name` when `model` is absent or empty, as Ollama's ShowHandler does", async () => {
    for (const body of [{ name: "dummy-model:1.0" }, { model: "", name: "dummy-model:1.0" }]) {
      const answer = await gw.handle("/api/show", jsonPost(body));
      expect(answer.status).toBe(200);
      expect(await answer.json()).toHaveProperty("capabilities");
    }
    expect((await gw.handle("/api/show", jsonPost({ name: "" }))).status).toBe(400);
  });

  test("GET / answers 'Ollama is running' (what Ollama clients check), HEAD too; a browser is sent to the docs", async () => {
    const plain = await gw.handle("/", { method: "GET" });
    expect([plain.status, plain.headers.get("content-type"), await plain.text()]).toEqual([200, "text/plain; charset=utf-8", "Ollama is running"]);
    expect((await gw.handle("/", { method: "HEAD" })).status).toBe(200);
    const browser = await gw.handle("/", { method: "GET", headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
    expect([browser.status, browser.headers.get("location")]).toEqual([302, "/docs"]);
  });
});

describe("refusals in Ollama's shape", () => {
  test.each([
    ["not JSON", "/api/chat", { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" }, 400],
    ["missing model", "/api/generate", jsonPost({ prompt: "x" }), 404],
    ["format neither json nor schema", "/api/chat", jsonPost({ model: "dummy-model:1.0", messages: [{ role: "user", content: "x" }], format: "xml" }), 400],
    ["think out of range", "/api/chat", jsonPost({ model: "dummy-model:1.0", messages: [{ role: "user", content: "x" }], think: "maximum" }), 400],
    ["embed with input neither text nor texts", "/api/embed", jsonPost({ model: "dummy-model:1.0", input: [1, 2] }), 400],
    ["show without a model", "/api/show", jsonPost({}), 400],
    ["unknown path", "/api/nothing-here", { method: "GET" }, 404],
    ["wrong method", "/api/chat", { method: "GET" }, 405],
    ["blobs", "/api/blobs/sha256:29fdb92e", { method: "POST", body: "x" }, 501],
    ["push", "/api/push", jsonPost({ model: "a/b" }), 501],
  ])("%s → %p {error}", async (_name, path, init, status) => {
    const answer = await gw.handle(path, init as RequestInit);
    const { body, type } = await bodyOf(answer);
    expect(answer.status).toBe(status);
    expect(type).toStartWith("application/json");
    expect(Object.keys(body)).toEqual(["error"]);
    expect(typeof body.error).toBe("string");
  });

  test("a body over MAX_BODY_BYTES is 413 {error}", async () => {
    const small = await startTestGateway({ MAX_BODY_BYTES: "100" }, [dummy]);
    try {
      const answer = await small.handle("/api/chat", jsonPost({ model: "dummy-model:1.0", messages: [{ role: "user", content: "x".repeat(200) }] }));
      expect(await bodyOf(answer)).toEqual({ status: 413, type: "application/json", body: { error: expect.stringContaining("too large") } });
    } finally {
      await small.close();
    }
  });

  test("HEAD /api/tags and /api/version answer like GET, without a body", async () => {
    for (const path of ["/api/tags", "/api/version"]) {
      const answer = await fetch(`${gw.url}${path}`, { method: "HEAD" });
      expect(answer.status).toBe(200);
      expect(answer.headers.get("content-type")).toStartWith("application/json");
      expect(await answer.text()).toBe("");
    }
  });
});

describe("the NDJSON stream", () => {
  test("a surrogate pair split across chunks and multi-byte text: valid UTF-8, one object a line, whole again in the client", async () => {
    const answer = await fetch(`${gw.url}/api/chat`, jsonPost({ model: "split", messages: [{ role: "user", content: "x" }] }));
    expect(answer.headers.get("content-type")).toBe("application/x-ndjson");
    const bytes = new Uint8Array(await answer.arrayBuffer());
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    const lines = text.trimEnd().split("\n").map((line) => JSON.parse(line));
    expect(lines.map((l) => l.message.content).join("")).toBe("né 😀 日本");
    const client = new Ollama({ host: gw.url });
    let joined = "";
    for await (const part of await client.chat({ model: "split", messages: [{ role: "user", content: "x" }], stream: true })) joined += part.message.content;
    expect(joined).toBe("né 😀 日本");
  });

  test("backpressure: a client that stops reading stops the provider; everything arrives once it reads again", async () => {
    probe.yielded = 0;
    const finishedBefore = probe.finished;
    const { port } = new URL(gw.url);
    const body = JSON.stringify({ model: "big", messages: [{ role: "user", content: "x" }] });
    // A client that sends its request, then reads nothing until told to (stdin), then counts lines.
    const script = `
import socket, sys
s = socket.create_connection(("127.0.0.1", ${port}))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
body = ${JSON.stringify(body)}.encode()
s.sendall(b"POST /api/chat HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nConnection: close\\r\\nContent-Length: " + str(len(body)).encode() + b"\\r\\n\\r\\n" + body)
print("sent", flush=True)
sys.stdin.readline()
parts = []
while True:
    chunk = s.recv(1 << 20)
    if not chunk:
        break
    parts.append(chunk)
text = b"".join(parts).decode("utf-8")
print(text.count('"done":false'), '"done":true' in text, flush=True)
`;
    const client = Bun.spawn(["python3", "-c", script], { stdin: "pipe", stdout: "pipe" });
    const reader = client.stdout.getReader();
    const decoder = new TextDecoder();
    let out = "";
    while (!out.includes("sent\n")) out += decoder.decode((await reader.read()).value);
    // Give the writer time to fill every buffer there is; then it must be waiting, not producing.
    let stalled = -1;
    for (let i = 0; i < 40 && stalled !== probe.yielded; i++) {
      stalled = probe.yielded;
      await Bun.sleep(150);
    }
    expect(probe.yielded).toBe(stalled);
    expect(probe.yielded).toBeGreaterThan(0);
    expect(probe.yielded).toBeLessThan(TOTAL);
    client.stdin.write("go\n");
    await client.stdin.end();
    while (!out.endsWith("\n") || out === "sent\n") out += decoder.decode((await reader.read()).value ?? new Uint8Array());
    await client.exited;
    expect(out.trim().split("\n").at(-1)).toBe(`${TOTAL} True`);
    expect(probe.yielded).toBe(TOTAL);
    expect(probe.finished).toBe(finishedBefore + 1);
  }, 30_000);

  test("a client that leaves mid-stream aborts the provider, whose stream is ended (nothing leaks)", async () => {
    const abortedBefore = probe.aborted;
    const finishedBefore = probe.finished;
    const controller = new AbortController();
    const answer = await fetch(`${gw.url}/api/generate`, { ...jsonPost({ model: "held", prompt: "x" }), signal: controller.signal });
    const reader = answer.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(JSON.parse(first.split("\n")[0]!)).toMatchObject({ response: "first", done: false });
    controller.abort();
    for (let i = 0; i < 100 && probe.finished === finishedBefore; i++) await Bun.sleep(20);
    expect(probe.aborted).toBe(abortedBefore + 1);
    expect(probe.finished).toBe(finishedBefore + 1);
    // The gateway still serves.
    expect((await gw.handle("/api/version")).status).toBe(200);
  });
});

describe("a route's id (listed by /api/tags) with nothing to generate", () => {
  test("loads as a model does: chat without messages, generate without a prompt, embed without input (a probe: 404 'not found')", async () => {
    const config = writeConfigFile({ routes: [{ model: "smart", targets: [{ model: "dummy-model:1.0" }] }] });
    const routed = await startTestGateway({ OLLAIX_CONFIG: config }, [dummy]);
    try {
      const client = new Ollama({ host: routed.url });
      // Listed as Ollama names models, with a tag (Open WebUI looks an untagged id up as `<id>:latest`); both forms reach it.
      expect((await client.list()).models.map((m) => m.name)).toContain("smart:latest");
      expect(await client.chat({ model: "smart:latest", messages: [{ role: "user", content: "hi" }] })).toMatchObject({ model: "smart:latest", done: true });
      expect(await client.generate({ model: "smart", prompt: "", keep_alive: "5m" })).toMatchObject({ model: "smart", done: true, done_reason: "load" });
      expect(await client.chat({ model: "smart", messages: [], keep_alive: 0 })).toMatchObject({ model: "smart", done: true, done_reason: "unload" });
      const embed = await routed.handle("/api/embed", jsonPost({ model: "smart" }));
      expect(embed.status).toBe(200);
      // An id that is neither a route nor a model is still Ollama's 404.
      const unknown = await routed.handle("/api/generate", jsonPost({ model: "nosuch", prompt: "" }));
      expect([unknown.status, await unknown.json()]).toEqual([404, { error: "model 'nosuch' not found" }]);
    } finally {
      await routed.close();
    }
  });
});
