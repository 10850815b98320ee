import { Type, type Static } from "@sinclair/typebox";
import { readEnv, type EnvSource } from "./env.ts";
import type { LogLevel } from "./logger.ts";

/**
 * The core's environment. Provider plugins declare their own variables (`env` in definePlugin),
 * which are validated at the same start-up, so the core never names a provider.
 */
export const CoreEnv = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8000, description: "a port number, 0-65535" }),
  HOST: Type.String({ minLength: 1, default: "127.0.0.1", description: "listen address" }),
  CORS_ALLOWED_ORIGINS: Type.String({ default: "*", description: "comma-separated origins, or *" }),
  OLLAIX_API_KEYS: Type.Optional(Type.String({ description: "comma-separated keys" })),
  PLUGINS_DIR: Type.Optional(Type.String({ description: "a folder of extra plugins" })),
  MAX_BODY_BYTES: Type.Integer({ minimum: 1, default: 10 * 1024 * 1024, description: "a positive integer" }),
  OLLAIX_CONFIG: Type.Optional(Type.String({ description: "path of a JSON or YAML file" })),
  IMAGE_FETCH_ALLOW_PRIVATE: Type.Boolean({ default: false, description: "true or false" }),
  UPSTREAM_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 300_000, description: "milliseconds" }),
  STREAM_IDLE_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 120_000, description: "milliseconds" }),
  SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 0, default: 10_000, description: "milliseconds" }),
  REDIS_URL: Type.Optional(
    Type.String({ pattern: "^rediss?://[^\\s]+$", description: "a redis:// or rediss:// URL" }),
  ),
  RESPONSES_TTL_S: Type.Integer({ minimum: 1, default: 86_400, description: "seconds stored Responses are kept" }),
  LOG_LEVEL: Type.Union(
    [Type.Literal("debug"), Type.Literal("info"), Type.Literal("warn"), Type.Literal("error")],
    { default: "info", description: "debug, info, warn or error" },
  ),
});

export interface Config {
  port: number;
  host: string;
  corsAllowedOrigins: string[] | "*";
  apiKeys: string[];
  pluginsDir?: string;
  maxBodyBytes: number;
  configFile?: string;
  imageFetchAllowPrivate: boolean;
  upstreamTimeoutMs: number;
  streamIdleTimeoutMs: number;
  shutdownGraceMs: number;
  logLevel: LogLevel;
  /** Shared state for several replicas (stored responses, limits); unset = in-process memory. */
  redisUrl?: string;
  /** How long stored Responses are kept. */
  responsesTtlS: number;
}

const splitList = (value: string) =>
  value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

export function loadConfig(env: EnvSource): Config {
  const e: Static<typeof CoreEnv> = readEnv(CoreEnv, env);
  const origins = splitList(e.CORS_ALLOWED_ORIGINS);
  return {
    port: e.PORT,
    host: e.HOST,
    corsAllowedOrigins: origins.length === 0 || origins.includes("*") ? "*" : origins,
    apiKeys: e.OLLAIX_API_KEYS ? splitList(e.OLLAIX_API_KEYS) : [],
    pluginsDir: e.PLUGINS_DIR,
    maxBodyBytes: e.MAX_BODY_BYTES,
    configFile: e.OLLAIX_CONFIG,
    imageFetchAllowPrivate: e.IMAGE_FETCH_ALLOW_PRIVATE,
    upstreamTimeoutMs: e.UPSTREAM_TIMEOUT_MS,
    streamIdleTimeoutMs: e.STREAM_IDLE_TIMEOUT_MS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    logLevel: e.LOG_LEVEL,
    redisUrl: e.REDIS_URL,
    responsesTtlS: e.RESPONSES_TTL_S,
  };
}
