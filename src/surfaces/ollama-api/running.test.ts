import { describe, expect, test } from "bun:test";
import { compileGlobs } from "../../keys/glob.ts";
import { bindKey } from "../../keys/request-key.ts";
import { createLogger } from "../../logger.ts";
import type { Provider, RunningModel } from "../../plugin.ts";
import { ModelRegistry } from "../../registry.ts";
import { runningModels } from "./running.ts";
import { digestOf } from "./models.ts";

const lines: string[] = [];
const logger = createLogger({ level: "debug", write: (line) => void lines.push(line) });

function provider(name: string, listed: string[], running: () => Promise<readonly RunningModel[]>): Provider {
  return {
    name,
    models: listed.map((id) => ({ id })),
    chat: async () => ({ choices: [] }),
    async *chatStream() {},
    runningModels: running,
  };
}

describe("/api/ps", () => {
  const registry = new ModelRegistry(logger);
  registry.add(provider("a", ["m1", "m2"], async () => [{ id: "m1", size: 10, size_vram: 4, expires_at: "2026-12-02T10:00:00Z", context_length: 8192 }, { id: "x9" }]));
  // Lists m1 too: at the gateway its m1 is b/m1.
  registry.add(provider("b", ["m1"], async () => [{ id: "m1", size: 7 }]));
  registry.add(provider("slow", [], () => new Promise(() => {})));
  registry.add({ ...provider("none", ["n1"], async () => []), runningModels: undefined });
  // Plugins that break the contract (a review): a synchronous throw, a list that is no list, entries without an id.
  registry.add(provider("throws", [], () => {
    throw new Error("sync boom");
  }));
  registry.add(provider("object", [], async () => ({ models: [] }) as never));
  registry.add(provider("junk", [], async () => [null, { size: 1 }, { id: "j1" }] as never));
  const list = runningModels({ registry, logger }, 200);

  test("every provider's running models under their gateway ids, in Ollama's shape; one that never answers is left out after its wait", async () => {
    const entries = await list(new Request("http://gw/api/ps"), "req_1");
    // The digest is the gateway id's, as /api/tags lists it (a client matches the two lists by it).
    expect(entries).toEqual([
      { name: "m1", model: "m1", size: 10, digest: digestOf("m1"), details: {}, expires_at: "2026-12-02T10:00:00Z", size_vram: 4, context_length: 8192 },
      { name: "a/x9", model: "a/x9", size: 0, digest: digestOf("a/x9"), details: {}, expires_at: "", size_vram: 0 },
      { name: "b/m1", model: "b/m1", size: 7, digest: digestOf("b/m1"), details: {}, expires_at: "", size_vram: 0 },
      { name: "junk/j1", model: "junk/j1", size: 0, digest: digestOf("junk/j1"), details: {}, expires_at: "", size_vram: 0 },
    ]);
    for (const name of ["slow", "throws", "object"]) {
      expect(lines.some((line) => line.includes("running models not listed") && line.includes(`"provider":"${name}"`))).toBe(true);
    }
  });

  test("a key that may use some models sees only those", async () => {
    const request = new Request("http://gw/api/ps");
    bindKey(request, { name: "team", owner: "team", allows: compileGlobs(["b/*"]) } as never);
    expect((await list(request, "req_2")).map((entry) => entry.name)).toEqual(["b/m1"]);
  });
});
