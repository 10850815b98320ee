import { describe, expect, test } from "bun:test";
import { startTestGateway } from "../../tests/helpers/gateway.ts";
import dummy from "../dummy/index.ts";
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

  test("GEMINI_API_KEY is declared secret; GEMINI_BASE_URL must be an http(s) URL", async () => {
    expect(gemini.secretEnv).toEqual(["GEMINI_API_KEY"]);
    await expect(startTestGateway({ GEMINI_API_KEY: "test-key-123456", GEMINI_BASE_URL: "ftp://example.com" }, [dummy, gemini])).rejects.toMatchObject({
      name: "ConfigError",
      message: expect.stringContaining('GEMINI_BASE_URL="ftp://example.com" is invalid'),
    });
  });
});
