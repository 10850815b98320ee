import { Type, type Static } from "@sinclair/typebox";
import { ConfigError, readEnv, type EnvSource } from "./env.ts";
import type { LogLevel } from "./logger.ts";
import { readOtelConfig, type OtelConfig } from "./observe/otel-config.ts";

/** How long a Redis command may go unanswered by default (`REDIS_TIMEOUT_MS`). */
export const REDIS_TIMEOUT_DEFAULT_MS = 3_000;

/** How long a plugin may take to load, and again to start, by default (`PLUGIN_START_TIMEOUT_MS`). */
export const PLUGIN_START_TIMEOUT_DEFAULT_MS = 10_000;

/**
 * The core's environment. Provider plugins declare their own variables (`env` in definePlugin),
 * which are validated at the same start-up, so the core never names a provider.
 */
export const CoreEnv = Type.Object({
  // `title` says what the variable is for (`ollaix --help`); `description`, what a valid value is
  // (start-up errors).
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8000, title: "listen port", description: "a port number, 0-65535" }),
  HOST: Type.String({
    minLength: 1,
    default: "127.0.0.1",
    title: "listen address (0.0.0.0 in the Docker image)",
    description: "listen address",
  }),
  REUSE_PORT: Type.Boolean({
    default: false,
    title: "let several Ollaix processes share PORT (each must have the same configuration)",
    description: "true or false",
  }),
  CORS_ALLOWED_ORIGINS: Type.String({ default: "*", title: "comma-separated origins allowed by CORS", description: "comma-separated origins, or *" }),
  OLLAIX_API_KEYS: Type.Optional(
    Type.String({ title: "comma-separated keys; when set, /v1/* and /api/* need Authorization: Bearer <key>", description: "comma-separated keys" }),
  ),
  OLLAIX_ADMIN_KEY: Type.Optional(
    Type.String({ minLength: 1, title: "guards /metrics and /console (Authorization: Bearer, or the console's sign-in)", description: "the admin key for /metrics and /console" }),
  ),
  PLUGINS_DIR: Type.Optional(Type.String({ title: "folder of extra plugins loaded at start", description: "a folder of extra plugins" })),
  PLUGIN_START_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    maximum: 600_000,
    default: PLUGIN_START_TIMEOUT_DEFAULT_MS,
    title: "longest a plugin may take to load (its module), and again to start (its create()); a slower one is logged and skipped",
    description: "milliseconds",
  }),
  BODY_IDLE_TIMEOUT_S: Type.Integer({
    minimum: 0,
    maximum: 255,
    default: 60,
    title: "how long a request body may stall (no byte received) before its connection is closed; 0 = never",
    description: "seconds (Bun's limit: 255; Bun checks every 4 s)",
  }),
  KEEPALIVE_TIMEOUT_S: Type.Integer({
    minimum: 0,
    maximum: 255,
    default: 75,
    title: "how long a connection may stay open with no request after its last answer; 0 = never closed",
    description: "seconds (Bun's limit: 255; Bun checks every 4 s)",
  }),
  MAX_BODY_BYTES: Type.Integer({ minimum: 1, default: 10 * 1024 * 1024, title: "larger request bodies get 413", description: "a positive integer" }),
  OLLAIX_CONFIG: Type.Optional(
    Type.String({ title: "JSON or YAML file: plugin settings, OpenAI-compatible upstreams", description: "path of a JSON or YAML file" }),
  ),
  IMAGE_FETCH_ALLOW_PRIVATE: Type.Boolean({
    default: false,
    title: "let the gateway fetch image_url parts and files by URL on loopback/private addresses",
    description: "true or false",
  }),
  URL_FETCH_MEMORY_MB: Type.Integer({
    minimum: 1,
    maximum: 65_536,
    default: 256,
    title: "bytes of images and files fetched by URL that all requests in flight may hold together (then 503 server_busy)",
    description: "MiB",
  }),
  UPSTREAM_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    default: 300_000,
    title: "longest wait for an upstream's answer or first stream chunk (then 504)",
    description: "milliseconds",
  }),
  STREAM_IDLE_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    default: 120_000,
    title: "longest silence inside a stream (then an SSE error event), and longest a stream's client may read nothing (then it is cut off)",
    description: "milliseconds",
  }),
  SHUTDOWN_GRACE_MS: Type.Integer({
    minimum: 0,
    default: 10_000,
    title: "on SIGTERM/SIGINT/SIGHUP, how long in-flight requests may finish",
    description: "milliseconds",
  }),
  RESPONSES_TTL_S: Type.Integer({ minimum: 1, default: 86_400, title: "how long stored Responses are kept", description: "seconds stored Responses are kept" }),
  CONVERSATIONS_TTL_S: Type.Integer({
    minimum: 1,
    default: 2_592_000,
    title: "how long a conversation (Conversations API) is kept after its last change",
    description: "seconds",
  }),
  RESPONSES_MEMORY_MB: Type.Integer({
    minimum: 1,
    maximum: 65_536,
    default: 64,
    title: "memory for stored Responses without REDIS_URL (the oldest go first beyond it)",
    description: "MiB",
  }),
  LOG_LEVEL: Type.Union(
    [Type.Literal("debug"), Type.Literal("info"), Type.Literal("warn"), Type.Literal("error")],
    { default: "info", title: "debug, info, warn or error (JSON lines on stdout)", description: "debug, info, warn or error" },
  ),
  // Checked (without echoing it: it may hold a password) where the state store is built.
  REDIS_URL: Type.Optional(
    Type.String({ title: "shared state for several replicas (limits, budgets, stored responses); unset = in-process", description: "redis://[user:pass@]host:port[/db]" }),
  ),
  REDIS_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    maximum: 600_000,
    default: REDIS_TIMEOUT_DEFAULT_MS,
    title: "how long a Redis command may go unanswered before it fails (503 state_unavailable, or per-replica limits)",
    description: "milliseconds",
  }),
  REDIS_FAILURE_MODE: Type.Union([Type.Literal("open"), Type.Literal("closed")], {
    default: "open",
    title: "Redis unreachable: open counts per replica, closed answers 503 to keys with limits",
    description: "open or closed",
  }),
});

