import { describe, expect, test } from "bun:test";
import { BackgroundRuns } from "./background.ts";
import { pendingResponse, responseFrame } from "./response-frame.ts";

/** A streamed run opened, given a large event, settled and ended, as start-background.ts ends one. */
function endStreamedRun(runs: BackgroundRuns, id: string) {
  const run = runs.open(id, undefined, true);
  run.events!.push("x".repeat(100_000)); // what a long answer's last events hold
  run.settle(pendingResponse(responseFrame({ model: "m", input: "x" }, id, 1700000000), "in_progress"));
  runs.ended(run);
  return run;
}

describe("BackgroundRuns", () => {
  test("a streamed run pushed out of the last 256 finished is let go at once, not held for the replay time by its timer", async () => {
    const runs = new BackgroundRuns();
    const first = new WeakRef(endStreamedRun(runs, "resp_first"));
    for (let i = 0; i < 300; i++) endStreamedRun(runs, `resp_${i}`);
    expect(runs.get("resp_first", undefined)).toBeUndefined();
    expect(runs.get("resp_299", undefined)).toBeDefined(); // the last 256 stay, to be followed again
    for (let i = 0; i < 5 && first.deref() !== undefined; i++) {
      Bun.gc(true);
      await Bun.sleep(10);
    }
    expect(first.deref()).toBeUndefined();
  });
});
