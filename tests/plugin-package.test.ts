// The plugin kit outside the checkout: the echo example, copied to a folder of its own, installs
// Ollaix from this checkout (its package.json's `file:` dependency, offline from bun's cache when it can),
// type-checks against `ollaix/plugin` and passes its own `bun test`, conformance suite included.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, runToExit } from "./helpers/binary.ts";
import { minimalEnv, removeTempDirs, tempDir } from "./helpers/process.ts";

const ECHO = join(ROOT, "examples", "plugins", "echo");
let folder: string;
let install: Awaited<ReturnType<typeof runToExit>>;

beforeAll(async () => {
  folder = join(tempDir("echo-package"), "echo");
  cpSync(ECHO, folder, { recursive: true, filter: (source) => !/[\\/](?:node_modules|bun\.lock)$/.test(source) });
  // The example points at the checkout it lives in (`file:../../..`); from its copy, that is ROOT.
  const manifest = JSON.parse(readFileSync(join(folder, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
  expect(manifest.devDependencies.ollaix).toBe("file:../../..");
  manifest.devDependencies.ollaix = `file:${ROOT}`;
  writeFileSync(join(folder, "package.json"), JSON.stringify(manifest, null, 2));
  // What `bun init` gives a new project, which is what the plugin guide starts from.
  writeFileSync(
    join(folder, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        lib: ["ESNext"],
        target: "ESNext",
        module: "Preserve",
        moduleDetection: "force",
        moduleResolution: "bundler",
        allowImportingTsExtensions: true,
        verbatimModuleSyntax: true,
        noEmit: true,
        strict: true,
        skipLibCheck: true,
        types: ["bun"],
      },
    }),
  );
  install = await runToExit([process.execPath, "install", "--offline"], { cwd: folder, env: minimalEnv() }, 120_000);
  // Offline needs the registry's manifests in bun's cache, and an install from a lockfile (the
  // checkout's, in CI) fetches none: then the registry is asked once, which fills the cache.
  if (install.exitCode !== 0 && install.stderr.includes("failed to resolve")) {
    install = await runToExit([process.execPath, "install"], { cwd: folder, env: minimalEnv() }, 120_000);
  }
}, 150_000);
// A node_modules of a few hundred packages: slower to remove than a hook's default 5 s on a busy machine.
afterAll(() => removeTempDirs(), 60_000);

test("bun install installs ollaix from the checkout path", () => {
  expect(install.exitCode, install.stderr).toBe(0);
  expect(existsSync(join(folder, "node_modules", "ollaix", "src", "kit.ts"))).toBe(true);
});

test("the example's own bun test passes from its folder, through the installed ollaix/plugin/testing", async () => {
  const run = await runToExit([process.execPath, "test"], { cwd: folder, env: minimalEnv() }, 120_000);
  const output = run.stdout + run.stderr;
  expect(run.exitCode, output).toBe(0);
  expect(output).toContain("plugin conformance > streams chunks");
  expect(output).toMatch(/\b0 fail\b/);
  // The kit came from the installed package, not from this checkout's sources.
  const where = await runToExit([process.execPath, "-e", 'console.log(import.meta.resolve("ollaix/plugin/testing"))'], { cwd: folder, env: minimalEnv() });
  expect(where.stdout.trim()).toBe(`file://${join(folder, "node_modules", "ollaix", "src", "testing", "conformance.ts")}`);
}, 120_000);

test("the example type-checks against ollaix/plugin, and a wrong type is an error", async () => {
  const tsc = join(ROOT, "node_modules", ".bin", "tsc");
  const clean = await runToExit([tsc, "-p", "."], { cwd: folder, env: minimalEnv() }, 120_000);
  expect(clean.stdout + clean.stderr).toBe("");
  expect(clean.exitCode).toBe(0);
  const reply = join(folder, "reply.ts");
  writeFileSync(reply, readFileSync(reply, "utf8").replace('finish_reason: "stop" }],\n    usage', 'finish_reason: "done" }],\n    usage'));
  const broken = await runToExit([tsc, "-p", "."], { cwd: folder, env: minimalEnv() }, 120_000);
  expect(broken.exitCode).not.toBe(0);
  expect(broken.stdout).toContain("reply.ts");
}, 150_000);
