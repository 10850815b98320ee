import { SEED_MESSAGES } from "../seed.ts";
import { splitSseData } from "./sse-body.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { isPluginFactory, type ChunkResult, type PluginDefinition, type Provider, type RequestContext } from "../plugin.ts";
import { createGateway, type Gateway } from "../server.ts";
import { expectOpenAI } from "./openai-schema.ts";

/**
 * The plugin conformance suite: checks any plugin against the contract through a real gateway
 * (models listing, non-stream and stream shapes validated against OpenAI's own schemas, the finish
 * chunk, the usage chunk, abort handling, error mapping, embeddings). Call it at the top level of a
 * test file:
 *
 *   runPluginConformance(async () => ({ plugin: myPlugin, model: "my-model", env: { MY_URL: fake.url } }));
 */
export interface ConformanceOptions {
  /** The plugin under test: a provider or a factory. */
  plugin: PluginDefinition;
  /** A model id, as a client sends it, that answers chat completions. */
  model: string;
  /** The gateway's environment (e.g. a fake upstream's URL and key). */
  env?: Record<string, string>;
  /** A model id that answers embeddings, when the plugin embeds. */
  embeddingModel?: string;
  /** An id the upstream does not serve (default `<instance>/conformance-no-such-model`). */
  missingModel?: string;
}

interface StreamRecord {
  signal: AbortSignal;
  closed: boolean;
  completed: boolean;
}

/** Set by the abort test: the next stream pauses after its first chunks until its signal aborts. */
const holdNext = { value: false };

/**
 * Wraps chatStream to observe what the core does with the provider's stream. A held stream waits
 * after its first chunks for the core to abort it (at most 5 s), so a provider that answers fast
 * cannot finish before the client leaves.
 */
function instrument(provider: Provider, records: StreamRecord[]): Provider {
  return {
    ...provider,
    chatStream(request, ctx: RequestContext): AsyncIterable<ChunkResult | readonly ChunkResult[]> {
      const record: StreamRecord = { signal: ctx.signal, closed: false, completed: false };
      records.push(record);
      const hold = holdNext.value;
      holdNext.value = false;
      const inner = provider.chatStream(request, ctx);
      return (async function* observed() {
        try {
          let first = true;
          for await (const value of inner) {
            yield value;
            if (first && hold) {
              first = false;
              await new Promise<void>((resolve) => {
                const timer = setTimeout(resolve, 5000);
                ctx.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
              });
            }
            if (ctx.signal.aborted) return;
          }
          record.completed = true;
        } finally {
          record.closed = true;
        }
      })();
    },
  };
}

function instrumentDefinition(definition: PluginDefinition, records: StreamRecord[]): PluginDefinition {
  if (!isPluginFactory(definition)) return instrument(definition, records);
  return {
    ...definition,
    async create(host) {
      const made = await definition.create(host);
      if (made === undefined) return undefined;
      return Array.isArray(made) ? made.map((p) => instrument(p, records)) : instrument(made, records);
    },
  };
}


const FINISH_REASONS = ["stop", "length", "tool_calls", "content_filter"];

const dataEvents = splitSseData;

