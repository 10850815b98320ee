// Every command of the command line, run as a user runs it — `bun src/main.ts …` and the compiled
// binary `dist/ollaix …` — from an empty folder with a minimal environment.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { builtinPlugins } from "../plugins/index.ts";
import { MODEL_LIST } from "../plugins/openai-compatible/__fixtures__/openai-wire.ts";
import { openAIHandler } from "../plugins/openai-compatible/__fixtures__/fake-openai.ts";
import { listEnvironment } from "../src/cli/environment.ts";
import { BUILD_TIMEOUT_MS, buildBinaryOnce, ROOT, runToExit } from "./helpers/binary.ts";
import { startFakeServer, type FakeServer } from "./helpers/fake-server.ts";
import { freePort, minimalEnv, removeTempDirs, tempDir } from "./helpers/process.ts";
import { fixture, json, ollamaRoutes } from "./ollama/fake-ollama.ts";

const VERSION = ((await Bun.file(join(ROOT, "package.json")).json()) as { version: string }).version;
const VARIABLES = listEnvironment(builtinPlugins).map((v) => v.name);

let binary = "";
let fakeOllama: FakeServer;
let fakeOpenAI: FakeServer;
const spawned: Bun.Subprocess[] = [];

beforeAll(async () => {
  binary = await buildBinaryOnce();
  const tags = fixture<{ models: { name: string }[] }>("tags.json");
  fakeOllama = startFakeServer(
    ollamaRoutes({
      "GET /api/tags": () => json({ models: [{ ...tags.models[0], name: "llama3.2:latest", model: "llama3.2:latest" }] }),
      "POST /api/show": () => json(fixture("show-llava.json")),
    }),
  );
  fakeOpenAI = startFakeServer(openAIHandler);
}, BUILD_TIMEOUT_MS + 30_000);

afterAll(async () => {
  for (const proc of spawned) if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  await Promise.all(spawned.map((p) => p.exited));
  await fakeOllama?.close();
  await fakeOpenAI?.close();
  removeTempDirs();
});

const runners = [
  ["bun src/main.ts", () => [process.execPath, join(ROOT, "src", "main.ts")]],
  ["dist/ollaix", () => [binary]],
] as const;

/** Each test spawns processes (several for the port tests): generous on a busy 2-core machine. */
const PROCESS_TEST_MS = 30_000;

/** The quiet default environment of these tests: Ollama is the fake one, so `models` can reach it. */
const envWith = (vars: Record<string, string> = {}) => minimalEnv({ OLLAMA_BASE_URL: fakeOllama.url, ...vars });

