// A route whose first try is given up (its provider timed out before its first chunk) and whose
// next try answers: the answer's usage is the answering try's, not the given-up one's estimate of
// its input (a review found a Responses stream's response.completed reporting output_tokens 0).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeConfigFile } from "../../plugins/openai-compatible/__fixtures__/test-env.ts";
import { definePlugin } from "../../src/kit.ts";
import { checkedEvents } from "../../src/testing/responses-events.ts";
import { jsonPost, startTestGateway, type TestGateway } from "../helpers/gateway.ts";

const USAGE = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };
/** `stalled-model` sends nothing until its call is given up; `answering-model` answers with usage. */
const plugin = definePlugin({
  name: "tries",
  models: [{ id: "stalled-model" }, { id: "answering-model" }],
  chat: () => Promise.reject(new Error("stream only")),
  async *chatStream(_request, ctx) {
    if (ctx.model === "stalled-model") {
      await new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)));
    }
    yield { choices: [{ index: 0, delta: { content: "Hello." } }] };
    yield { choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage: USAGE };
  },
});

let gw: TestGateway;
beforeAll(async () => {
  const config = writeConfigFile({ routes: [{ model: "retrying", targets: [{ model: "tries/stalled-model" }], fallbacks: ["tries/answering-model"] }] });
  gw = await startTestGateway({ OLLAIX_CONFIG: config, UPSTREAM_TIMEOUT_MS: "300" }, [plugin]);
});
afterAll(() => gw.close());

test("a Responses stream answered by a route's fallback after a timed-out try reports the fallback's usage", async () => {
  const answer = await fetch(`${gw.url}/v1/responses`, jsonPost({ model: "retrying", input: "Say hello.", stream: true }));
  expect(answer.status).toBe(200);
  expect(answer.headers.get("x-ollaix-attempts")).toBe("2");
  const events = checkedEvents(await answer.text());
  const completed = events.find((event) => event.type === "response.completed")!;
  expect(completed.response.usage).toMatchObject({ input_tokens: 11, output_tokens: 7, total_tokens: 18 });
});