export function runPluginConformance(options: () => ConformanceOptions | Promise<ConformanceOptions>): void {
  const records: StreamRecord[] = [];
  let o: ConformanceOptions;
  let gateway: Gateway;
  let url: string;
  let instance: string;

  const post = (path: string, body: unknown, signal?: AbortSignal) =>
    fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal });

  describe("plugin conformance", () => {
    beforeAll(async () => {
      o = await options();
      gateway = await createGateway({
        env: { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "error", ...o.env },
        builtins: [instrumentDefinition(o.plugin, records)],
        write: () => undefined,
        discoveryTimeoutMs: 3000,
      });
      url = gateway.listen();
      const provider = gateway.registry.providers[0];
      if (!provider) throw new Error("the plugin made no provider instance with this environment");
      instance = provider.name;
    });
    afterAll(() => gateway?.shutdown());

    test("lists its models in the OpenAI shape, owned by the instance", async () => {
      const res = await fetch(`${url}/v1/models`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: { owned_by: string }[] };
      expectOpenAI("ListModelsResponse", body);
      for (const model of body.data) expect(model.owned_by).toBe(instance);
      const one = await fetch(`${url}/v1/models/${encodeURIComponent(o.model)}`);
      expect(one.status).toBe(200);
      expectOpenAI("Model", await one.json());
    });

    test("answers a chat completion in the OpenAI shape", async () => {
      const res = await post("/v1/chat/completions", { model: o.model, messages: SEED_MESSAGES, max_tokens: 32 });
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        model: string;
        choices: { finish_reason: string; message: { content: string | null } }[];
        usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
      };
      expectOpenAI("CreateChatCompletionResponse", body);
      expect(body.model).toBe(o.model);
      expect(body.choices.length).toBeGreaterThan(0);
      for (const choice of body.choices) expect(FINISH_REASONS).toContain(choice.finish_reason);
      if (body.usage) expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    });

    test("streams chunks: role first, one finish per choice, the usage chunk on request, then [DONE]", async () => {
      const res = await post("/v1/chat/completions", {
        model: o.model,
        messages: SEED_MESSAGES,
        max_tokens: 32,
        stream: true,
        stream_options: { include_usage: true },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toStartWith("text/event-stream");
      const events = dataEvents(await res.text());
      expect(events.at(-1)).toBe("[DONE]");
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as {
        id: string;
        model: string;
        choices: { index: number; delta: { role?: string }; finish_reason: string | null }[];
        usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
      });
      for (const chunk of chunks) {
        expectOpenAI("CreateChatCompletionStreamResponse", chunk);
        expect(chunk.id).toBe(chunks[0]!.id);
        expect(chunk.model).toBe(o.model);
      }
      expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
      const finishes = chunks.flatMap((c) => c.choices.filter((choice) => choice.finish_reason !== null));
      expect(finishes).toHaveLength(1);
      expect(FINISH_REASONS).toContain(finishes[0]!.finish_reason!);
      const last = chunks.at(-1)!;
      expect(last.choices).toEqual([]);
      expect(last.usage!.total_tokens).toBe(last.usage!.prompt_tokens + last.usage!.completion_tokens);
      const plain = await (await post("/v1/chat/completions", { model: o.model, messages: SEED_MESSAGES, max_tokens: 8, stream: true })).text();
      expect(plain).not.toContain('"usage"');
      expect(plain.endsWith("data: [DONE]\n\n")).toBe(true);
    });

    test("a client that leaves mid-stream closes the provider's stream", async () => {
      const before = records.length;
      holdNext.value = true;
      const controller = new AbortController();
      const res = await post("/v1/chat/completions", { model: o.model, messages: SEED_MESSAGES, stream: true }, controller.signal);
      const reader = res.body!.getReader();
      await reader.read();
      controller.abort();
      const record = records[before]!;
      for (let i = 0; i < 200 && !record.closed; i++) await Bun.sleep(10);
      expect(record.closed).toBe(true);
      // The provider was held after its first chunks: only the core's abort could end it.
      expect(record.signal.aborted).toBe(true);
      expect(record.completed).toBe(false);
    });

    test("an unknown model of this instance is a 404 model_not_found envelope", async () => {
      const model = o.missingModel ?? `${instance}/conformance-no-such-model`;
      const res = await post("/v1/chat/completions", { model, messages: SEED_MESSAGES });
      expect(res.status).toBe(404);
      const body = (await res.json()) as { error: { code: string } };
      expectOpenAI("ErrorResponse", body);
      expect(body.error.code).toBe("model_not_found");
    });

    test("embeddings in the OpenAI shape (when the plugin embeds)", async () => {
      if (!o.embeddingModel) {
        // A plugin that embeds must name a model to check it with.
        expect(typeof gateway.registry.providers[0]!.embed).toBe("undefined");
        return;
      }
      const res = await post("/v1/embeddings", { model: o.embeddingModel, input: ["one", "two"], encoding_format: "float" });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: unknown[] };
      expectOpenAI("CreateEmbeddingResponse", body);
      expect(body.data).toHaveLength(2);
    });
  });
}