export interface Config {
  port: number;
  host: string;
  /** Let several processes listen on one port (SO_REUSEPORT); off by default so a taken port stops start-up. */
  reusePort: boolean;
  corsAllowedOrigins: string[] | "*";
  apiKeys: string[];
  /** Guards /metrics and /console (`OLLAIX_ADMIN_KEY`). */
  adminKey?: string;
  pluginsDir?: string;
  /** `PLUGIN_START_TIMEOUT_MS` (plugin-loader.ts). */
  pluginStartTimeoutMs: number;
  maxBodyBytes: number;
  /** `BODY_IDLE_TIMEOUT_S` (http/connection-clock.ts). */
  bodyIdleTimeoutS: number;
  /** `KEEPALIVE_TIMEOUT_S` (http/connection-clock.ts). */
  keepAliveTimeoutS: number;
  configFile?: string;
  imageFetchAllowPrivate: boolean;
  /** `URL_FETCH_MEMORY_MB` in bytes (fetch-memory.ts). */
  urlFetchMemoryBytes: number;
  upstreamTimeoutMs: number;
  streamIdleTimeoutMs: number;
  shutdownGraceMs: number;
  logLevel: LogLevel;
  /** Shared state for several replicas (limits, budgets, stored responses); unset = in-process. */
  redisUrl?: string;
  /** Redis unreachable: `open` counts per replica, `closed` refuses requests that need a limit. */
  redisFailureMode: "open" | "closed";
  /** How long a Redis command may go unanswered (a hung Redis keeps its connections open). */
  redisTimeoutMs: number;
  /** Trace export, from OpenTelemetry's own variables; undefined = tracing off (no SDK loaded). */
  otel?: OtelConfig;
  /** How long stored Responses are kept. */
  responsesTtlS: number;
  /** The in-process response store's byte bound (no Redis); the conversation store has as much again. */
  responsesMemoryBytes: number;
  /** How long a conversation is kept after its last change. */
  conversationsTtlS: number;
}

const splitList = (value: string) =>
  value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/** A redis:// or rediss:// URL; the message never shows the value (it may hold a password). */
