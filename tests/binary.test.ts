// The compiled single binary (`bun run build` → dist/ollaix), run as a user would run it: from an
// empty folder, with a minimal environment. Set OLLAIX_BINARY to test a prebuilt binary instead.
import { SEED_MESSAGES } from "../src/seed.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { BINARY, BUILD_TIMEOUT_MS, buildBinaryOnce, ROOT, runToExit } from "./helpers/binary.ts";
import { freePort, minimalEnv, removeTempDirs, tempDir } from "./helpers/process.ts";
import { startCollector } from "./helpers/otlp-collector.ts";
import { dirname, join } from "node:path";

const SEED_PAYLOAD = {
  model: "dummy-model:1.0",
  messages: SEED_MESSAGES,
};

const processes: Running[] = [];

interface Running {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  stdoutLines: string[];
  stderr: () => string;
  /** Resolves with the first stdout line matching, rejects on time-out or exit. */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
}

function collect(stream: ReadableStream<Uint8Array>, onText: (text: string) => void): void {
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) onText(decoder.decode(chunk, { stream: true }));
  })().catch(() => {});
}

function start(cmd: string[], opts: { cwd: string; env: Record<string, string> }): Running {
  const proc = Bun.spawn(cmd, { cwd: opts.cwd, env: opts.env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const stdoutLines: string[] = [];
  let partial = "";
  let err = "";
  collect(proc.stdout, (text) => {
    partial += text;
    const parts = partial.split("\n");
    partial = parts.pop()!;
    stdoutLines.push(...parts);
  });
  collect(proc.stderr, (text) => void (err += text));
  const running: Running = {
    proc,
    stdoutLines,
    stderr: () => err,
    async waitForLine(match, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = stdoutLines.find(match);
        if (line !== undefined) return line;
        if (proc.exitCode !== null || proc.signalCode !== null) {
          throw new Error(`process exited (${proc.exitCode ?? proc.signalCode}) before the line appeared.\nstdout:\n${stdoutLines.join("\n")}\nstderr:\n${err}`);
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for a line.\nstdout:\n${stdoutLines.join("\n")}\nstderr:\n${err}`);
        await Bun.sleep(20);
      }
    },
  };
  processes.push(running);
  return running;
}

/** Starts the binary and returns its base URL from the "Ollaix listening" log line. */
async function startBinary(vars: Record<string, string>, cwd = tempDir("cwd")): Promise<{ run: Running; url: string }> {
  const run = start([BINARY], { cwd, env: minimalEnv(vars) });
  const line = await run.waitForLine((l) => l.includes('"Ollaix listening"'));
  const url = (JSON.parse(line) as { url: string }).url;
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  return { run, url };
}

const post = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

let main: { run: Running; url: string };

beforeAll(async () => {
  await buildBinaryOnce();
  main = await startBinary({ PORT: "0" });
}, BUILD_TIMEOUT_MS + 30_000);

afterAll(async () => {
  for (const { proc } of processes) {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  }
  await Promise.all(processes.map(({ proc }) => proc.exited));
  removeTempDirs();
});

describe("compiled binary, run from an empty folder", () => {
  test("/health answers healthy", async () => {
    const response = await fetch(`${main.url}/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; service: string };
    expect(body.status).toBe("healthy");
    expect(body.service).toBe("Ollaix API");
  });

  test("a chat completion on dummy-model:1.0 with the seed conversation has the OpenAI shape", async () => {
    const response = await fetch(`${main.url}/v1/chat/completions`, post({ ...SEED_PAYLOAD, stream: false }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    const body = (await response.json()) as Record<string, any>;
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.object).toBe("chat.completion");
    expect(Number.isInteger(body.created)).toBe(true);
    expect(body.model).toBe("dummy-model:1.0");
    expect(body.choices).toHaveLength(1);
    expect(body.choices[0].index).toBe(0);
    expect(body.choices[0].message.role).toBe("assistant");
    expect(typeof body.choices[0].message.content).toBe("string");
    expect(body.choices[0].message.content.length).toBeGreaterThan(0);
    expect(["stop", "length"]).toContain(body.choices[0].finish_reason);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
  });

  test("a streamed chat completion is SSE chunks ending with data: [DONE]", async () => {
    const response = await fetch(`${main.url}/v1/chat/completions`, post({ ...SEED_PAYLOAD, stream: true }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const text = await response.text();
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    const events = text.slice(0, -2).split("\n\n");
    expect(events.at(-1)).toBe("data: [DONE]");
    const chunks = events.slice(0, -1).map((e) => {
      expect(e.startsWith("data: ")).toBe(true);
      return JSON.parse(e.slice(6)) as Record<string, any>;
    });
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) {
      expect(chunk.object).toBe("chat.completion.chunk");
      expect(chunk.id).toBe(chunks[0]!.id);
      expect(chunk.model).toBe("dummy-model:1.0");
    }
    expect(chunks[0]!.choices[0].delta.role).toBe("assistant");
    expect(chunks.at(-1)!.choices[0].finish_reason).not.toBeNull();
  });

  test("stored responses live in the store's worker thread, which the binary carries: create, read, delete", async () => {
    const created = await fetch(`${main.url}/v1/responses`, post({ model: "dummy-model:1.0", input: "Hello" }));
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as { id: string };
    expect(((await (await fetch(`${main.url}/v1/responses/${id}`)).json()) as { id: string }).id).toBe(id);
    // A delete always asks the worker (after sending it what it has not got yet).
    const deleted = await fetch(`${main.url}/v1/responses/${id}`, { method: "DELETE" });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ id, object: "response", deleted: true });
    expect((await fetch(`${main.url}/v1/responses/${id}`)).status).toBe(404);
    expect(main.run.stdoutLines.some((line) => line.includes("response store"))).toBe(false);
  });

  test("/docs points at the embedded docs/scalar.js, which is served, and /docs/json is OpenAPI", async () => {
    const page = await fetch(`${main.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    expect(html).toContain('src="docs/scalar.js"');

    const script = await fetch(`${main.url}/docs/scalar.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    const bytes = (await script.arrayBuffer()).byteLength;
    expect(bytes).toBeGreaterThan(1_000_000); // the self-contained Scalar bundle is ≈ 4 MB

    const spec = await fetch(`${main.url}/docs/json`);
    expect(spec.status).toBe(200);
    const doc = (await spec.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toContain("/v1/chat/completions");
  });

  test("/console is the bundled page (HTML import): its script and styles come from the binary", async () => {
    const page = await fetch(`${main.url}/console`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("<title>Ollaix console</title>");
    const assets = [...html.matchAll(/(?:src|href)="(\/[^"]+\.(js|css))"/g)];
    expect(assets.map((m) => m[2]).sort()).toEqual(["css", "js"]);
    for (const [, path, kind] of assets) {
      const asset = await fetch(`${main.url}${path}`);
      expect(asset.status).toBe(200);
      const text = await asset.text();
      if (kind === "js") expect(text).toContain("/console/api/"); // the console's own client, uPlot inside
      else expect(text).toContain(".uplot");
    }
    const overview = (await (await fetch(`${main.url}/console/api/overview`)).json()) as { providers: { name: string }[] };
    expect(overview.providers.map((p) => p.name)).toContain("dummy");
  });

  test("tracing on: the compiled binary loads the OpenTelemetry SDK and exports spans over OTLP/protobuf; /metrics counts", async () => {
    const collector = startCollector();
    try {
      const { url } = await startBinary({ PORT: "0", OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: "20" });
      const response = await fetch(`${url}/v1/chat/completions`, {
        ...post({ ...SEED_PAYLOAD, stream: false }),
        headers: { "content-type": "application/json", traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
      });
      expect(response.status).toBe(200);
      const span = await collector.waitForSpan((s) => s.traceId === "4bf92f3577b34da6a3ce929d0e0e4736");
      expect(span.name).toBe("chat dummy-model:1.0");
      expect(span.parentSpanId).toBe("00f067aa0ba902b7");
      expect(collector.requests[0]!.contentType).toBe("application/x-protobuf");
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain('ollaix_requests_total{surface="chat",model="dummy-model:1.0",provider="dummy",key="",status="200"} 1');
    } finally {
      await collector.close();
    }
  });

  test("--healthcheck exits 0 against the running binary and 1 when nothing listens", async () => {
    const port = new URL(main.url).port;
    const cwd = tempDir("hc");
    const ok = await runToExit([BINARY, "--healthcheck"], { cwd, env: minimalEnv({ HOST: "127.0.0.1", PORT: port }) });
    expect(ok.exitCode).toBe(0);
    // HOST=0.0.0.0 is what the Docker image sets: the check then asks the loopback address.
    const wildcard = await runToExit([BINARY, "--healthcheck"], { cwd, env: minimalEnv({ HOST: "0.0.0.0", PORT: port }) });
    expect(wildcard.exitCode).toBe(0);
    const down = await runToExit([BINARY, "--healthcheck"], { cwd, env: minimalEnv({ HOST: "127.0.0.1", PORT: String(freePort()) }) });
    expect(down.exitCode).toBe(1);
  });

  test("PLUGINS_DIR: the echo plugin is served, the broken ones are skipped", async () => {
    const pluginsDir = tempDir("plugins");
    cpSync(join(ROOT, "tests", "fixtures", "plugins-dir"), pluginsDir, { recursive: true });
    const { run, url } = await startBinary({ PORT: "0", PLUGINS_DIR: pluginsDir });

    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);

    const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string; owned_by: string }[] };
    const ids = models.data.map((m) => m.id);
    expect(ids).toContain("echo-1");
    expect(ids).toContain("dummy-model:1.0");
    expect(models.data.find((m) => m.id === "echo-1")!.owned_by).toBe("echo");

    const response = await fetch(`${url}/v1/chat/completions`, post({ model: "echo-1", messages: [{ role: "user", content: "ping from the binary" }] }));
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, any>;
    expect(body.model).toBe("echo-1");
    expect(body.choices[0].message.content).toBe("echo: ping from the binary");

    // The two bad plugins were reported, not fatal.
    const skipped = run.stdoutLines.filter((l) => l.includes("plugin skipped"));
    expect(skipped.some((l) => l.includes("broken.ts"))).toBe(true);
    expect(skipped.length).toBeGreaterThanOrEqual(2);
  });

  test("PLUGINS_DIR: the example plugin (a factory with its own env) and a bundled plugin with an npm dependency", async () => {
    const pluginsDir = tempDir("plugins-examples");
    cpSync(join(ROOT, "examples", "plugins"), pluginsDir, { recursive: true });
    const bundled = await Bun.build({
      entrypoints: [join(ROOT, "tests", "fixtures", "bundled-plugin", "index.ts")],
      target: "bun",
      external: ["ollaix/plugin"],
    });
    expect(bundled.success).toBe(true);
    await Bun.write(join(pluginsDir, "bundled.js"), bundled.outputs[0]!);
    const { url } = await startBinary({ PORT: "0", PLUGINS_DIR: pluginsDir, ECHO_PREFIX: "binary says: " });

    const ids = ((await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string }[] }).data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(["dummy-model:1.0", "echo-1", "bundled-1"]));
    const echo = (await (await fetch(`${url}/v1/chat/completions`, post({ model: "echo-1", messages: [{ role: "user", content: "hi" }] }))).json()) as Record<string, any>;
    expect(echo.choices[0].message.content).toBe("binary says: hi");
    const point = (await (await fetch(`${url}/v1/chat/completions`, post({ model: "bundled-1", messages: [{ role: "user", content: '{"x":1,"y":2}' }] }))).json()) as Record<string, any>;
    expect(point.choices[0].message.content).toBe("a point");
  });

  test("PLUGINS_DIR, unbundled: the binary finds a package in the plugin's own node_modules by its folder's index.js only, never by package.json (docs/plugins.md, \"Ship it\")", async () => {
    const pluginsDir = tempDir("plugins-unbundled");
    const pkg = (plugin: string, name: string, files: Record<string, string>) => {
      for (const [file, text] of Object.entries(files)) {
        mkdirSync(dirname(join(pluginsDir, plugin, "node_modules", name, file)), { recursive: true });
        writeFileSync(join(pluginsDir, plugin, "node_modules", name, file), text);
      }
    };
    const plugin = (name: string, dependency: string) =>
      writeFileSync(
        join(pluginsDir, name, "index.ts"),
        `import { definePlugin } from "ollaix/plugin";
import dependency from "${dependency}";
export default definePlugin({ name: "${name}", models: [{ id: \`${name}-\${dependency.entry}\` }], async chat() { return { choices: [] }; }, async *chatStream() {} });
`,
      );
    // Its package.json names lib/entry.js, which bun src/main.ts loads; the binary loads index.js instead.
    pkg("rooted", "dual", { "package.json": '{"name":"dual","main":"./lib/entry.js"}', "lib/entry.js": 'exports.entry = "main";', "index.js": 'exports.entry = "index";' });
    plugin("rooted", "dual");
    // No index.js: the binary cannot find it at all.
    pkg("mained", "mainonly", { "package.json": '{"name":"mainonly","main":"./lib/entry.js"}', "lib/entry.js": 'exports.entry = "main";' });
    plugin("mained", "mainonly");
    const env = minimalEnv({ PLUGINS_DIR: pluginsDir, OLLAMA_BASE_URL: `http://127.0.0.1:${freePort()}` });
    const binary = await runToExit([BINARY, "models"], { cwd: tempDir("cwd"), env });
    expect(binary.stdout).toContain("rooted (1 model)\n  rooted-index");
    expect(binary.stdout).not.toContain("mained");
    expect(binary.stderr).toContain("Cannot find package 'mainonly'");
    const source = await runToExit([process.execPath, join(ROOT, "src", "main.ts"), "models"], { cwd: tempDir("cwd"), env });
    expect(source.stdout).toContain("rooted (1 model)\n  rooted-main");
    expect(source.stdout).toContain("mained (1 model)\n  mained-main");
  });

  test("PORT=abc stops the binary with a non-zero exit and a message naming PORT", async () => {
    const result = await runToExit([BINARY], { cwd: tempDir("badport"), env: minimalEnv({ PORT: "abc" }) });
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain("PORT");
  });
});

describe("the compiled binary reads a YAML config file", () => {
  test("the `yaml` package that finds a repeated key is bundled (it is imported only for a YAML file)", async () => {
    const dir = tempDir("yaml-config");
    const good = join(dir, "good.yaml");
    const repeated = join(dir, "repeated.yaml");
    writeFileSync(good, "plugins:\n  dummy: { enabled: true }\n");
    writeFileSync(repeated, "plugins:\n  dummy:\n    enabled: true\n    enabled: false\n");
    const ok = await runToExit([BINARY, "check-config", good], { cwd: dir, env: minimalEnv() });
    expect(ok.stderr).toBe("");
    expect(ok.exitCode).toBe(0);
    const refused = await runToExit([BINARY, "check-config", repeated], { cwd: dir, env: minimalEnv() });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain("'plugins.dummy.enabled' at line 4 is given already at line 3");
  });
});
