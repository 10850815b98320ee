import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import dummy from "../plugins/dummy/index.ts";
import { json, jsonPost, startTestGateway, type TestGateway } from "./helpers/gateway.ts";

/** PLUGINS_DIR under `bun start` semantics (in-process); tests/binary.test.ts does the same with dist/ollaix. */
let dir: string;
let gw: TestGateway;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ollaix-plugins-"));
  cpSync(join(import.meta.dir, "fixtures/plugins-dir"), dir, { recursive: true });
  // A factory plugin with its own environment variable.
  writeFileSync(
    join(dir, "greeter.ts"),
    `import { definePlugin, Type } from "ollaix/plugin";
export default definePlugin({
  name: "greeter",
  env: Type.Object({ GREETING: Type.String({ default: "hello" }) }),
  create(host) {
    return {
      name: "greeter",
      models: [{ id: "greet-1" }],
      async chat() {
        return { choices: [{ index: 0, message: { content: host.env.GREETING }, finish_reason: "stop" }] };
      },
      async *chatStream() {
        yield { choices: [{ index: 0, delta: { content: host.env.GREETING }, finish_reason: "stop" }] };
      },
    };
  },
});
`,
  );
  // Two syntax errors: Bun throws "2 errors building …", the causes inside.
  writeFileSync(join(dir, "typo.ts"), `import { definePlugin } from "ollaix/plugin";\nexport default definePlugin({ name: "typo", models: [{ id: "a" };\n`);
  gw = await startTestGateway({ PLUGINS_DIR: dir, GREETING: "bonjour" }, [dummy]);
});
afterAll(() => gw.close());