function checkRedisUrl(value: string | undefined): string | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  let ok = false;
  try {
    const url = new URL(text);
    ok = (url.protocol === "redis:" || url.protocol === "rediss:") && url.hostname !== "";
  } catch {
    ok = false;
  }
  if (!ok) throw new ConfigError("REDIS_URL is invalid: expected redis://[user:pass@]host:port[/db] or rediss://… (the value is not shown: it may hold a password)");
  return text;
}

/**
 * OLLAIX_API_KEYS' keys; unset or blank (as every variable), none. Set to something that names no
 * key (`,` from `${K1},${K2}` with both unset) it stops start-up: read as none, every model route
 * would be open while the operator meant them closed.
 */
function apiKeysOf(value: string | undefined): string[] {
  if (value === undefined) return [];
  const keys = splitList(value);
  if (keys.length === 0) throw new ConfigError("OLLAIX_API_KEYS is set but names no key (only commas): the model routes would be open. Give the keys, comma-separated, or unset it.");
  return keys;
}

/**
 * CORS_ALLOWED_ORIGINS as origins exactly as a browser's `Origin` header says them (scheme, host,
 * port: `https://app.example.com`), or `*`. Anything else stops start-up: `app.example.com`, a
 * trailing `/` or a path matched some routes (the CORS plugin compares without the scheme) and not
 * others (the model routes and the WebSocket mode compare exactly): a preflight passed, and then
 * the answer was blocked.
 */
function originsOf(value: string): string[] {
  const origins = splitList(value);
  for (const origin of origins) {
    if (origin === "*") continue;
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    // A browser extension's origin (chrome-extension://id) has no origin in the URL standard's terms: taken as written.
    const isOtherScheme = parsed !== undefined && parsed.protocol !== "http:" && parsed.protocol !== "https:" && /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]+$/.test(origin);
    if (parsed?.origin !== origin && !isOtherScheme) {
      const hint = parsed !== undefined && parsed.origin !== "null" ? ` (${JSON.stringify(parsed.origin)}?)` : "";
      throw new ConfigError(`CORS_ALLOWED_ORIGINS has ${JSON.stringify(origin)}, which is not an origin${hint}: give each as a browser sends it, scheme, host and port only (https://app.example.com), comma-separated, or *.`);
    }
  }
  return origins;
}

export function loadConfig(env: EnvSource): Config {
  const e: Static<typeof CoreEnv> = readEnv(CoreEnv, env);
  const origins = originsOf(e.CORS_ALLOWED_ORIGINS);
  return {
    port: e.PORT,
    host: e.HOST,
    reusePort: e.REUSE_PORT,
    corsAllowedOrigins: origins.length === 0 || origins.includes("*") ? "*" : origins,
    apiKeys: apiKeysOf(e.OLLAIX_API_KEYS),
    adminKey: e.OLLAIX_ADMIN_KEY?.trim() || undefined,
    pluginsDir: e.PLUGINS_DIR,
    pluginStartTimeoutMs: e.PLUGIN_START_TIMEOUT_MS,
    maxBodyBytes: e.MAX_BODY_BYTES,
    bodyIdleTimeoutS: e.BODY_IDLE_TIMEOUT_S,
    keepAliveTimeoutS: e.KEEPALIVE_TIMEOUT_S,
    configFile: e.OLLAIX_CONFIG,
    imageFetchAllowPrivate: e.IMAGE_FETCH_ALLOW_PRIVATE,
    urlFetchMemoryBytes: e.URL_FETCH_MEMORY_MB * 1024 * 1024,
    upstreamTimeoutMs: e.UPSTREAM_TIMEOUT_MS,
    streamIdleTimeoutMs: e.STREAM_IDLE_TIMEOUT_MS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    logLevel: e.LOG_LEVEL,
    redisUrl: checkRedisUrl(e.REDIS_URL),
    redisFailureMode: e.REDIS_FAILURE_MODE,
    redisTimeoutMs: e.REDIS_TIMEOUT_MS,
    otel: readOtelConfig(env),
    responsesTtlS: e.RESPONSES_TTL_S,
    responsesMemoryBytes: e.RESPONSES_MEMORY_MB * 1024 * 1024,
    conversationsTtlS: e.CONVERSATIONS_TTL_S,
  };
}
