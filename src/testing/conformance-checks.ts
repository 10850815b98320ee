import { SEED_MESSAGES } from "../seed.ts";
import { splitSseData } from "./sse-body.ts";
import { isPluginFactory, type ChunkResult, type PluginDefinition, type Provider, type RequestContext } from "../plugin.ts";
import { ModelRegistry } from "../registry.ts";
import { createGateway, type Gateway } from "../server.ts";
import { expectOpenAI } from "./openai-schema.ts";

/**
 * The plugin conformance checks, free of any test framework: `runPluginConformance` (bun test)
 * and `ollaix plugin test DIR` (the CLI, also in the compiled binary) run the same list. Each
 * check throws an Error saying what was wrong.
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

/** A gateway serving only the plugin under test, its stream calls observed. */
export interface ConformanceSession {
  options: ConformanceOptions;
  url: string;
  instance: string;
  gateway: Gateway;
  records: StreamRecord[];
  close(): Promise<void>;
}

export interface ConformanceCheck {
  name: string;
  run(session: ConformanceSession): Promise<void>;
}

class ConformanceFailure extends Error {
  override name = "ConformanceFailure";
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ConformanceFailure(message);
}

const show = (value: unknown) => JSON.stringify(value) ?? String(value);

function assertEqual(actual: unknown, expected: unknown, what: string): void {
  assert(Object.is(actual, expected), `${what}: expected ${show(expected)}, got ${show(actual)}`);
}

/** Set by the abort check: the next stream pauses after its first chunks until its signal aborts. */
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

/**
 * Starts a gateway on a free loopback port with the plugin as its only one. Without `model`, the
 * first model the plugin lists is used (the CLI's default).
 */
export async function startConformance(options: Omit<ConformanceOptions, "model"> & { model?: string }): Promise<ConformanceSession> {
  const records: StreamRecord[] = [];
  // Why the loader skipped the plugin or an instance (it failed to start, an invalid name): its error lines, kept for the failure.
  const skipped: string[] = [];
  // Why an instance's first discovery failed (it threw, or gave no answer in time), by instance: a warning, hence LOG_LEVEL=warn.
  const undiscovered = new Map<string, string>();
  const gateway = await createGateway({
    env: { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "warn", ...options.env },
    builtins: [instrumentDefinition(options.plugin, records)],
    write: (line) => {
      const entry = JSON.parse(line) as { level?: string; msg?: string; provider?: string; error?: { message?: string } | string };
      if (entry.msg === ModelRegistry.DISCOVERY_FAILED && entry.provider) undiscovered.set(entry.provider, typeof entry.error === "string" ? entry.error : "failed");
      if (entry.level !== "error" || !entry.msg?.includes(" skipped: ")) return;
      const error = typeof entry.error === "string" ? entry.error : entry.error?.message;
      skipped.push(`${entry.msg.slice(entry.msg.indexOf(" skipped: ") + " skipped: ".length)}${entry.provider ? ` ${JSON.stringify(entry.provider)}` : ""}${error ? `: ${error}` : ""}`);
    },
    discoveryTimeoutMs: 3000,
  });
  const url = gateway.listen();
  const close = () => gateway.shutdown();
  const provider = gateway.registry.providers[0];
  if (!provider) {
    await close();
    throw new ConformanceFailure(
      skipped.length > 0 ? `the plugin made no provider instance: ${skipped.join("; ")}` : "the plugin made no provider instance with this environment",
    );
  }
  // Every first discovery, not start-up's shorter wait: a slow one that answers in time lists its models.
  await gateway.registry.discovered;
  await gateway.registry.ready;
  const model = options.model ?? gateway.registry.list()[0]?.id;
  if (!model) {
    await close();
    const failure = undiscovered.get(provider.name);
    throw new ConformanceFailure(
      failure ? `the instance ${provider.name} could not list its models: ${failure}` : `the instance ${provider.name} lists no model; name one to test with`,
    );
  }
  return { options: { ...options, model }, url, instance: provider.name, gateway, records, close };
}

const FINISH_REASONS = ["stop", "length", "tool_calls", "content_filter"];

const dataEvents = splitSseData;