describe("PLUGINS_DIR", () => {
  test("a plugin from the folder shows up in /v1/models and answers, stream and not", async () => {
    const ids = (await json(gw.handle("/v1/models"))).data.map((m: { id: string; owned_by: string }) => `${m.owned_by}:${m.id}`);
    expect(ids).toEqual(["dummy:dummy-model:1.0", "echo:echo-1", "greeter:greet-1"]);
    const answer = await json(gw.handle("/v1/chat/completions", jsonPost({ model: "echo-1", messages: [{ role: "user", content: "ping" }] })));
    expect(answer.choices[0].message.content).toBe("echo: ping");
    const stream = await (await gw.handle("/v1/chat/completions", jsonPost({ model: "echo-1", stream: true, messages: [{ role: "user", content: "a b" }] }))).text();
    expect(stream).toContain('"content":"echo: "');
    expect(stream.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  test("a factory plugin gets its own validated environment", async () => {
    const answer = await json(gw.handle("/v1/chat/completions", jsonPost({ model: "greet-1", messages: [{ role: "user", content: "hi" }] })));
    expect(answer.choices[0].message.content).toBe("bonjour");
  });

  test("a broken plugin and a non-plugin are logged and skipped; the server serves the rest", () => {
    const logs = gw.logs.join("\n");
    expect(logs).toContain("this plugin is broken on purpose");
    expect(logs).toContain("not-a-plugin.ts");
  });

  test("a plugin with a syntax error is logged with Bun's first message and where, in one line", () => {
    const line = gw.logs.map((l) => JSON.parse(l)).find((l) => l.source === join(dir, "typo.ts"));
    expect(line).toMatchObject({ level: "error", msg: "plugin skipped: it failed to load", at: `${join(dir, "typo.ts")}:2:65`, error: 'Expected "]" but found ";"' });
  });

  test("the example plugin in examples/plugins loads under bun start semantics with its own env", async () => {
    const gw2 = await startTestGateway({ PLUGINS_DIR: join(import.meta.dir, "..", "examples", "plugins"), ECHO_PREFIX: "ex: " }, [dummy]);
    try {
      const answer = await json(gw2.handle("/v1/chat/completions", jsonPost({ model: "echo-1", messages: [{ role: "user", content: "hi" }] })));
      expect(answer.choices[0].message.content).toBe("ex: hi");
    } finally {
      await gw2.close();
    }
  });

  test("a plugin's invalid environment value stops start-up naming the variable", async () => {
    const bad = mkdtempSync(join(tmpdir(), "ollaix-plugins-"));
    writeFileSync(
      join(bad, "strict.ts"),
      `import { definePlugin, Type } from "ollaix/plugin";
export default definePlugin({ name: "strict", env: Type.Object({ STRICT_PORT: Type.Integer({ default: 1 }) }), create: () => undefined });
`,
    );
    await expect(startTestGateway({ PLUGINS_DIR: bad, STRICT_PORT: "many" }, [dummy])).rejects.toThrow(/STRICT_PORT/);
  });

  test("a plugin whose env schema TypeBox cannot check is logged and skipped, named; start-up goes on (it stopped with a stack trace)", async () => {
    const odd = mkdtempSync(join(tmpdir(), "ollaix-plugins-"));
    writeFileSync(
      join(odd, "badenv.ts"),
      `import { definePlugin } from "ollaix/plugin";\nexport default definePlugin({ name: "badenv", env: { type: "object", properties: { X: 5 } } as any, create() { return undefined; } });\n`,
    );
    cpSync(join(import.meta.dir, "fixtures/plugins-dir/echo"), join(odd, "echo"), { recursive: true });
    const gw2 = await startTestGateway({ PLUGINS_DIR: odd }, [dummy]);
    try {
      const ids = (await json(gw2.handle("/v1/models"))).data.map((m: { id: string; owned_by: string }) => `${m.owned_by}:${m.id}`);
      expect(ids).toEqual(["dummy:dummy-model:1.0", "echo:echo-1"]);
      expect(gw2.logs.map((l) => JSON.parse(l))).toContainEqual(
        expect.objectContaining({ level: "error", msg: "plugin skipped: its env schema is invalid", plugin: "badenv", source: join(odd, "badenv.ts"), error: "Unknown type" }),
      );
    } finally {
      await gw2.close();
    }
  });

  test("a plugin whose secretEnv is not a list of names (an untyped plugin's string, a number) is logged and skipped: its secrets could not be masked; start-up goes on", async () => {
    const odd = mkdtempSync(join(tmpdir(), "ollaix-plugins-"));
    for (const [name, secretEnv] of [["strsecret", '"ODD_KEY"'], ["numsecret", "5"]]) {
      writeFileSync(
        join(odd, `${name}.ts`),
        `export default { name: "${name}", secretEnv: ${secretEnv}, create() { return { name: "${name}", models: [{ id: "${name}-1" }], async chat() { return { choices: [] }; }, async *chatStream() {} }; } };\n`,
      );
    }
    const gw2 = await startTestGateway({ PLUGINS_DIR: odd, ODD_KEY: "sk-odd-secret-1234" }, [dummy]);
    try {
      const ids = (await json(gw2.handle("/v1/models"))).data.map((m: { id: string }) => m.id);
      expect(ids).toEqual(["dummy-model:1.0"]);
      const skipped = gw2.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === "plugin skipped: its secretEnv is not a list of variable names");
      expect(skipped.map((l) => l.plugin).sort()).toEqual(["numsecret", "strsecret"]);
    } finally {
      await gw2.close();
    }
  });

  test("a plugin whose instance is named as a built-in's is logged and skipped; the built-in and the rest are served", async () => {
    const clash = mkdtempSync(join(tmpdir(), "ollaix-plugins-"));
    writeFileSync(
      join(clash, "impostor.ts"),
      `import { definePlugin } from "ollaix/plugin";
export default definePlugin({ name: "dummy", models: [{ id: "impostor-1" }], async chat() { return { choices: [] }; }, async *chatStream() {} });
`,
    );
    cpSync(join(import.meta.dir, "fixtures/plugins-dir/echo"), join(clash, "echo"), { recursive: true });
    const gw2 = await startTestGateway({ PLUGINS_DIR: clash }, [dummy]);
    try {
      const ids = (await json(gw2.handle("/v1/models"))).data.map((m: { id: string; owned_by: string }) => `${m.owned_by}:${m.id}`);
      expect(ids).toEqual(["dummy:dummy-model:1.0", "echo:echo-1"]);
      expect(gw2.logs.map((l) => JSON.parse(l))).toContainEqual(
        expect.objectContaining({ level: "error", msg: "provider skipped: its instance name is taken", provider: "dummy", source: join(clash, "impostor.ts"), taken_by: "dummy" }),
      );
    } finally {
      await gw2.close();
    }
  });

  test("a plugin whose module or create() never settles is skipped at PLUGIN_START_TIMEOUT_MS, named; the rest are served", async () => {
    const stuck = mkdtempSync(join(tmpdir(), "ollaix-plugins-"));
    // In this process the test runner keeps the loop alive, as a plugin's own timer would under
    // serve: start-up waited for ever, logging nothing (tests/startup.test.ts: the process alone).
    writeFileSync(
      join(stuck, "ticks.ts"),
      `import { definePlugin } from "ollaix/plugin";\nexport default definePlugin({ name: "ticks", create() { return new Promise(() => {}); } });\n`,
    );
    writeFileSync(join(stuck, "waits.ts"), "await new Promise(() => {});\nexport default {};\n");
    cpSync(join(import.meta.dir, "fixtures/plugins-dir/echo"), join(stuck, "echo"), { recursive: true });
    const started = performance.now();
    const gw2 = await startTestGateway({ PLUGINS_DIR: stuck, PLUGIN_START_TIMEOUT_MS: "200" }, [dummy]);
    try {
      expect(performance.now() - started).toBeLessThan(5000);
      const ids = (await json(gw2.handle("/v1/models"))).data.map((m: { id: string; owned_by: string }) => `${m.owned_by}:${m.id}`);
      expect(ids).toEqual(["dummy:dummy-model:1.0", "echo:echo-1"]);
      const lines = gw2.logs.map((l) => JSON.parse(l));
      expect(lines).toContainEqual(
        expect.objectContaining({ level: "error", msg: "plugin skipped: its create() did not finish within 200 ms (PLUGIN_START_TIMEOUT_MS)", plugin: "ticks", source: join(stuck, "ticks.ts") }),
      );
      expect(lines).toContainEqual(
        expect.objectContaining({ level: "error", msg: "plugin skipped: its module did not finish loading within 200 ms (PLUGIN_START_TIMEOUT_MS)", source: join(stuck, "waits.ts") }),
      );
    } finally {
      await gw2.close();
    }
  });

  test("plugins load and start at once: four stuck ones cost two deadlines (the imports', then the starts'), not four; a slow first plugin still registers first (a probe)", async () => {
    const many = mkdtempSync(join(tmpdir(), "ollaix-plugins-"));
    for (const n of [1, 2]) {
      writeFileSync(join(many, `stuck${n}.ts`), `import { definePlugin } from "ollaix/plugin";\nexport default definePlugin({ name: "stuck${n}", create() { return new Promise(() => {}); } });\n`);
      writeFileSync(join(many, `waits${n}.ts`), "await new Promise(() => {});\nexport default {};\n");
    }
    // "a-slow" sorts first and answers last: its model id, which "b-fast" declares too, stays its own.
    const plugin = (name: string, delayMs: number) =>
      `import { definePlugin } from "ollaix/plugin";\nexport default definePlugin({ name: "${name}", async create() { await Bun.sleep(${delayMs}); return { name: "${name}", models: [{ id: "shared-1" }, { id: "${name}-own" }], async chat() { return { choices: [] }; }, async *chatStream() {} }; } });\n`;
    writeFileSync(join(many, "a-slow.ts"), plugin("a-slow", 1500));
    writeFileSync(join(many, "b-fast.ts"), plugin("b-fast", 0));
    // Imports at once, then starts at once: two deadlines (5 s). One after another, the four (10 s) outlast this test's own 8 s.
    const gw2 = await startTestGateway({ PLUGINS_DIR: many, PLUGIN_START_TIMEOUT_MS: "2500" }, [dummy]);
    try {
      const models = (await json(gw2.handle("/v1/models"))).data as { id: string; owned_by: string }[];
      expect(models.map((m) => `${m.owned_by}:${m.id}`)).toEqual(["dummy:dummy-model:1.0", "a-slow:shared-1", "a-slow:a-slow-own", "b-fast:b-fast/shared-1", "b-fast:b-fast-own"]);
      const skipped = gw2.logs.map((l) => JSON.parse(l)).filter((line) => String(line.msg).startsWith("plugin skipped"));
      expect(skipped).toHaveLength(4);
    } finally {
      await gw2.close();
    }
  }, 8_000);

  test("a PLUGINS_DIR that does not exist stops start-up naming it", async () => {
    await expect(startTestGateway({ PLUGINS_DIR: "/nonexistent/plugins" }, [dummy])).rejects.toThrow(/PLUGINS_DIR/);
  });
});
