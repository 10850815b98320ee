// `ollaix models` in this process (listModels), with a plugin from PLUGINS_DIR: short time-outs, no spawn.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { listModels } from "../src/cli/models.ts";
import { startFakeServer, type FakeServer } from "./helpers/fake-server.ts";
import { freePort, minimalEnv, removeTempDirs, tempDir } from "./helpers/process.ts";
import { json, ollamaRoutes } from "./ollama/fake-ollama.ts";

let fakeOllama: FakeServer;
beforeAll(() => {
  fakeOllama = startFakeServer(ollamaRoutes({ "GET /api/tags": () => json({ models: [] }) }));
});
afterAll(async () => {
  await fakeOllama.close();
  removeTempDirs();
});

test("a discovery that never settles (its signal ignored) is unreachable, exit 1; the others are listed", async () => {
  const dir = tempDir("hung-discovery");
  writeFileSync(
    join(dir, "hangdisc.ts"),
    `import { definePlugin } from "ollaix/plugin";
export default definePlugin({
  name: "hangdisc",
  models: () => new Promise(() => {}),
  async chat() { return { choices: [{ index: 0, message: { content: "hi" }, finish_reason: "stop" }] }; },
  async *chatStream() { yield { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }; },
});
`,
  );
  let out = "";
  let err = "";
  const io = { out: (text: string) => void (out += text), err: (text: string) => void (err += text) };
  const exit = listModels(minimalEnv({ PLUGINS_DIR: dir, OLLAMA_BASE_URL: fakeOllama.url, LOG_LEVEL: "warn" }), io, 50);
  // Each discovery's time-out is 50 ms: a command still running after 2 s hangs.
  const code = await Promise.race([exit, Bun.sleep(2000).then(() => "hung" as const)]);
  expect(code).toBe(1);
  expect(out).toContain("dummy (1 model)");
  expect(out).toContain("ollama (0 models)");
  expect(out).toContain("hangdisc (unreachable: no answer within 50 ms)\n");
  expect(err).toBe("");
});

test("LOG_LEVEL=error hides no unreachable provider: its failure is read all the same, exit 1", async () => {
  let out = "";
  let err = "";
  const io = { out: (text: string) => void (out += text), err: (text: string) => void (err += text) };
  const code = await listModels(minimalEnv({ OLLAMA_BASE_URL: `http://127.0.0.1:${freePort()}`, LOG_LEVEL: "error" }), io, 2000);
  expect(out).toMatch(/^ollama \(unreachable: Ollama is unreachable \(ECONNREFUSED\)/m);
  expect(code).toBe(1);
  expect(err).toBe("");
});