const post = (s: ConformanceSession, path: string, body: unknown, signal?: AbortSignal) =>
  fetch(`${s.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal });

async function expectStatus(response: Response, status: number, what: string): Promise<void> {
  if (response.status === status) return;
  throw new ConformanceFailure(`${what}: expected HTTP ${status}, got ${response.status}: ${(await response.text()).slice(0, 500)}`);
}

type Usage = { prompt_tokens: number; completion_tokens: number; total_tokens: number };
const assertUsageAddsUp = (usage: Usage, where: string) =>
  assertEqual(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens, `${where}: total_tokens = prompt_tokens + completion_tokens`);

export const CONFORMANCE_CHECKS: readonly ConformanceCheck[] = [
  {
    name: "lists its models in the OpenAI shape, owned by the instance",
    async run(s) {
      const res = await fetch(`${s.url}/v1/models`);
      await expectStatus(res, 200, "GET /v1/models");
      const body = (await res.json()) as { data: { owned_by: string }[] };
      expectOpenAI("ListModelsResponse", body);
      for (const model of body.data) assertEqual(model.owned_by, s.instance, "owned_by");
      const one = await fetch(`${s.url}/v1/models/${encodeURIComponent(s.options.model)}`);
      await expectStatus(one, 200, `GET /v1/models/${s.options.model}`);
      expectOpenAI("Model", await one.json());
    },
  },
  {
    name: "answers a chat completion in the OpenAI shape",
    async run(s) {
      const res = await post(s, "/v1/chat/completions", { model: s.options.model, messages: SEED_MESSAGES, max_tokens: 32 });
      await expectStatus(res, 200, "a chat completion");
      const body = (await res.json()) as { model: string; choices: { finish_reason: string }[]; usage?: Usage };
      expectOpenAI("CreateChatCompletionResponse", body);
      assertEqual(body.model, s.options.model, "model");
      assert(body.choices.length > 0, "the completion has no choices");
      for (const choice of body.choices) assert(FINISH_REASONS.includes(choice.finish_reason), `finish_reason ${show(choice.finish_reason)} is not one of ${FINISH_REASONS.join(", ")}`);
      if (body.usage) assertUsageAddsUp(body.usage, "usage");
    },
  },
  {
    name: "streams chunks: role first, one finish per choice, the usage chunk on request, then [DONE]",
    async run(s) {
      const res = await post(s, "/v1/chat/completions", {
        model: s.options.model,
        messages: SEED_MESSAGES,
        max_tokens: 32,
        stream: true,
        stream_options: { include_usage: true },
      });
      await expectStatus(res, 200, "a streamed chat completion");
      assert(res.headers.get("content-type")?.startsWith("text/event-stream"), "the stream is not text/event-stream");
      const events = dataEvents(await res.text());
      assertEqual(events.at(-1), "[DONE]", "the last event");
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as {
        id: string;
        model: string;
        choices: { index: number; delta: { role?: string }; finish_reason: string | null }[];
        usage?: Usage | null;
      });
      for (const chunk of chunks) {
        expectOpenAI("CreateChatCompletionStreamResponse", chunk);
        assertEqual(chunk.id, chunks[0]!.id, "every chunk's id");
        assertEqual(chunk.model, s.options.model, "every chunk's model");
      }
      assertEqual(chunks[0]!.choices[0]?.delta.role, "assistant", "the first delta's role");
      const finishes = chunks.flatMap((c) => c.choices.filter((choice) => choice.finish_reason !== null));
      assertEqual(finishes.length, 1, "chunks with a finish_reason");
      assert(FINISH_REASONS.includes(finishes[0]!.finish_reason!), `finish_reason ${show(finishes[0]!.finish_reason)} is not a contract value`);
      const last = chunks.at(-1)!;
      assertEqual(last.choices.length, 0, "choices of the usage chunk");
      assert(last.usage, "the last chunk has no usage although include_usage was asked");
      assertUsageAddsUp(last.usage, "the usage chunk");
      const plain = await (await post(s, "/v1/chat/completions", { model: s.options.model, messages: SEED_MESSAGES, max_tokens: 8, stream: true })).text();
      assert(!plain.includes('"usage"'), "a stream without include_usage carries usage");
      assert(plain.endsWith("data: [DONE]\n\n"), "a stream without include_usage does not end with data: [DONE]");
    },
  },
  {
    name: "a client that leaves mid-stream closes the provider's stream",
    async run(s) {
      const before = s.records.length;
      holdNext.value = true;
      const controller = new AbortController();
      const res = await post(s, "/v1/chat/completions", { model: s.options.model, messages: SEED_MESSAGES, stream: true }, controller.signal);
      holdNext.value = false; // taken by the stream's call, if it was made: a request refused before it holds no later one
      // A stream that failed before it began (an HTTP error) had nothing for the client to leave.
      await expectStatus(res, 200, "a streamed chat completion");
      const reader = res.body!.getReader();
      await reader.read();
      controller.abort();
      const record = s.records[before];
      assert(record, "the provider's chatStream was not called");
      for (let i = 0; i < 200 && !record.closed; i++) await Bun.sleep(10);
      assert(record.closed, "the provider's stream was not closed after the client left");
      // The provider was held after its first chunks: only the core's abort could end it.
      assert(record.signal.aborted, "the stream was closed without its signal being aborted");
      assert(!record.completed, "the provider's stream ran to its end although the client had left");
    },
  },
  {
    name: "an unknown model of this instance is a 404 model_not_found envelope",
    async run(s) {
      const model = s.options.missingModel ?? `${s.instance}/conformance-no-such-model`;
      const res = await post(s, "/v1/chat/completions", { model, messages: SEED_MESSAGES });
      await expectStatus(res, 404, `a chat completion on ${model}`);
      const body = (await res.json()) as { error: { code: string } };
      expectOpenAI("ErrorResponse", body);
      assertEqual(body.error.code, "model_not_found", "error.code");
    },
  },
  {
    name: "embeddings in the OpenAI shape (when the plugin embeds)",
    async run(s) {
      if (!s.options.embeddingModel) {
        // A plugin that embeds must name a model to check it with.
        assert(s.gateway.registry.providers[0]!.embed === undefined, "the plugin embeds: name an embedding model to check it with");
        return;
      }
      const res = await post(s, "/v1/embeddings", { model: s.options.embeddingModel, input: ["one", "two"], encoding_format: "float" });
      await expectStatus(res, 200, "embeddings");
      const body = (await res.json()) as { data: unknown[] };
      expectOpenAI("CreateEmbeddingResponse", body);
      assertEqual(body.data.length, 2, "embeddings for two inputs");
    },
  },
];