/** Starts a server command and resolves with its base URL from the "Ollaix listening" line, or its exit. */
async function startServer(cmd: string[], env: Record<string, string>): Promise<{ url?: string; exitCode?: number | null; stderr: string; proc: Bun.Subprocess }> {
  const proc = Bun.spawn(cmd, { cwd: tempDir("serve"), env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  spawned.push(proc);
  let stderr = "";
  void new Response(proc.stderr).text().then((text) => (stderr = text), () => {});
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of proc.stdout) {
    buffered += decoder.decode(chunk, { stream: true });
    const line = buffered.split("\n").find((l) => l.includes('"Ollaix listening"'));
    if (line) {
      void (async () => {
        for await (const _ of proc.stdout) {
          // drain: the process never blocks on a full pipe
        }
      })().catch(() => {});
      return { url: (JSON.parse(line) as { url: string }).url, stderr, proc };
    }
  }
  const exitCode = await proc.exited;
  await Bun.sleep(20); // let stderr finish collecting
  return { exitCode, stderr, proc };
}

describe.each(runners)("%s", (_name, command) => {
  const run = (args: string[], vars?: Record<string, string>) => runToExit([...command(), ...args], { cwd: tempDir("cli"), env: envWith(vars) });

  test("--help, -h and help print the usage with every environment variable and its default", async () => {
    const help = await run(["--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain("Usage:");
    for (const command of ["check-config", "models", "plugin test DIR", "--healthcheck", "--version"]) expect(help.stdout).toContain(command);
    for (const name of VARIABLES) expect(help.stdout).toMatch(new RegExp(`^  ${name} .*\\(default: [^)]+\\)`, "m"));
    expect(help.stdout).toContain("(default: 8000)");
    expect(help.stdout).toContain('"The OLLAIX_CONFIG file"'); // where the config file is documented
    expect((await run(["-h"])).stdout).toBe(help.stdout);
    expect((await run(["help"])).stdout).toBe(help.stdout);
  }, PROCESS_TEST_MS);

  test("--version prints the package's version", async () => {
    const result = await run(["--version"]);
    expect(result).toMatchObject({ exitCode: 0, stdout: `ollaix ${VERSION}\n` });
  }, PROCESS_TEST_MS);

  test.each([
    [["--bogus"], "ollaix: unknown option --bogus"],
    [["bogus"], "ollaix: unknown command 'bogus'"],
    [["plugin", "frob"], "ollaix: unknown command 'plugin frob'"],
    [["plugin", "test"], "ollaix: 'plugin test' needs the plugin's folder or file: plugin test DIR"],
    [["models", "extra"], "ollaix: unexpected argument 'extra' after 'models'"],
    [["--port"], "ollaix: --port needs a value"],
  ])("%j: one line and a pointer to --help, exit 2", async (args, message) => {
    const result = await run(args);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(`${message}\nRun 'ollaix --help' for usage.\n`);
  }, PROCESS_TEST_MS);

  test("check-config FILE: valid → the instances and the OpenAI-compatible upstreams, exit 0", async () => {
    const file = join(tempDir("config"), "ollaix.yaml");
    writeFileSync(file, `plugins:\n  openai-compatible:\n    upstreams:\n      - name: groq\n        base_url: ${fakeOpenAI.url}/v1\n        api_key_env: CLI_TEST_GROQ_KEY\n`);
    fakeOpenAI.requests.length = 0;
    const result = await run(["check-config", file], { CLI_TEST_GROQ_KEY: "gsk-cli-test-key-1234" });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("Configuration is valid.");
    expect(result.stdout).toContain(`config file: ${file}`);
    expect(result.stdout).toMatch(/^ {2}dummy +dummy +1 listed/m);
    expect(result.stdout).toMatch(new RegExp(`^  ollama +ollama +discovered +${fakeOllama.url}`, "m"));
    expect(result.stdout).toMatch(/OpenAI-compatible instances \(1\):\n {2}groq +http:\/\/127\.0\.0\.1:\d+\/v1\n/);
    expect(result.stdout).not.toContain("gsk-cli-test-key-1234");
    expect(fakeOpenAI.requests).toEqual([]); // validation only: no upstream was asked
    expect(result.stdout).toContain("API keys: none (the model routes, /v1/* and /api/*, are open)");
  }, PROCESS_TEST_MS);

  test("check-config: keys of the config file count as keys (the routes are not open), with OLLAIX_API_KEYS' beside them", async () => {
    const file = join(tempDir("config"), "ollaix.yaml");
    writeFileSync(file, "keys:\n  - name: team-a\n    key_env: CLI_TEST_TEAM_KEY\n  - name: team-b\n    key_env: CLI_TEST_TEAM_B_KEY\n");
    const named = await run(["check-config", file], { CLI_TEST_TEAM_KEY: "sk-team-a-000000001", CLI_TEST_TEAM_B_KEY: "sk-team-b-000000002" });
    expect(named.exitCode).toBe(0);
    expect(named.stdout).toContain("API keys: 2 configured (2 in the config file); every model call needs one");
    expect(named.stdout).not.toContain("are open");
    const both = await run(["check-config", file], { CLI_TEST_TEAM_KEY: "sk-team-a-000000001", CLI_TEST_TEAM_B_KEY: "sk-team-b-000000002", OLLAIX_API_KEYS: "sk-env-000000000001" });
    expect(both.stdout).toContain("API keys: 3 configured (2 in the config file, 1 in OLLAIX_API_KEYS); every model call needs one");
    expect(both.stdout).not.toContain("sk-");
  }, PROCESS_TEST_MS);

  test("check-config: a PLUGINS_DIR plugin that fails to load (serving skips it) → said on stdout, its reason on stderr, exit 1 (a probe: 'Configuration is valid.', exit 0)", async () => {
    const dir = tempDir("plugins");
    mkdirSync(join(dir, "broken"));
    writeFileSync(join(dir, "broken", "index.ts"), "export default {{ not: typescript\n");
    const result = await run(["check-config"], { PLUGINS_DIR: dir });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain("Skipped: 1 plugin or instance (the reasons are on stderr); serving starts without it.");
    expect(result.stderr).toContain("plugin skipped: it failed to load");
  }, PROCESS_TEST_MS);

  test("check-config: an invalid file or variable → the reason, exit 2", async () => {
    const file = join(tempDir("config"), "ollaix.json");
    writeFileSync(file, JSON.stringify({ plugins: { "openai-compatible": { upstreams: [{ name: "dummy", base_url: "http://127.0.0.1:1/v1" }] } } }));
    const duplicate = await run(["check-config", file]);
    expect(duplicate.exitCode).toBe(2);
    expect(duplicate.stderr).toContain('ollaix: invalid configuration: the instance name "dummy" is used twice');
    const badPort = await run(["check-config"], { PORT: "abc" });
    expect(badPort.exitCode).toBe(2);
    expect(badPort.stderr).toStartWith("ollaix: invalid configuration: PORT=");
    const missing = await run(["check-config", "/nonexistent/ollaix.yaml"]);
    expect(missing).toMatchObject({ exitCode: 2, stderr: 'ollaix: invalid configuration: OLLAIX_CONFIG="/nonexistent/ollaix.yaml": file not found\n' });
    const folder = tempDir("config");
    expect(await run(["check-config", folder])).toMatchObject({ exitCode: 2, stderr: `ollaix: invalid configuration: OLLAIX_CONFIG=${JSON.stringify(folder)}: a folder, not a file\n` });
  }, PROCESS_TEST_MS);

  test("models: asks every provider once and prints its models; an unreachable one fails the command", async () => {
    const ok = await run(["models"], { OPENAI_BASE_URL: `${fakeOpenAI.url}/v1`, OPENAI_API_KEY: "sk-cli-test-key-5678" });
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toContain("dummy (1 model)\n  dummy-model:1.0");
    expect(ok.stdout).toContain("ollama (1 model)\n  llama3.2:latest");
    expect(ok.stdout).toContain(`openai (${MODEL_LIST.data.length} models)`);
    for (const model of MODEL_LIST.data) expect(ok.stdout).toContain(`  ${model.id}`);

    const down = await run(["models"], { OLLAMA_BASE_URL: `http://127.0.0.1:${freePort()}` });
    expect(down.exitCode).toBe(1);
    expect(down.stdout).toContain("dummy (1 model)");
    expect(down.stdout).toMatch(/^ollama \(unreachable: Ollama is unreachable \(ECONNREFUSED\)/m);

    // A provider that serves a list of its own when its upstream cannot be asked (Gemini's built-in one) is unreachable all the same.
    const fellBack = await run(["models"], { GEMINI_API_KEY: "gemini-cli-key-0001", GEMINI_BASE_URL: `http://127.0.0.1:${freePort()}` });
    expect(fellBack.exitCode).toBe(1);
    expect(fellBack.stdout).toMatch(/^gemini \(unreachable: .+ \(serving its own list\)\)$/m);
  }, PROCESS_TEST_MS);

  test("plugin test DIR: the conformance checks pass for the echo example, with its variable from the environment", async () => {
    const result = await run(["plugin", "test", join(ROOT, "examples", "plugins", "echo")], { ECHO_PREFIX: "cli: " });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("instance echo, model echo-1");
    expect(result.stdout).toMatch(/(\d+) of \1 checks passed\.\n$/);
    expect(result.stdout).not.toContain("FAIL");
  }, PROCESS_TEST_MS);

  test("plugin test DIR: no plugin there is bad usage (exit 2), a plugin that does not load fails (exit 1, where Bun says): one line each, no stack trace", async () => {
    const missing = await run(["plugin", "test", "/nonexistent-plugin-dir"]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toBe("ollaix: /nonexistent-plugin-dir is not a plugin: a .ts/.js/.mjs file, or a folder with index.ts, index.js or index.mjs\nRun 'ollaix --help' for usage.\n");
    const dir = tempDir("broken-plugin");
    writeFileSync(join(dir, "index.ts"), "export default {\n");
    const broken = await run(["plugin", "test", dir]);
    expect(broken.exitCode).toBe(1);
    expect(broken.stderr).toStartWith(`ollaix: the plugin at ${join(dir, "index.ts")}:`);
    expect(broken.stderr).toContain("could not be loaded:");
    expect(broken.stderr.trim().split("\n")).toHaveLength(1);
    expect(broken.stderr).not.toContain("    at ");
    // A plugin that makes no instance in this environment (its key unset): one line too.
    const idleDir = tempDir("idle-plugin");
    writeFileSync(
      join(idleDir, "index.ts"),
      `import { definePlugin, Type } from "ollaix/plugin";
export default definePlugin({
  name: "idle",
  env: Type.Object({ IDLE_PLUGIN_KEY: Type.Optional(Type.String()) }),
  create(host) {
    if (!host.env.IDLE_PLUGIN_KEY) return undefined;
    throw new Error("not reached");
  },
});
`,
    );
    const idle = await run(["plugin", "test", idleDir]);
    expect(idle.exitCode).toBe(1);
    expect(idle.stderr).toBe(`ollaix: the plugin at ${idleDir} cannot be tested: the plugin made no provider instance with this environment\n`);
  }, PROCESS_TEST_MS);

  test("plugin test DIR: a plugin that breaks the contract fails the named check, exit 1", async () => {
    const dir = tempDir("bad-plugin");
    // Two finish reasons in one stream, and a plugin outside any checkout importing only the kit.
    writeFileSync(
      join(dir, "index.ts"),
      `import { definePlugin } from "ollaix/plugin";
export default definePlugin({
  name: "twice",
  models: [{ id: "twice-1" }],
  async chat() { return { choices: [{ index: 0, message: { content: "hi" }, finish_reason: "stop" }] }; },
  async *chatStream() {
    yield { choices: [{ index: 0, delta: { content: "a" }, finish_reason: "stop" }] };
    yield { choices: [{ index: 0, delta: { content: "b" }, finish_reason: "stop" }] };
  },
});
`,
    );
    const result = await run(["plugin", "test", dir]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain("  ok    answers a chat completion in the OpenAI shape");
    expect(result.stdout).toContain("  FAIL  streams chunks: role first, one finish per choice");
    // The gateway itself ends such a stream with its error event (the plugin output contract): the check names that.
    expect(result.stdout).toContain("returned more of choice 0's answer after its finish reason");
    expect(result.stdout).toMatch(/1 of \d+ checks failed\.\n$/);
  }, PROCESS_TEST_MS);

  test("--port and --host win over PORT and HOST; --healthcheck reads them too", async () => {
    const port = freePort();
    const server = await startServer([...command(), "--port", String(port), "--host", "127.0.0.1"], envWith({ PORT: "1", HOST: "localhost" }));
    expect(server.url).toBe(`http://127.0.0.1:${port}`);
    expect((await run(["--healthcheck", "--port", String(port)], { PORT: "1" })).exitCode).toBe(0);
    // Never through an HTTP proxy (a container behind an egress proxy; an operations probe: unhealthy).
    const dead = `http://127.0.0.1:${freePort()}`;
    expect((await run(["--healthcheck", "--port", String(port)], { http_proxy: dead, HTTP_PROXY: dead, NO_PROXY: "localhost" })).exitCode).toBe(0);
    const down = await run(["--healthcheck"], { PORT: String(freePort()) });
    expect(down.exitCode).toBe(1);
    expect(down.stderr).toStartWith("ollaix: unhealthy: no answer from /health on 127.0.0.1:");
    server.proc.kill("SIGTERM");
    expect(await server.proc.exited).toBe(0);
  }, PROCESS_TEST_MS);

  test("a HOST no listener can take stops start-up naming it, exit 2, no stack trace", async () => {
    for (const host of ["10.255.255.1", "nosuch.invalid"]) {
      const refused = await startServer(command() as string[], envWith({ PORT: String(freePort()), HOST: host }));
      expect(refused.url).toBeUndefined();
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toStartWith(`ollaix: invalid configuration: HOST="${host}" cannot be listened on (`);
      expect(refused.stderr).not.toContain("    at ");
    }
  }, PROCESS_TEST_MS);

  test("a port in use stops start-up with a clear message and exit 1; REUSE_PORT=true on both shares it", async () => {
    const port = String(freePort());
    const first = await startServer(command() as string[], envWith({ PORT: port }));
    expect(first.url).toBe(`http://127.0.0.1:${port}`);
    // The other one (source or binary) tries the same port: both ways round are covered.
    const second = await startServer([...runners[0][1]()], envWith({ PORT: port }));
    expect(second.url).toBeUndefined();
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toBe(`ollaix: port ${port} is already in use on 127.0.0.1\n`);
    const third = await startServer([binary], envWith({ PORT: port }));
    expect(third.exitCode).toBe(1);
    expect(third.stderr).toBe(`ollaix: port ${port} is already in use on 127.0.0.1\n`);
    first.proc.kill("SIGTERM");
    await first.proc.exited;

    const sharedPort = String(freePort());
    const a = await startServer(command() as string[], envWith({ PORT: sharedPort, REUSE_PORT: "true" }));
    const b = await startServer(command() as string[], envWith({ PORT: sharedPort, REUSE_PORT: "true" }));
    expect([a.url, b.url]).toEqual([`http://127.0.0.1:${sharedPort}`, `http://127.0.0.1:${sharedPort}`]);
    a.proc.kill("SIGTERM");
    b.proc.kill("SIGTERM");
    await Promise.all([a.proc.exited, b.proc.exited]);
  }, PROCESS_TEST_MS);
});

describe("README and --help agree", () => {
  test("every variable of README's configuration table is in --help, and every one in --help is in the table", async () => {
    const readme = await Bun.file(join(ROOT, "README.md")).text();
    const section = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("### The `OLLAIX_CONFIG` file"));
    const inReadme = new Set<string>();
    for (const row of section.split("\n").filter((line) => line.startsWith("| `"))) {
      const firstCell = row.split("|")[1]!;
      for (const match of firstCell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) inReadme.add(match[1]!);
    }
    const help = await runToExit([process.execPath, join(ROOT, "src", "main.ts"), "--help"], { cwd: tempDir("help"), env: minimalEnv() });
    const inHelp = new Set([...help.stdout.matchAll(/^ {2}([A-Z][A-Z0-9_]+) {2,}/gm)].map((m) => m[1]!));
    expect(inHelp.size).toBeGreaterThan(10);
    expect([...inReadme].sort()).toEqual([...inHelp].sort());
  }, PROCESS_TEST_MS);
});
