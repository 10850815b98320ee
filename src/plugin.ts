import type { Static, TObject } from "@sinclair/typebox";
import type { ChatCompletion, ChatCompletionChunk, ChatRequest, Message } from "./schemas/chat.ts";
import type { EmbeddingRequest } from "./schemas/embeddings.ts";
import type { InlineImage } from "./image-fetch.ts";
import type { Logger } from "./logger.ts";
import type { EnvSource } from "./env.ts";

/**
 * The plugin contract. A provider plugin is data (a name, its models) plus functions typed by the
 * OpenAI schemas; it imports nothing from Elysia and never builds an HTTP response. It throws the
 * kit's error classes (or anything with the same `status`/`type`/`code` fields).
 */

/** What a provider says about one of its models. `owned_by` is always the instance name. */
export interface ModelInfo {
  id: string;
  /** Unix seconds; the gateway's start time when absent. */
  created?: number;
  name?: string;
  description?: string;
  context_length?: number;
  /**
   * Optional hints, in Ollama's capability names: `completion`, `tools`, `thinking`, `vision`,
   * `embedding`, `insert`. Shown by `/api/show`; absent means "a chat model, nothing more known".
   */
  capabilities?: string[];
  /** Size of the model's files in bytes, when the provider knows it (`/api/tags`); 0 otherwise. */
  size?: number;
  /** Any other field is listed as an extra of the OpenAI model object. */
  [extra: string]: unknown;
}

/**
 * What every call upstream needs, whichever plugin makes it: the abort signal, the headers to send,
 * and the model the client asked for (names it in a 404; absent for discovery and health). A
 * RequestContext and a DiscoveryContext are both one, so plugins hand either to their client as is.
 */
export interface UpstreamCall {
  signal: AbortSignal;
  upstreamHeaders: Readonly<Record<string, string>>;
  requestedModel?: string;
}

/** Per-request context the core hands to a provider. */
export interface RequestContext {
  /** Aborted when the client goes away or a core time-out fires; pass it to every upstream call. */
  signal: AbortSignal;
  /** The model id as the provider knows it (the `<instance>/` prefix removed). */
  model: string;
  /** The model id as the client sent it; the core stamps it on every answer. */
  requestedModel: string;
  requestId: string;
  /** Headers to send on every upstream request (`x-ollaix-hops`, `x-request-id`). */
  upstreamHeaders: Readonly<Record<string, string>>;
  logger: Logger;
  /**
   * Loads every `image_url` part of a conversation (data URLs decoded, http(s) fetched through the
   * core's guard against private addresses, under the gateway's IMAGE_FETCH_ALLOW_PRIVATE), keyed by
   * the kit's `imagePartKey(i, j)`. A part that cannot be loaded is a 400 naming it.
   */
  loadImages(messages: readonly Message[]): Promise<Map<string, InlineImage>>;
  /**
   * What the client said in its own surface's dialect that the chat request has no field for, for a
   * plugin of that same provider to apply (others ignore it); undefined for most requests.
   */
  clientOptions?: ClientOptions;
  /**
   * Set by a provider to the model its upstream says answered, when it says one (an OpenAI-compatible
   * answer's `model`, such as `gpt-4o-2024-08-06`; Gemini's `modelVersion`): traces report it as
   * `gen_ai.response.model`. Never sent to the client, whose answers name the model it asked for.
   */
  responseModel?: string;
}

/**
 * A client's own options that the chat request cannot carry. Never sent upstream as they are by the
 * core (an OpenAI-compatible upstream would refuse unknown fields): a plugin that speaks the dialect
 * reads them.
 */
export interface ClientOptions {
  /** The surface the request came through (`ollama`: Ollama's API). */
  surface: string;
  /**
   * Ollama's API: the Modelfile `options` with no chat field (`num_ctx`, `top_k`, `repeat_penalty`,
   * `min_p`, `mirostat`, …), as the client sent them.
   */
  options?: Readonly<Record<string, unknown>>;
  /** Ollama's API: `keep_alive` as the client sent it. */
  keepAlive?: string | number;
  /** Ollama's API, embeddings: `truncate` as the client sent it (false: an input over the context is an error). */
  truncate?: boolean;
}

/** A chat completion as a provider returns it; the core fills `id`, `object`, `created`, `model`. */
export type ChatResult = Omit<ChatCompletion, "id" | "object" | "created" | "model" | "choices"> & {
  id?: string;
  choices: Array<
    Omit<ChatCompletion["choices"][number], "message" | "logprobs"> & {
      logprobs?: ChatCompletion["choices"][number]["logprobs"];
      message: Omit<ChatCompletion["choices"][number]["message"], "refusal" | "role"> & {
        role?: "assistant";
        refusal?: string | null;
      };
    }
  >;
};

