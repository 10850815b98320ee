import { describe, expect, test } from "bun:test";
import { ConfigError, isPluginFactory, readEnv } from "../../src/kit.ts";
import { createLogger } from "../../src/logger.ts";
import plugin from "./index.ts";

describe("the ollama plugin definition", () => {
  test("is a factory named ollama whose OLLAMA_BASE_URL defaults to localhost:11434", () => {
    expect(isPluginFactory(plugin)).toBe(true);
    expect(plugin.name).toBe("ollama");
    expect(readEnv(plugin.env!, {})).toEqual({ OLLAMA_BASE_URL: "http://localhost:11434" });
    expect(readEnv(plugin.env!, { OLLAMA_BASE_URL: "https://ollama.internal:8443/" })).toEqual({ OLLAMA_BASE_URL: "https://ollama.internal:8443/" });
  });

  test("a base URL that is not http(s) stops start-up naming the variable", () => {
    expect(() => readEnv(plugin.env!, { OLLAMA_BASE_URL: "localhost:11434" })).toThrow(ConfigError);
    expect(() => readEnv(plugin.env!, { OLLAMA_BASE_URL: "localhost:11434" })).toThrow(/OLLAMA_BASE_URL="localhost:11434" is invalid.*an http\(s\) URL/);
  });

  test("creates one provider: discovered models refreshed every 30 s, and any ollama/<name> accepted", async () => {
    const logger = createLogger({ level: "error", write: () => {} });
    // The plugin reads env, logger and fetch from its host; the rest is the loader's business.
    const host = { env: { OLLAMA_BASE_URL: "http://127.0.0.1:1" }, settings: undefined, logger, fetch } as unknown as Parameters<typeof plugin.create>[0];
    const made = await plugin.create(host);
    const provider = Array.isArray(made) ? made[0]! : made!;
    expect(provider.name).toBe("ollama");
    expect(typeof provider.models).toBe("function");
    expect(provider.refreshIntervalMs).toBe(30_000);
    expect(provider.resolveModel!("mistral:7b")).toBe("mistral:7b");
    expect(provider.acceptsTokenIds).toBeUndefined();
    expect(typeof provider.embed).toBe("function");
  });
});
