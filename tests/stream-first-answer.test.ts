// A stream's status goes out with the provider's first chunk that begins the answer (a token or a
// finish); chunks of nothing before it are held and sent with it, within the first chunk's wait.
import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import { definePlugin, type ChatResult, type ChunkResult } from "../src/kit.ts";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";

const role = { choices: [{ index: 0, delta: { role: "assistant" as const, content: "" } }] };
const nothing = definePlugin({
  name: "nothing",
  models: [{ id: "role-forever" }, { id: "role-then-text" }],
  chat: async (): Promise<ChatResult> => ({ choices: [{ index: 0, finish_reason: "stop", message: { content: "x" } }] }),
  async *chatStream(request, ctx): AsyncGenerator<ChunkResult> {
    if (request.model === "role-then-text") {
      yield role;
      yield role;
      yield { choices: [{ index: 0, delta: { content: "Hi" } }] };
      yield { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] };
      return;
    }
    // A chunk of nothing every 300 ms, for ever (until given up).
    while (!ctx.signal.aborted) {
      yield role;
      await Bun.sleep(300);
    }
  },
});

let gw: TestGateway;
let client: OpenAI;
beforeAll(async () => {
  gw = await startTestGateway({ UPSTREAM_TIMEOUT_MS: "1000" }, [nothing]);
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x", maxRetries: 0 });
});
afterAll(() => gw.close());

test("chunks of nothing are held and sent with the first that begins the answer", async () => {
  const chunks = [];
  for await (const chunk of await client.chat.completions.create({ model: "role-then-text", messages: [{ role: "user", content: "hi" }], stream: true })) chunks.push(chunk);
  expect(chunks.map((c) => c.choices[0]?.delta.content ?? null)).toEqual(["", "", "Hi", null]);
  expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
});

test("an upstream that sends only chunks of nothing is given up after the first chunk's wait in all, a 504 (a review: each chunk restarted the wait)", async () => {
  const refused = await client.chat.completions.create({ model: "role-forever", messages: [{ role: "user", content: "hi" }], stream: true }).catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(OpenAI.APIError);
  expect(refused).toMatchObject({ status: 504, code: "upstream_timeout" });
  // The wait it names is the whole one (a probe: the rest of it, as a fraction).
  expect((refused as Error).message).toContain("within 1000 ms (first stream chunk)");
}, 10_000);