/**
 * A stream chunk as a provider yields it; the core fills (or overwrites) `id`, `object`, `created`, `model`,
 * `finish_reason: null` and the first delta's role. A chunk with `usage` carries the totals: the core
 * sends them as the final usage chunk only when the client asked (`stream_options.include_usage`).
 */
export type ChunkResult = Omit<ChatCompletionChunk, "id" | "object" | "created" | "model" | "choices"> & {
  choices: Array<
    Omit<ChatCompletionChunk["choices"][number], "finish_reason"> & {
      finish_reason?: ChatCompletionChunk["choices"][number]["finish_reason"];
    }
  >;
};

export interface EmbedResult {
  /** One vector per input, in input order. */
  embeddings: number[][];
  usage?: { prompt_tokens: number; total_tokens?: number };
}

/** What an instance name may be: it is a model-id prefix, a metric label and a URL path segment. */
export const INSTANCE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A model a provider holds in memory now (an entry of Ollama's `/api/ps`). */
export interface RunningModel {
  /** The upstream id (as `ctx.model` is given). */
  id: string;
  /** Bytes in memory, and of them in GPU memory. */
  size?: number;
  size_vram?: number;
  digest?: string;
  details?: Record<string, unknown>;
  /** When the provider unloads it (RFC 3339). */
  expires_at?: string;
  /** The context it was loaded with. */
  context_length?: number;
}

/** One provider instance: its name is the model-id prefix and the models' `owned_by`. */
export interface Provider {
  name: string;
  /**
   * OpenTelemetry's `gen_ai.provider.name` for this instance's spans, when the conventions have a
   * well-known value for its provider (`gcp.gemini`, `anthropic`, `aws.bedrock`…); default: the
   * instance name.
   */
  genAiProviderName?: string;
  /**
   * The plugin's own fields of its `plugins.<name>` section of the config file (besides the core's
   * `enabled`), as a TypeBox object: checked at start-up with the rest of the file, so a misspelt
   * field stops start-up naming it. Without it the section takes any fields and the plugin checks
   * them itself. `Type.Object({})`: a plugin with no settings of its own.
   */
  settingsSchema?: TObject;
  /** Static list, or discovery (called at start and every `refreshIntervalMs`). */
  models: readonly ModelInfo[] | ((ctx: ModelsContext) => Promise<readonly ModelInfo[]>);
  /** How often discovered models are refreshed; default 60 s. Ignored for a static list. */
  refreshIntervalMs?: number;
  /** For ids this instance accepts without listing them: return the upstream id, or undefined. */
  resolveModel?(id: string): string | undefined;
  /**
   * Asked by `GET /v1/models/{id}` for an id `resolveModel` accepted but the last discovery did not
   * list (the upstream id, prefix removed): true when the upstream has it. Without it such ids
   * are 404. A failure to ask (upstream down) is thrown as a kit error.
   */
  modelExists?(id: string, ctx: DiscoveryContext): Promise<boolean>;
  chat(request: ChatRequest, ctx: RequestContext): Promise<ChatResult>;
  /**
   * Yields chunks one by one, or in arrays: a plugin that parses an upstream stream may yield all
   * the chunks of one network read at once, which saves an async step per chunk.
   */
  chatStream(request: ChatRequest, ctx: RequestContext): AsyncIterable<ChunkResult | readonly ChunkResult[]>;
  /** Input is always an array: strings, or token-id arrays when `acceptsTokenIds` is true. */
  embed?(
    input: string[] | number[][],
    request: EmbeddingRequest,
    ctx: RequestContext,
  ): Promise<EmbedResult>;
  /**
   * Optional: the provider's own count of a chat request's input tokens (Gemini `countTokens`), for
   * Anthropic's `count_tokens`. Without it the gateway estimates with its own tokenizer.
   */
  countTokens?(request: ChatRequest, ctx: RequestContext): Promise<number>;
  /**
   * Optional: load the model into memory, or unload it when `keepAlive` is zero, as an Ollama client
   * asks with a request that has nothing to generate (`ollama run` preloads, `ollama stop` and Open
   * WebUI unload). `keepAlive` is the client's, as sent (seconds, or a Go duration such as `"5m"`);
   * undefined: the provider's default. Without it the provider has nothing to load, and the answer
   * says the model is there.
   */
  load?(keepAlive: number | string | undefined, ctx: RequestContext): Promise<void>;
  /**
   * Optional: the models the provider holds in memory now, for Ollama's `GET /api/ps` (`ollama ps`,
   * Open WebUI). Without it the provider holds none the gateway can show.
   */
  runningModels?(ctx: DiscoveryContext): Promise<readonly RunningModel[]>;
  /** Whether `embed` takes token-id input (`number[]`, `number[][]`). */
  acceptsTokenIds?: boolean;
  /** Largest `n` the provider honours; default 1 (the core answers 400 `param: "n"` above it). */
  maxN?: number;
  /**
   * This instance's own longest wait (ms) for an answer or a stream's first chunk, in place of
   * `UPSTREAM_TIMEOUT_MS`, longer or shorter (a slow local server's `timeout_ms`). The provider keeps
   * it itself (its error names it); the core's deadline comes a second later.
   */
  timeoutMs?: number;
  /**
   * Whether the provider is handed OpenAI's own Chat Completions features that change what the
   * answer is (`web_search_options`, `moderation`, `audio` and `modalities` with `"audio"`) and
   * honours them (an OpenAI-compatible upstream). Without it the core refuses them (400 naming the
   * field) rather than answer as if they had applied.
   */
  takesOpenAIFeatures?: boolean;
  /** Where this instance sends requests (a URL without credentials), shown by `ollaix check-config`. */
  origin?: string;
  /** Reported by `/health`; should be cheap. */
  health?(ctx: DiscoveryContext): Promise<{ ok: boolean; detail?: string }>;
}

export interface DiscoveryContext {
  signal: AbortSignal;
  logger: Logger;
  /** Headers for discovery requests upstream (`x-ollaix-hops: 1`). */
  upstreamHeaders: Readonly<Record<string, string>>;
  /**
   * Given to discovery only, where it is always there: see ModelsContext. Absent for `health`,
   * `modelExists` and `runningModels`.
   */
  failed?(error: unknown): void;
}

/** What the core hands a discovery (`models(ctx)`): a DiscoveryContext with `failed` always there. */
export interface ModelsContext extends DiscoveryContext {
  /**
   * For a provider that answers a failed listing with a list of its own (a built-in one, the last
   * it had): says why the upstream could not be asked. The core logs it as the discovery failure it
   * is (`ollaix models` shows the provider unreachable) and serves the list returned.
   */
  failed(error: unknown): void;
}

/** What a plugin factory receives at start-up. */
export interface PluginHost<E = Record<string, never>> {
  /** The plugin's own variables, validated against its `env` schema. */
  env: E;
  /** This plugin's section of the `OLLAIX_CONFIG` file (`plugins.<name>`), if any. */
  settings: unknown;
  logger: Logger;
  fetch: typeof fetch;
  /** Registers a value (a key the plugin read) that must never appear in a log line or an error. */
  addSecret(value: string | undefined): void;
  /**
   * Reads a variable whose name comes from the plugin's settings (e.g. `api_key_env`), from the
   * gateway's environment, and registers its value as a secret.
   */
  readSecretEnv(name: string): string | undefined;
}

/** A plugin that builds its provider instances at start (from env or settings). */
export interface PluginFactory<S extends TObject = TObject> {
  name: string;
  /** See Provider.settingsSchema. */
  settingsSchema?: TObject;
  /** The environment variables this plugin reads, as a TypeBox object; validated at start-up. */
  env?: S;
  /** Names of `env` variables that are secrets: never logged, never echoed. */
  secretEnv?: readonly (keyof Static<S> & string)[];
  /**
   * Returns the instances to serve; none (undefined, []) when the plugin is not configured. Must
   * finish within PLUGIN_START_TIMEOUT_MS (10 s by default), or the plugin is skipped.
   */
  create(host: PluginHost<Static<S>>): Provider | Provider[] | undefined | Promise<Provider | Provider[] | undefined>;
}

// `any`: factories differ in their env schema (create() is contravariant in it); the loader
// validates the environment against each factory's own schema before calling create().
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PluginDefinition = Provider | PluginFactory<any>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function isPluginFactory(value: PluginDefinition): value is PluginFactory<any> {
  return typeof (value as PluginFactory).create === "function";
}

/** Identity at runtime; gives a plugin author types and editor help. */
export function definePlugin<S extends TObject>(plugin: PluginFactory<S>): PluginFactory<S>;
export function definePlugin(plugin: Provider): Provider;
export function definePlugin(plugin: PluginDefinition): PluginDefinition {
  return plugin;
}

export type { EnvSource };
