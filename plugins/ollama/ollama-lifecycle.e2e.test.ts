/**
 * Ollama coming and going under a running gateway (discovery, refresh, 503, health), and a
 * connection that drops mid-stream; driven by the official `openai` SDK.
 */
import { afterEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startTestGateway, type TestGateway } from "../../tests/helpers/gateway.ts";
import { chatLine, closedPort, fixture, json, ollamaRoutes, startDroppingServer } from "../../tests/ollama/fake-ollama.ts";
import dummy from "../dummy/index.ts";
import ollama from "./index.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function gateway(baseUrl: string): Promise<{ gw: TestGateway; client: OpenAI }> {
  const gw = await startTestGateway({ OLLAMA_BASE_URL: baseUrl }, [dummy, ollama]);
  cleanups.push(() => gw.close());
  return { gw, client: new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x", maxRetries: 0 }) };
}

/** An Ollama on a fixed port (the one the gateway was configured with), listing `names`. */
function ollamaAt(port: number, names: readonly string[]) {
  const tags = fixture<{ models: { name: string }[] }>("tags.json");
  const handler = ollamaRoutes({
    "GET /api/tags": () => json({ models: names.map((name) => ({ ...tags.models[0], name, model: name, digest: `digest-of-${name}` })) }),
    "POST /api/show": () => json(fixture("show-llava.json")),
    "POST /api/chat": () => json(fixture("chat.json")),
    "GET /api/version": () => json({ version: "0.12.6" }),
  });
  const server = Bun.serve({ port, hostname: "127.0.0.1", fetch: async (raw) => handler({ method: raw.method, path: new URL(raw.url).pathname, search: "", headers: {}, body: raw.method === "POST" ? await raw.json() : undefined, signal: raw.signal }, raw) });
  return { stop: () => server.stop(true) };
}

/** What the registry does every 30 s, now. */
async function refresh(gw: TestGateway): Promise<void> {
  const provider = gw.gateway.registry.providers.find((p) => p.name === "ollama")!;
  await gw.gateway.registry.refresh(provider, { logger: gw.gateway.logger, upstreamHeaders: { "x-ollaix-hops": "1" } }, 3000);
}

const ids = async (client: OpenAI) => (await client.models.list()).data.map((m) => m.id);
const ask = (client: OpenAI, model: string) => client.chat.completions.create({ model, messages: [{ role: "user", content: "Hello!" }] });

async function failure(promise: Promise<unknown>): Promise<{ status: number | undefined; code: string | null | undefined }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OpenAI.APIError) return { status: error.status, code: error.code };
    throw error;
  }
  throw new Error("expected an API error");
}

async function probe(gw: TestGateway) {
  const health = (await (await fetch(`${gw.url}/health?probe=true`)).json()) as { providers: { name: string; models: number; ok?: boolean; detail?: string }[] };
  return health.providers.find((p) => p.name === "ollama");
}

describe("Ollama down, then up", () => {
  test("down at start: other models still listed and served, Ollama's are 503; the list recovers", async () => {
    const port = closedPort();
    const { gw, client } = await gateway(`http://127.0.0.1:${port}`);
    expect(await ids(client)).toEqual(["dummy-model:1.0"]);
    expect(gw.logs.some((line) => line.includes("model discovery failed") && line.includes('"provider":"ollama"'))).toBe(true);
    expect(await failure(ask(client, "ollama/llama3.2:latest"))).toEqual({ status: 503, code: "upstream_unavailable" });
    expect((await ask(client, "dummy-model:1.0")).choices[0]!.message.content).toBeString();
    expect(await probe(gw)).toMatchObject({ ok: false, models: 0 });

    const up = ollamaAt(port, ["llama3.2:latest", "mistral:7b"]);
    cleanups.push(up.stop);
    await refresh(gw);
    expect(await ids(client)).toEqual(["dummy-model:1.0", "llama3.2:latest", "mistral:7b"]);
    const models = (await client.models.list()).data as unknown as Record<string, unknown>[];
    expect(models[1]).toMatchObject({ owned_by: "ollama", context_length: 8192 });
    expect((await ask(client, "llama3.2:latest")).choices[0]!.message.content).toBe("Hello! How are you today?");
    // /health?probe=true reuses one round of probes for a few seconds (it needs no key): the next
    // round sees Ollama back.
    let probed = await probe(gw);
    for (let i = 0; i < 80 && !probed?.ok; i++) {
      await Bun.sleep(100);
      probed = await probe(gw);
    }
    expect(probed).toEqual({ name: "ollama", models: 2, ok: true, detail: "Ollama 0.12.6" });
  }, 20_000);

  test("down after discovery: the last list stays, requests are 503, and a refresh after the return updates it", async () => {
    const port = closedPort();
    const first = ollamaAt(port, ["llama3.2:latest", "mistral:7b"]);
    const { gw, client } = await gateway(`http://127.0.0.1:${port}`);
    expect(await ids(client)).toEqual(["dummy-model:1.0", "llama3.2:latest", "mistral:7b"]);

    first.stop();
    await refresh(gw);
    expect(await ids(client)).toEqual(["dummy-model:1.0", "llama3.2:latest", "mistral:7b"]);
    expect(await failure(ask(client, "llama3.2:latest"))).toEqual({ status: 503, code: "upstream_unavailable" });
    expect(await failure(client.chat.completions.create({ model: "llama3.2:latest", messages: [{ role: "user", content: "Hi" }], stream: true }))).toEqual({
      status: 503,
      code: "upstream_unavailable",
    });

    const second = ollamaAt(port, ["llama3.2:latest", "qwen3:8b"]);
    cleanups.push(second.stop);
    await refresh(gw);
    expect(await ids(client)).toEqual(["dummy-model:1.0", "llama3.2:latest", "qwen3:8b"]);
    expect((await ask(client, "llama3.2:latest")).usage).toEqual({ prompt_tokens: 26, completion_tokens: 298, total_tokens: 324 });
  });
});

describe("a connection that drops mid-stream", () => {
  test("the chunks already sent arrive, then the SSE error event", async () => {
    const dropping = startDroppingServer([chatLine({ content: "The" })]);
    cleanups.push(dropping.close);
    const { client } = await gateway(dropping.url);
    const stream = await client.chat.completions.create({ model: "ollama/llama3.2", messages: [{ role: "user", content: "Hi" }], stream: true });
    const contents: (string | null | undefined)[] = [];
    let caught: unknown;
    try {
      for await (const chunk of stream) contents.push(chunk.choices[0]?.delta.content);
    } catch (error) {
      caught = error;
    }
    expect(contents).toEqual(["The"]);
    expect(caught).toBeInstanceOf(OpenAI.APIError);
    const body = (caught as InstanceType<typeof OpenAI.APIError>).error as { message: string; code: string };
    expect(body.code).toBe("upstream_error");
    expect(body.message).toStartWith("The Ollama stream broke off");
  });
});
