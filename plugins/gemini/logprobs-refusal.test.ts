import { describe, expect, test } from "bun:test";
import { InvalidRequestError, type Logger } from "../../src/kit.ts";
import { LogprobsRefusals } from "./logprobs-refusal.ts";
import type { GeminiGenerateRequest } from "./wire.ts";

const body = (config: GeminiGenerateRequest["generationConfig"]): GeminiGenerateRequest => ({ contents: [{ role: "user", parts: [{ text: "Hi" }] }], generationConfig: config });
const logger = () => {
  const lines: string[] = [];
  const log = (msg: string, fields?: object) => void lines.push(`${msg} ${JSON.stringify(fields)}`);
  const it: Logger = { debug: log, info: log, warn: log, error: log, child: () => it, isEnabled: () => true };
  return { it, lines };
};

describe("LogprobsRefusals", () => {
  test("a refusal is sent again without logprobs, noted once per model, and the model is not asked again", async () => {
    const refusals = new LogprobsRefusals();
    const { it, lines } = logger();
    const sent: GeminiGenerateRequest[] = [];
    const send = async (b: GeminiGenerateRequest) => {
      sent.push(b);
      if (b.generationConfig.responseLogprobs) throw new InvalidRequestError("Logprobs is not enabled for models/gemini-2.5-pro");
      return "answer";
    };
    const asked = body({ temperature: 0.2, responseLogprobs: true, logprobs: 3 });
    expect(await refusals.send("gemini-2.5-pro", refusals.body("gemini-2.5-pro", asked), it, send)).toBe("answer");
    expect(sent.map((b) => b.generationConfig)).toEqual([{ temperature: 0.2, responseLogprobs: true, logprobs: 3 }, { temperature: 0.2 }]);
    expect(refusals.body("gemini-2.5-pro", asked).generationConfig).toEqual({ temperature: 0.2 });
    expect(refusals.body("gemini-2.0-flash", asked)).toBe(asked);
    await refusals.send("gemini-2.5-pro", asked, it, send);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("gemini-2.5-pro");
  });

  test("other failures, and refusals of a body that did not ask, are thrown as they are", async () => {
    const refusals = new LogprobsRefusals();
    const { it } = logger();
    const other = new InvalidRequestError("Invalid value at 'generation_config.logprobs'");
    await expect(refusals.send("m", body({ responseLogprobs: true }), it, async () => Promise.reject(other))).rejects.toBe(other);
    const refused = new InvalidRequestError("Logprobs is not enabled for models/m");
    await expect(refusals.send("m", body({}), it, async () => Promise.reject(refused))).rejects.toBe(refused);
    expect(refusals.body("m", body({ responseLogprobs: true })).generationConfig).toEqual({ responseLogprobs: true });
  });
});
