// `ollaix plugin test DIR` in this process (testPlugin), as the CLI runs it, with plugins written to a temp folder.
import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { PluginLoadError, testPlugin } from "../src/cli/plugin-test.ts";
import { ConfigError } from "../src/env.ts";
import { minimalEnv, removeTempDirs, tempDir } from "./helpers/process.ts";

afterAll(() => removeTempDirs());

const MAIN = resolve(import.meta.dir, "..", "src", "main.ts");

/** Runs the command; its output, and its exit code or the error that ends it (the CLI turns that into one line). */
async function pluginTest(dir: string, env: Record<string, string>) {
  let out = "";
  const io = { out: (text: string) => void (out += text), err: (text: string) => void (out += text) };
  const code = await testPlugin({ dir, env: minimalEnv(env) }, io).catch((error: Error) => error);
  return { code, out };
}

test("the gateway's own settings (keys, admin key, the config file's keys) do not reach the gateway under test; the plugin's section of the file does", async () => {
  const dir = tempDir("greeter");
  writeFileSync(
    join(dir, "index.ts"),
    `import { definePlugin, Type } from "ollaix/plugin";
export default definePlugin({
  name: "greeter",
  settingsSchema: Type.Object({ greeting: Type.String() }),
  create(host) {
    const { greeting } = host.settings as { greeting: string };
    return {
      name: "greeter",
      models: [{ id: "greeter-1" }],
      async chat() { return { choices: [{ index: 0, message: { content: greeting }, finish_reason: "stop" }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }; },
      async *chatStream() {
        yield { choices: [{ index: 0, delta: { content: greeting } }] };
        yield { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] };
        yield { choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
      },
    };
  },
});
`,
  );
  const config = join(tempDir("greeter-config"), "ollaix.json");
  writeFileSync(config, JSON.stringify({ plugins: { greeter: { greeting: "hello" } }, keys: [{ name: "ops", key_env: "OPS_KEY" }] }));
  const result = await pluginTest(dir, { OLLAIX_API_KEYS: "sk-from-a-dotenv-0001", OLLAIX_ADMIN_KEY: "admin-key-0001", OPS_KEY: "sk-ops-0001", OLLAIX_CONFIG: config });
  expect(result.out).not.toContain("FAIL");
  expect(result.out).toMatch(/(\d+) of \1 checks passed\.\n$/);
  expect(result.code).toBe(0);
});

test("a plugin with syntax errors: Bun's first message and where, in one line", async () => {
  const dir = tempDir("typo");
  writeFileSync(join(dir, "index.ts"), `import { definePlugin } from "ollaix/plugin";\nexport default definePlugin({ name: "typo", models: [{ id: "a" };\n`);
  const { code } = await pluginTest(dir, {});
  expect(code).toBeInstanceOf(PluginLoadError);
  expect((code as Error).message).toBe(`the plugin at ${join(dir, "index.ts")}:2:65 could not be loaded: Expected "]" but found ";"`);
});

test("a plugin that makes no instance says why: create() threw, or the instance's name is invalid", async () => {
  const definition = (create: string) => `import { definePlugin } from "ollaix/plugin";
export default definePlugin({ name: "picky", create(host) { ${create} } });
`;
  const provider = (name: string) => `return { name: ${JSON.stringify(name)}, models: [{ id: "m" }], async chat() { return { choices: [] }; }, async *chatStream() {} };`;
  const thrower = tempDir("thrower");
  writeFileSync(join(thrower, "index.ts"), definition(`throw new Error("PICKY_URL answers 404");`));
  const threw = await pluginTest(thrower, {});
  expect((threw.code as Error).message).toBe(`the plugin at ${thrower} cannot be tested: the plugin made no provider instance: it failed to start: PICKY_URL answers 404`);
  const misnamed = tempDir("misnamed");
  writeFileSync(join(misnamed, "index.ts"), definition(provider("bad name!")));
  const named = await pluginTest(misnamed, {});
  expect((named.code as Error).message).toBe(`the plugin at ${misnamed} cannot be tested: the plugin made no provider instance: invalid instance name "bad name!"`);
});

test("a stream that fails with a 500 is named as such by the check of a client that leaves (it blamed a signal never aborted)", async () => {
  const dir = tempDir("failing-stream");
  writeFileSync(
    join(dir, "index.ts"),
    `import { definePlugin } from "ollaix/plugin";
export default definePlugin({
  name: "sinks",
  models: [{ id: "sinks-1" }],
  async chat() { return { choices: [{ index: 0, message: { content: "hi" }, finish_reason: "stop" }] }; },
  async *chatStream() { throw new Error("no stream today"); },
});
`,
  );
  const { code, out } = await pluginTest(dir, {});
  expect(code).toBe(1);
  const leaves = out.slice(out.indexOf("FAIL  a client that leaves mid-stream"));
  expect(leaves).toStartWith("FAIL  a client that leaves mid-stream closes the provider's stream\n        a streamed chat completion: expected HTTP 200, got 500: ");
  expect(out).not.toContain("without its signal being aborted");
});

