// The OLLAIX_CONFIG file as a whole: every mistake stops start-up with a message naming its path.
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import dummy from "../../plugins/dummy/index.ts";
import openaiCompatible from "../../plugins/openai-compatible/index.ts";
import { ConfigError, definePlugin, Type } from "../../src/kit.ts";
import { createGateway } from "../../src/server.ts";
import { json, startTestGateway } from "../helpers/gateway.ts";
import { minimalEnv, removeTempDirs, tempDir } from "../helpers/process.ts";

afterAll(removeTempDirs);

function file(content: string, name = "ollaix.yaml"): string {
  const path = join(tempDir("settings"), name);
  writeFileSync(path, content);
  return path;
}

/** The start-up error for a config file, as a message. */
async function startupError(content: string, name?: string, env: Record<string, string> = {}): Promise<string> {
  const error = await createGateway({
    env: { PORT: "0", LOG_LEVEL: "error", OLLAIX_CONFIG: file(content, name), ...env },
    builtins: [dummy, openaiCompatible],
    write: () => undefined,
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).name).toBe("ConfigError");
  return (error as Error).message;
}

describe("every mistake stops start-up naming the path", () => {
  test.each([
    ["an unknown top-level section, with a hint", "route:\n  - model: x\n", /route: unknown field \(did you mean 'routes'\?\); expected one of: plugins, keys, routes, cooldown/],
    ["a misspelt plugin name, with a hint", "plugins:\n  openai_compatible:\n    upstreams: []\n", /plugins\.openai_compatible: unknown plugin \(did you mean 'openai-compatible'\?\)/],
    ["a plugin nobody loaded", "plugins:\n  vertex: {}\n", /plugins\.vertex: unknown plugin; expected one of: dummy, openai-compatible/],
    ["enabled that is not a boolean", "plugins:\n  dummy: { enabled: 'no' }\n", /plugins\.dummy\.enabled: expected boolean/],
    // A built-in with no settings of its own: a misspelt `enabled` left the dummy model on in production.
    ["a misspelt field of a plugin with no settings of its own", "plugins:\n  dummy: { enabeld: false }\n", /plugins\.dummy\.enabeld: unknown field \(did you mean 'enabled'\?\); expected one of: enabled/],
    ["a key without a name", "keys:\n  - key_sha256: " + "a".repeat(64) + "\n", /keys\[0\]\.name: is required/],
    ["a misspelt key field", "keys:\n  - name: a\n    key_sha256: " + "a".repeat(64) + "\n    rpn: 3\n", /keys\[0\]\.rpn: unknown field \(did you mean 'rpm'\?\)/],
    ["a limit that is not a positive integer", "keys:\n  - name: a\n    key_sha256: " + "a".repeat(64) + "\n    rpm: 0\n", /keys\[0\]\.rpm: expected integer to be greater or equal to 1/],
    ["a key with neither key_env nor key_sha256", "keys:\n  - name: a\n", /keys\[0\]: set exactly one of key_env and key_sha256/],
    ["a key_sha256 that is not 64 hex digits", "keys:\n  - name: a\n    key_sha256: abc\n", /keys\[0\]\.key_sha256: expected string to match/],
    ["a key whose variable is not set", "keys:\n  - name: a\n    key_env: NOT_SET_ANYWHERE\n", /keys\[0\]\.key_env: the environment variable NOT_SET_ANYWHERE is not set/],
    ["two keys with one name", "keys:\n  - { name: a, key_sha256: " + "a".repeat(64) + " }\n  - { name: a, key_sha256: " + "b".repeat(64) + " }\n", /keys\[1\]\.name: "a" is used by another key/],
    ["a route without targets", "routes:\n  - model: smart\n", /routes\[0\]\.targets: is required/],
    ["a route target without a model", "routes:\n  - model: smart\n    targets: [{ weight: 2 }]\n", /routes\[0\]\.targets\[0\]\.model: is required/],
    ["a negative weight", "routes:\n  - model: smart\n    targets: [{ model: x, weight: -1 }]\n", /routes\[0\]\.targets\[0\]\.weight: expected number to be greater than 0/],
    ["a cooldown field misspelt", "cooldown: { failure: 3 }\n", /cooldown\.failure: unknown field \(did you mean 'failures'\?\)/],
    ["a YAML syntax error, with line and column", "keys:\n  - name: a\n   rpm: 2\n", /cannot parse at line 3, column \d+/],
    // Wrong shapes the key rules cannot read: the schema's message, never a TypeError.
    ["keys as a mapping", "keys: { name: a, key_env: KA }\n", /keys: expected array/],
    ["keys as a string", "keys: abc\n", /keys: expected array/],
    ["a null key", "keys: [~]\n", /keys\[0\]: expected object/],
    ["a top-level list", "- keys: []\n", /\(top level\): expected object/],
    // Duplicates the parser or the tables would keep silently, one of them never used.
    ["a top-level YAML key given twice (a later `keys: []` left the gateway open)", "keys:\n  - { name: a, key_sha256: " + "a".repeat(64) + " }\nroutes: []\nkeys: []\n", /'keys' at line 4 is given already at line 1/],
    ["a top-level YAML key given twice after a byte-order mark", "\uFEFFkeys:\n  - { name: a, key_sha256: " + "a".repeat(64) + " }\nkeys: []\n", /'keys' at line 3 is given already at line 1/],
    // Below the top level too: a key's `models` given again silently widened it to every model (a probe).
    ["a key's field given twice", "keys:\n  - name: team-a\n    key_sha256: " + "a".repeat(64) + "\n    models: [\"cheap\"]\n    rpm: 10\n    models: [\"*\"]\n", /'keys\[0\]\.models' at line 6 is given already at line 4; a key appears once in a mapping/],
    ["a field given twice in a flow mapping", "plugins:\n  dummy: { enabled: false, enabled: true }\n", /'plugins\.dummy\.enabled' at line 2 is given already at line 2/],
    ["two keys of one value", "keys:\n  - { name: a, key_sha256: " + "a".repeat(64) + " }\n  - { name: b, key_sha256: " + "A".repeat(64) + " }\n", /keys\[1\]: the same key as keys\[0\] \("a"\)/],
    ["two routes of one id", "routes:\n  - { model: smart, targets: [{ model: x }] }\n  - { model: smart, targets: [{ model: y }] }\n", /routes\[1\]\.model: 'smart' is routes\[0\]'s too/],
  ])("%s", async (_what, content, expected) => {
    const message = await startupError(content);
    expect(message).toMatch(/^OLLAIX_CONFIG="[^"]+":? /);
    expect(message).toMatch(expected);
  });

  test("a key named as one of OLLAIX_API_KEYS' keys (api-key-N) would share its stored responses and counters: refused", async () => {
    const content = "keys:\n  - { name: api-key-2, key_sha256: " + "a".repeat(64) + " }\n  - { name: api-key-3, key_sha256: " + "b".repeat(64) + " }\n";
    const message = await startupError(content, undefined, { OLLAIX_API_KEYS: "sk-plain-one-000001,sk-plain-two-000002" });
    expect(message).toMatch(/keys\[0\]\.name: "api-key-2" is the name of OLLAIX_API_KEYS' key 2/);
    expect(message).not.toContain("keys[1]"); // there is no third plain key
    expect(message).not.toContain("sk-plain");
    // A name that only looks like one (a leading zero) is no other key's.
    const gw = await createGateway({
      env: { PORT: "0", LOG_LEVEL: "error", OLLAIX_CONFIG: file("keys:\n  - { name: api-key-01, key_sha256: " + "a".repeat(64) + " }\n"), OLLAIX_API_KEYS: "sk-plain-one-000001" },
      builtins: [dummy, openaiCompatible],
      write: () => undefined,
    });
    await gw.shutdown();
  });

  test("a key of the file given again in OLLAIX_API_KEYS is refused, naming neither value", async () => {
    const message = await startupError("keys:\n  - { name: a, key_env: KA }\n", undefined, { KA: "sk-same-key-0000001", OLLAIX_API_KEYS: "sk-other-key-000002,sk-same-key-0000001" });
    expect(message).toMatch(/OLLAIX_API_KEYS: its key 2 is keys\[0\] \("a"\) of the config file too/);
    expect(message).not.toContain("sk-");
  });

  test("a JSON key given twice is refused too, naming both lines (JSON.parse keeps the last)", async () => {
    const message = await startupError('{\n  "keys": [{ "name": "a", "key_sha256": "' + "a".repeat(64) + '" }],\n  "routes": [{ "model": "keys", "targets": [{ "model": "x" }] }],\n  "keys": []\n}\n', "ollaix.json");
    expect(message).toMatch(/'keys' at line 4 is given already at line 2/);
    // At any depth (a probe): the last of two sections of one plugin was kept.
    expect(await startupError('{"plugins":{"dummy":{"enabled":true},\n"dummy":{"enabled":false}}}', "ollaix.json")).toMatch(/'plugins\.dummy' at line 2 is given already at line 1/);
    // The same names nested, or inside strings, are no repeat.
    const gw = await createGateway({
      env: { PORT: "0", LOG_LEVEL: "error", OLLAIX_CONFIG: file('{ "plugins": { "dummy": { "enabled": true } }, "keys": [{ "name": "keys", "key_sha256": "' + "b".repeat(64) + '" }] }', "ok.json") },
      builtins: [dummy, openaiCompatible],
      write: () => undefined,
    });
    await gw.shutdown();
  });

  test("a JSON syntax error names its line too", async () => {
    expect(await startupError('{\n  "keys": [\n    { "name": "a", }\n  ]\n}\n', "ollaix.json")).toMatch(/cannot parse at line 3/);
  });

  test("a key's value never appears in a start-up error", async () => {
    const message = await startupError("keys:\n  - name: a\n    key_env: K\n    rpm: -1\n", undefined, { K: "sk-secret-value-123" });
    expect(message).toContain("keys[0].rpm");
    expect(message).not.toContain("sk-secret-value-123");
  });

  test("the process exits 2 with the message on stderr", async () => {
    const proc = Bun.spawn([process.execPath, resolve(import.meta.dir, "../../src/main.ts")], {
      env: minimalEnv({ PORT: "0", OLLAIX_CONFIG: file("plugins:\n  olama: {}\n") }),
      stdout: "ignore",
      stderr: "pipe",
    });
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/plugins\.olama: unknown plugin \(did you mean 'ollama'\?\)/);
  });
});

// A probe: problems came out one stage at a time (the file's schema, then the plugins' sections,
// then the keys' variables), so fixing one revealed the next.
describe("one run names every problem, whichever stage finds it", () => {
  const ROOT = resolve(import.meta.dir, "../..");

  test("the complete example with neither of its variables set names both, each under the file's name", async () => {
    const error = await createGateway({
      env: { PORT: "0", LOG_LEVEL: "error", OLLAIX_CONFIG: `${ROOT}/examples/ollaix.yaml`, OLLAMA_BASE_URL: "http://127.0.0.1:9" },
      discover: false,
      write: () => undefined,
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.name).toBe("ConfigError");
    expect(error?.message).toBe(
      `OLLAIX_CONFIG=${JSON.stringify(`${ROOT}/examples/ollaix.yaml`)}: ` +
        "plugins.openai-compatible.upstreams[0].api_key_env: the environment variable GROQ_API_KEY is not set; " +
        "keys[0].key_env: the environment variable TEAM_A_KEY is not set",
    );
  });

  test("the file's schema, its rules, a plugin's section, a plugin's variable and a key's variable, at once", async () => {
    const message = await startupError(
      [
        "plugins:",
        "  dummy: { enabeld: false }",
        "  openai-compatible:",
        "    upstreams: [{ name: x, base_url: notaurl }]",
        "keys:",
        "  - { name: a, key_env: UNSET_KEY_A }",
        "  - { name: b, key_env: UNSET_KEY_B, rpm: 0 }",
        "routes:",
        "  - { model: s, targets: [{ model: x }] }",
        "  - { model: s, targets: [{ model: y }] }",
      ].join("\n"),
      undefined,
      { OPENAI_BASE_URL: "localhost:1234" },
    );
    // The variable first, then the file's problems under its one prefix.
    expect(message).toMatch(/^OPENAI_BASE_URL: expected an http\(s\) URL [^;]*; OLLAIX_CONFIG="[^"]+": plugins\.dummy\.enabeld: unknown field/);
    for (const problem of [
      "keys[1].rpm: expected integer to be greater or equal to 1",
      "routes[1].model: 's' is routes[0]'s too",
      "plugins.openai-compatible.upstreams[0].base_url: expected an http(s) URL",
      "keys[0].key_env: the environment variable UNSET_KEY_A is not set",
    ]) expect(message).toContain(problem);
    // A key the schema refused is not read as well: its problem is named once.
    expect(message).not.toContain("UNSET_KEY_B");
  });

  test("a plugin whose own section the check refused is not started; the others are", async () => {
    const created: string[] = [];
    const plugin = (name: string) =>
      definePlugin({
        name,
        settingsSchema: Type.Object({ greeting: Type.String() }),
        create: () => {
          created.push(name);
          return undefined;
        },
      });
    const message = await createGateway({
      env: { PORT: "0", LOG_LEVEL: "error", OLLAIX_CONFIG: file("plugins:\n  good: { greeting: hi }\n  bad: { greeting: 7 }\nkeys: {}\n") },
      builtins: [plugin("good"), plugin("bad")],
      write: () => undefined,
    }).then(
      () => "",
      (e: Error) => e.message,
    );
    expect(message).toMatch(/^OLLAIX_CONFIG="[^"]+": plugins\.bad\.greeting: expected string; keys: expected array$/);
    expect(created).toEqual(["good"]);
  });

  test("a plugin's own ConfigError about its section carries the file's prefix; one about its variables does not", async () => {
    const picky = definePlugin({
      name: "picky",
      create: () => {
        throw new ConfigError("PICKY_URL: not set; plugins.picky.depth: too deep", { problems: ["PICKY_URL: not set", "plugins.picky.depth: too deep"] });
      },
    });
    const message = await createGateway({
      env: { PORT: "0", LOG_LEVEL: "error", OLLAIX_CONFIG: file("plugins:\n  picky: { depth: 9 }\n") },
      builtins: [picky],
      write: () => undefined,
    }).then(
      () => "",
      (e: Error) => e.message,
    );
    expect(message).toMatch(/^PICKY_URL: not set; OLLAIX_CONFIG="[^"]+": plugins\.picky\.depth: too deep$/);
  });
});

describe("a good file", () => {
  test("enabled: false turns a plugin off; routes are listed as owned by ollaix", async () => {
    const gw = await startTestGateway(
      {
        OLLAIX_CONFIG: file(
          [
            "$schema: ../schema/ollaix-config.schema.json",
            "plugins:",
            "  dummy: { enabled: false }",
            "  openai-compatible:",
            "    enabled: true",
            "    upstreams: [{ name: local, base_url: 'http://127.0.0.1:9/v1', models: [m1] }]",
            "routes:",
            "  - { model: smart, targets: [{ model: local/m1 }] }",
            "  - { model: hidden, targets: [{ model: local/m1 }], list: false }",
            "  - { model: 'claude-*', targets: [{ model: local/m1 }] }",
            "cooldown: { failures: 2, window_s: 10, seconds: 5 }",
          ].join("\n"),
        ),
      },
      [dummy, openaiCompatible],
    );
    try {
      const ids = (await json(gw.handle("/v1/models"))).data.map((m: { id: string; owned_by: string }) => `${m.owned_by}:${m.id}`);
      expect(ids).toEqual(["ollaix:smart", "local:m1"]);
      expect((await json(gw.handle("/v1/models/hidden"))).owned_by).toBe("ollaix");
      expect((await json(gw.handle("/v1/models/claude-sonnet-4-5"))).owned_by).toBe("ollaix");
    } finally {
      await gw.close();
    }
  });

  test("plugins named as Object's members (toString, constructor) are plugins like any: a file with a plugins section starts, and their sections are theirs", async () => {
    // Each instance lists the type of the settings its factory was given.
    const named = (name: string) =>
      definePlugin({
        name,
        create: (host) => ({ name: `${name}-x`, models: [{ id: `${name}-${typeof host.settings}` }], chat: () => Promise.reject(new Error("unused")), async *chatStream() {} }),
      });
    const gw = await startTestGateway({ OLLAIX_CONFIG: file("plugins:\n  dummy: { enabled: true }\n  constructor: { note: mine }\n") }, [dummy, named("toString"), named("constructor")]);
    try {
      const ids = (await json(gw.handle("/v1/models"))).data.map((m: { id: string }) => m.id);
      expect(ids).toEqual(["dummy-model:1.0", "toString-undefined", "constructor-object"]);
    } finally {
      await gw.close();
    }
    // And a section of its own is checked as any plugin's.
    const refused = await createGateway({
      env: { PORT: "0", LOG_LEVEL: "error", OLLAIX_CONFIG: file("plugins:\n  toString: { enabled: 'no' }\n") },
      builtins: [dummy, named("toString")],
      write: () => undefined,
    }).then(
      () => "started",
      (e: Error) => e.message,
    );
    expect(refused).toMatch(/plugins\.toString\.enabled: expected boolean$/);
  });

  test("enabled: false turns off a plugin whose settings have a required field, without them; turned on, they are required", async () => {
    const greeter = definePlugin({
      name: "greeter",
      settingsSchema: Type.Object({ greeting: Type.String() }),
      create: () => ({ name: "greeter", models: [{ id: "greet-1" }], chat: () => Promise.reject(new Error("unused")), async *chatStream() {} }),
    });
    const gw = await startTestGateway({ OLLAIX_CONFIG: file("plugins:\n  greeter: { enabled: false }\n") }, [dummy, greeter]);
    try {
      expect(gw.gateway.registry.providers.map((p) => p.name)).toEqual(["dummy"]);
    } finally {
      await gw.close();
    }
    const on = await createGateway({ env: { PORT: "0", LOG_LEVEL: "error", OLLAIX_CONFIG: file("plugins:\n  greeter: { enabled: true }\n") }, builtins: [dummy, greeter], write: () => undefined }).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(on).toMatch(/plugins\.greeter\.greeting: is required/);
  });
});
