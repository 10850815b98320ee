// A plugin's stream iterator whose return() throws at once (a plausible bug: `return() { return
// inner.return(); }` over an iterator without one), after its next() failed mid-stream: the client
// gets the text so far and the surface's error event, and the gateway keeps serving. It flushed a
// closed response sink and the process died on the uncaught error (a probe).
import { afterAll, beforeAll, expect, test } from "bun:test";
import dummy from "../plugins/dummy/index.ts";
import { definePlugin, type ChunkResult } from "../src/kit.ts";
import { jsonPost, startTestGateway, type TestGateway } from "./helpers/gateway.ts";

const throwing = definePlugin({
  name: "throwing-return",
  models: [{ id: "throwing-model" }],
  async chat() {
    return { choices: [{ index: 0, message: { role: "assistant" as const, content: "x", refusal: null }, finish_reason: "stop" as const }] };
  },
  chatStream(): AsyncIterable<ChunkResult> {
    let calls = 0;
    const iterator = {
      [Symbol.asyncIterator]: () => iterator,
      async next(): Promise<IteratorResult<ChunkResult>> {
        if (++calls === 1) return { done: false, value: { choices: [{ index: 0, delta: { content: "first words" } }] } };
        throw new Error("the second chunk fails");
      },
      return(): Promise<IteratorResult<ChunkResult>> {
        throw new Error("return() throws at once");
      },
    };
    return iterator;
  },
});

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({}, [dummy, throwing]);
});
afterAll(() => gw.close());

const hi = [{ role: "user", content: "hi" }];

test("the text so far, then the error event, on each streaming surface; the gateway still answers", async () => {
  for (let round = 0; round < 3; round++) {
    const chat = await (await fetch(`${gw.url}/v1/chat/completions`, jsonPost({ model: "throwing-model", messages: hi, stream: true }))).text();
    expect(chat).toContain("first words");
    expect(chat).toContain('"error"');
    const messages = await (await fetch(`${gw.url}/v1/messages`, jsonPost({ model: "throwing-model", max_tokens: 20, messages: hi, stream: true }))).text();
    expect(messages).toContain("first words");
    expect(messages).toContain("event: error");
    await Bun.sleep(20); // the turn after the stream, where the sink was flushed
  }
  const after = await fetch(`${gw.url}/v1/chat/completions`, jsonPost({ model: "dummy-model:1.0", messages: hi }));
  expect(after.status).toBe(200);
});
