import { definePlugin, type RequestContext } from "../../src/kit.ts";

/**
 * A provider (`slow-model`) that streams a word every 20 ms until its signal aborts, so an abort can
 * only be seen mid-stream. Each call's signal is pushed to `signals`: a test that drops the stream
 * then checks the provider's call was aborted.
 */
export function slowPlugin(signals: AbortSignal[]) {
  return definePlugin({
    name: "slow",
    models: [{ id: "slow-model" }],
    chat: () => Promise.reject(new Error("stream only")),
    async *chatStream(_request, ctx: RequestContext) {
      signals.push(ctx.signal);
      for (let i = 0; i < 500 && !ctx.signal.aborted; i++) {
        yield { choices: [{ index: 0, delta: { content: ` w${i}` } }] };
        await Bun.sleep(20);
      }
    },
  });
}
