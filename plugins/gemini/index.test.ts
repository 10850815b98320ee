import { describe, expect, test } from "bun:test";
import { startTestGateway } from "../../tests/helpers/gateway.ts";
import dummy from "../dummy/index.ts";
import { createLogger } from "../../src/logger.ts";
import type { Provider } from "../../src/plugin.ts";
import gemini from "./index.ts";

describe("the gemini plugin's switch and settings", () => {
  test("without GEMINI_API_KEY the plugin serves nothing", async () => {
    const gw = await startTestGateway({}, [dummy, gemini]);
    try {
      const models = (await (await gw.handle("/v1/models")).json()) as { data: { owned_by: string }[] };
      expect(models.data.map((m) => m.owned_by)).toEqual(["dummy"]);
    } finally {
      await gw.close();
    }
  });

  test("the instance says where it sends requests (check-config's upstream): GEMINI_BASE_URL, else Google's origin; never the key", async () => {
    const host = (env: { GEMINI_API_KEY: string; GEMINI_BASE_URL?: string }) => ({
      env,
      settings: undefined,
      logger: createLogger({ level: "error", write: () => undefined }),
      fetch,
      addSecret: () => undefined,
      readSecretEnv: () => undefined,
    });
    const proxied = (await gemini.create(host({ GEMINI_API_KEY: "test-key-123456", GEMINI_BASE_URL: "http://127.0.0.1:9/gemini" }))) as Provider;
    expect(proxied.origin).toBe("http://127.0.0.1:9/gemini");
    const google = (await gemini.create(host({ GEMINI_API_KEY: "test-key-123456" }))) as Provider;
    expect(google.origin).toBe("https://generativelanguage.googleapis.com/");
    expect(google.origin).not.toContain("test-key-123456");
  });

  test("GEMINI_API_KEY is declared secret; GEMINI_BASE_URL must be an http(s) URL", async () => {
    expect(gemini.secretEnv).toEqual(["GEMINI_API_KEY"]);
    await expect(startTestGateway({ GEMINI_API_KEY: "test-key-123456", GEMINI_BASE_URL: "ftp://example.com" }, [dummy, gemini])).rejects.toMatchObject({
      name: "ConfigError",
      message: expect.stringContaining('GEMINI_BASE_URL="ftp://example.com" is invalid'),
    });
  });
});
