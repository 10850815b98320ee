import { afterAll, beforeAll, describe, test } from "bun:test";
import { CONFORMANCE_CHECKS, startConformance, type ConformanceOptions, type ConformanceSession } from "./conformance-checks.ts";

export type { ConformanceOptions } from "./conformance-checks.ts";

/**
 * The plugin conformance suite for `bun test`: checks any plugin against the contract through a
 * real gateway (models listing, non-stream and stream shapes validated against OpenAI's own
 * schemas, the finish chunk, the usage chunk, abort handling, error mapping, embeddings). Call it
 * at the top level of a test file:
 *
 *   runPluginConformance(async () => ({ plugin: myPlugin, model: "my-model", env: { MY_URL: fake.url } }));
 *
 * `ollaix plugin test DIR` runs the same checks without a test runner.
 */
export function runPluginConformance(options: () => ConformanceOptions | Promise<ConformanceOptions>): void {
  let session: ConformanceSession | undefined;
  describe("plugin conformance", () => {
    beforeAll(async () => {
      session = await startConformance(await options());
    });
    afterAll(() => session?.close());
    for (const check of CONFORMANCE_CHECKS) {
      test(check.name, () => {
        if (!session) throw new Error("the conformance gateway did not start");
        return check.run(session);
      });
    }
  });
}
