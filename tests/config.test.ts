import { describe, expect, test } from "bun:test";
import { loadConfig } from "../src/config.ts";
import { ConfigError, readEnv } from "../src/env.ts";
import { Type } from "@sinclair/typebox";

describe("loadConfig", () => {
  test("defaults match the contract", () => {
    expect(loadConfig({})).toEqual({
      port: 8000,
      host: "127.0.0.1",
      reusePort: false,
      corsAllowedOrigins: "*",
      apiKeys: [],
      pluginsDir: undefined,
      pluginStartTimeoutMs: 10000,
      maxBodyBytes: 10485760,
      bodyIdleTimeoutS: 60,
      keepAliveTimeoutS: 75,
      configFile: undefined,
      imageFetchAllowPrivate: false,
      urlFetchMemoryBytes: 256 * 1024 * 1024,
      upstreamTimeoutMs: 300000,
      streamIdleTimeoutMs: 120000,
      shutdownGraceMs: 10000,
      logLevel: "info",
      redisUrl: undefined,
      redisFailureMode: "open",
      redisTimeoutMs: 3000,
      responsesTtlS: 86400,
      responsesMemoryBytes: 64 * 1024 * 1024,
      conversationsTtlS: 2592000,
    });
  });

  test("URL_FETCH_MEMORY_MB is whole MiB, at least 1", () => {
    expect(loadConfig({ URL_FETCH_MEMORY_MB: "2" }).urlFetchMemoryBytes).toBe(2 * 1024 * 1024);
    expect(() => loadConfig({ URL_FETCH_MEMORY_MB: "0" })).toThrow(/URL_FETCH_MEMORY_MB/);
    expect(() => loadConfig({ URL_FETCH_MEMORY_MB: "1.5" })).toThrow(/URL_FETCH_MEMORY_MB/);
  });

  test("RESPONSES_MEMORY_MB is whole MiB, at least 1", () => {
    expect(loadConfig({ RESPONSES_MEMORY_MB: "8" }).responsesMemoryBytes).toBe(8 * 1024 * 1024);
    expect(() => loadConfig({ RESPONSES_MEMORY_MB: "0" })).toThrow(/RESPONSES_MEMORY_MB/);
    expect(() => loadConfig({ RESPONSES_MEMORY_MB: "1.5" })).toThrow(/RESPONSES_MEMORY_MB/);
  });

  test("a whole number must be written as one: 1e6 or 80.5 is refused, not truncated to 1 or 80", () => {
    expect(() => loadConfig({ MAX_BODY_BYTES: "1e6" })).toThrow('MAX_BODY_BYTES="1e6" is invalid: Expected a whole number');
    expect(() => loadConfig({ PORT: "80.5" })).toThrow(/PORT="80.5" is invalid: Expected a whole number/);
    expect(() => loadConfig({ PORT: "0x50" })).toThrow(/PORT/);
    expect(loadConfig({ PORT: "+8080", MAX_BODY_BYTES: " 2048 " })).toMatchObject({ port: 8080, maxBodyBytes: 2048 });
  });

  test("REDIS_URL must be a redis:// or rediss:// URL; RESPONSES_TTL_S a positive integer", () => {
    expect(loadConfig({ REDIS_URL: "rediss://user:pw@cache.example:6380/2", RESPONSES_TTL_S: "60" })).toMatchObject({
      redisUrl: "rediss://user:pw@cache.example:6380/2",
      responsesTtlS: 60,
    });
    expect(() => loadConfig({ REDIS_URL: "http://cache.example" })).toThrow(/REDIS_URL/);
    expect(() => loadConfig({ RESPONSES_TTL_S: "0" })).toThrow(/RESPONSES_TTL_S/);
  });

  test("values are converted and lists split", () => {
    const config = loadConfig({
      PORT: " 9000 ",
      CORS_ALLOWED_ORIGINS: "https://a.example, https://b.example",
      OLLAIX_API_KEYS: "k1-aaaa,, k2-bbbb ",
      IMAGE_FETCH_ALLOW_PRIVATE: "true",
      LOG_LEVEL: "debug",
      GEMINI_API_KEY: "", // empty counts as unset everywhere
    });
    expect(config).toMatchObject({
      port: 9000,
      corsAllowedOrigins: ["https://a.example", "https://b.example"],
      apiKeys: ["k1-aaaa", "k2-bbbb"],
      imageFetchAllowPrivate: true,
      logLevel: "debug",
    });
  });

  test.each([
    ["PORT", "abc"],
    ["PORT", "70000"],
    ["LOG_LEVEL", "loud"],
    ["MAX_BODY_BYTES", "0"],
    ["UPSTREAM_TIMEOUT_MS", "soon"],
    ["IMAGE_FETCH_ALLOW_PRIVATE", "yes"],
    ["REDIS_FAILURE_MODE", "maybe"],
  ])("%s=%s stops start-up with a message naming it", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^${name}=`));
  });

  test("CORS_ALLOWED_ORIGINS entries that are not origins stop start-up, naming the variable and the entry (a probe: 'good.example' passed a preflight, then every model call's answer was blocked)", () => {
    for (const [value, hint] of [["good.example", ""], ["https://good.example/", ' ("https://good.example"?)'], ["https://Good.example", ' ("https://good.example"?)'], ["https://a.example/app", ' ("https://a.example"?)'], ["https://a.example:443", ' ("https://a.example"?)']] as const) {
      expect(() => loadConfig({ CORS_ALLOWED_ORIGINS: `https://ok.example, ${value}` })).toThrow(
        new ConfigError(`CORS_ALLOWED_ORIGINS has ${JSON.stringify(value)}, which is not an origin${hint}: give each as a browser sends it, scheme, host and port only (https://app.example.com), comma-separated, or *.`),
      );
    }
    expect(loadConfig({ CORS_ALLOWED_ORIGINS: "http://localhost:5173,https://app.example.com:8443" }).corsAllowedOrigins).toEqual(["http://localhost:5173", "https://app.example.com:8443"]);
    expect(loadConfig({ CORS_ALLOWED_ORIGINS: "*" }).corsAllowedOrigins).toBe("*");
    expect(loadConfig({ CORS_ALLOWED_ORIGINS: "chrome-extension://abcdefghijklmnop" }).corsAllowedOrigins).toEqual(["chrome-extension://abcdefghijklmnop"]);
  });

  test("OLLAIX_API_KEYS that names no key (`${K1},${K2}` with both unset) stops start-up rather than leave the routes open; empty or blank is unset, as every variable", () => {
    for (const value of [",", " , ,", ",,,"]) expect(() => loadConfig({ OLLAIX_API_KEYS: value })).toThrow(/^OLLAIX_API_KEYS is set but names no key/);
    expect(loadConfig({ OLLAIX_API_KEYS: "" }).apiKeys).toEqual([]);
    expect(loadConfig({ OLLAIX_API_KEYS: "  " }).apiKeys).toEqual([]);
    expect(loadConfig({ OLLAIX_API_KEYS: ",k1-aaaa," }).apiKeys).toEqual(["k1-aaaa"]);
  });

  test("every bad variable is named at once", () => {
    expect(() => loadConfig({ PORT: "abc", LOG_LEVEL: "loud" })).toThrow(/PORT=.*; LOG_LEVEL=/);
  });
});