test("a discovery that never answers is said to have given no answer in time, not to list no model", async () => {
  const dir = tempDir("silent");
  writeFileSync(
    join(dir, "index.ts"),
    `import { definePlugin } from "ollaix/plugin";
export default definePlugin({ name: "silent", models: () => new Promise(() => {}), async chat() { return { choices: [] }; }, async *chatStream() {} });
`,
  );
  const { code } = await pluginTest(dir, {});
  expect(code).toBeInstanceOf(PluginLoadError);
  expect((code as Error).message).toBe(`the plugin at ${dir} cannot be tested: the instance silent could not list its models: no answer within 3000 ms`);
});

test("a plugin whose env schema cannot be checked fails naming that, in one line (it was TypeBox's stack trace)", async () => {
  const dir = tempDir("badenv");
  writeFileSync(
    join(dir, "index.ts"),
    `import { definePlugin } from "ollaix/plugin";\nexport default definePlugin({ name: "badenv", env: { type: "object", properties: { X: 5 } } as any, create() { return undefined; } });\n`,
  );
  const { code } = await pluginTest(dir, {});
  expect(code).toBeInstanceOf(PluginLoadError);
  expect((code as Error).message).toBe(`the plugin at ${dir} cannot be tested: the plugin made no provider instance: its env schema is invalid: Unknown type`);
});

test("a plugin whose module or create() never settles fails at PLUGIN_START_TIMEOUT_MS, naming what did not finish", async () => {
  const hangs = tempDir("hangs");
  writeFileSync(join(hangs, "index.ts"), `import { definePlugin } from "ollaix/plugin";\nexport default definePlugin({ name: "hangs", create() { return new Promise(() => {}); } });\n`);
  const started = await pluginTest(hangs, { PLUGIN_START_TIMEOUT_MS: "200" });
  expect(started.code).toBeInstanceOf(PluginLoadError);
  expect((started.code as Error).message).toBe(
    `the plugin at ${hangs} cannot be tested: the plugin made no provider instance: its create() did not finish within 200 ms (PLUGIN_START_TIMEOUT_MS)`,
  );
  const waits = tempDir("waits");
  writeFileSync(join(waits, "index.ts"), "await new Promise(() => {});\nexport default {};\n");
  const loaded = await pluginTest(waits, { PLUGIN_START_TIMEOUT_MS: "200" });
  expect(loaded.code).toBeInstanceOf(PluginLoadError);
  expect((loaded.code as Error).message).toBe(`the plugin at ${waits} could not be loaded: its module did not finish loading within 200 ms (PLUGIN_START_TIMEOUT_MS)`);
  expect(loaded.out).toBe("");
});

test("as a process, a plugin that never starts is exit 1 with one line (it was exit 0, with no check run)", async () => {
  const hangs = tempDir("hangs-cli");
  writeFileSync(join(hangs, "index.ts"), `import { definePlugin } from "ollaix/plugin";\nexport default definePlugin({ name: "hangs", create() { return new Promise(() => {}); } });\n`);
  const waits = tempDir("waits-cli");
  writeFileSync(join(waits, "index.ts"), "await new Promise(() => {});\nexport default {};\n");
  const run = async (dir: string) => {
    const proc = Bun.spawn([process.execPath, MAIN, "plugin", "test", dir], { cwd: dir, env: minimalEnv({ PLUGIN_START_TIMEOUT_MS: "300" }), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
    const [stderr, exitCode] = await Promise.all([new Response(proc.stderr).text(), proc.exited, new Response(proc.stdout).text()]);
    clearTimeout(timer);
    return { stderr, exitCode };
  };
  const [started, loaded] = await Promise.all([run(hangs), run(waits)]);
  expect(started).toEqual({
    exitCode: 1,
    stderr: `ollaix: the plugin at ${hangs} cannot be tested: the plugin made no provider instance: its create() did not finish within 300 ms (PLUGIN_START_TIMEOUT_MS)\n`,
  });
  expect(loaded).toEqual({ exitCode: 1, stderr: `ollaix: the plugin at ${waits} could not be loaded: its module did not finish loading within 300 ms (PLUGIN_START_TIMEOUT_MS)\n` });
}, 30_000);

test("PLUGIN_START_TIMEOUT_MS is checked as start-up checks it", async () => {
  const { code } = await pluginTest(tempDir("any"), { PLUGIN_START_TIMEOUT_MS: "soon" });
  expect(code).toBeInstanceOf(ConfigError);
  expect((code as Error).message).toBe('PLUGIN_START_TIMEOUT_MS="soon" is invalid: Expected a whole number (milliseconds)');
});

test("a plugin variable missing is the configuration's fault, as start-up says it (the CLI's exit 2): named once", async () => {
  const dir = tempDir("noenv");
  writeFileSync(
    join(dir, "index.ts"),
    `import { definePlugin, Type } from "ollaix/plugin";
export default definePlugin({ name: "noenv", env: Type.Object({ NOENV_URL: Type.String() }), create: () => undefined });
`,
  );
  const { code } = await pluginTest(dir, {});
  expect(code).toBeInstanceOf(ConfigError);
  expect((code as Error).message).toBe("NOENV_URL is missing");
});