describe("readEnv", () => {
  test("text keeps its spaces; defaults apply", () => {
    const schema = Type.Object({ PREFIX: Type.String({ default: "> " }), COUNT: Type.Integer({ default: 2 }) });
    expect(readEnv(schema, { PREFIX: "say: " })).toEqual({ PREFIX: "say: ", COUNT: 2 });
    expect(readEnv(schema, {})).toEqual({ PREFIX: "> ", COUNT: 2 });
  });

  test("a required variable not set (or blank) is missing, said once; a bad one is invalid", () => {
    const schema = Type.Object({ NOENV_URL: Type.String({ description: "the upstream URL" }), NOENV_TRIES: Type.Integer() });
    for (const env of [{}, { NOENV_URL: " " }]) expect(() => readEnv(schema, { ...env, NOENV_TRIES: "2" })).toThrow(new ConfigError("NOENV_URL is missing (the upstream URL)"));
    expect(() => readEnv(schema, { NOENV_URL: "http://up" })).toThrow(new ConfigError("NOENV_TRIES is missing"));
    expect(() => readEnv(schema, { NOENV_TRIES: "many" })).toThrow(
      new ConfigError('NOENV_TRIES="many" is invalid: Expected a whole number; NOENV_URL is missing (the upstream URL)'),
    );
  });

  test("a secret's bad value is never repeated in the error (start-up prints it before secrets are masked): a plugin's secretEnv, or a credential by its name", () => {
    const schema = Type.Object({ NOENV_PASS: Type.String({ minLength: 20 }), NOENV_API_KEY: Type.String({ pattern: "^sk-" }), NOENV_MODE: Type.Union([Type.Literal("a"), Type.Literal("b")]) });
    const run = () => readEnv(schema, { NOENV_PASS: "hunter2", NOENV_API_KEY: "live-4242", NOENV_MODE: "c" }, ["NOENV_PASS"]);
    expect(run).toThrow(/NOENV_PASS\(its value is a secret, not shown\) is invalid/);
    expect(run).toThrow(/NOENV_API_KEY\(its value is a secret, not shown\) is invalid/);
    expect(run).toThrow(/NOENV_MODE="c" is invalid/);
    const message = (() => {
      try {
        run();
      } catch (error) {
        return (error as Error).message;
      }
      return "";
    })();
    expect(message).not.toContain("hunter2");
    expect(message).not.toContain("live-4242");
  });
});
