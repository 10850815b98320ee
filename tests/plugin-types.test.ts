import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const tsc = join(root, "node_modules/.bin/tsc");

/**
 * The kit's published types: `bun run build:types` emits .d.ts files, and a plugin outside this
 * repository type-checks against them alone (no Ollaix sources), as in an author's editor.
 */
test("an external plugin type-checks against the emitted .d.ts of ollaix/plugin", () => {
  const out = mkdtempSync(join(tmpdir(), "ollaix-types-"));
  const build = Bun.spawnSync([tsc, "-p", join(root, "tsconfig.types.json"), "--outDir", out], { cwd: root });
  expect(build.stdout.toString() + build.stderr.toString()).toBe("");
  expect(build.exitCode).toBe(0);

  const project = mkdtempSync(join(tmpdir(), "ollaix-plugin-project-"));
  const check = (source: string) => {
    writeFileSync(join(project, "plugin.ts"), source);
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: "Preserve",
          moduleResolution: "bundler",
          target: "ESNext",
          skipLibCheck: true,
          allowImportingTsExtensions: true,
          types: [],
          // The kit's types, and the packages its declarations mention, from this checkout.
          typeRoots: [join(root, "node_modules/@types")],
          paths: {
            "ollaix/plugin": [join(out, "src/kit.d.ts")],
            "@sinclair/typebox": [join(root, "node_modules/@sinclair/typebox")],
            "@sinclair/typebox/*": [join(root, "node_modules/@sinclair/typebox/*")],
          },
        },
        files: ["plugin.ts"],
      }),
    );
    const run = Bun.spawnSync([tsc, "-p", join(project, "tsconfig.json")], { cwd: project });
    return run.stdout.toString() + run.stderr.toString();
  };

  const good = `import { definePlugin, Type, UpstreamError, type ChunkResult } from "ollaix/plugin";
export default definePlugin({
  name: "mine",
  env: Type.Object({ MINE_URL: Type.String({ default: "http://127.0.0.1:1" }) }),
  create(host) {
    const url: string = host.env.MINE_URL;
    return {
      name: "mine",
      async models(ctx) {
        try {
          return [{ id: "m-1" }];
        } catch (error) {
          // As docs/plugins.md says: a discovery that serves a list of its own reports the failure first.
          ctx.failed(error);
          return [{ id: "m-1" }];
        }
      },
      async chat(request, ctx) {
        if (!url) throw new UpstreamError("no url");
        return { choices: [{ index: 0, message: { content: request.messages.length + ctx.model }, finish_reason: "stop" }] };
      },
      async *chatStream(): AsyncGenerator<ChunkResult> {
        yield { choices: [{ index: 0, delta: { content: "x" }, finish_reason: "stop" }] };
      },
    };
  },
});
`;
  expect(check(good)).toBe("");
  // And the types really constrain: a finish reason OpenAI does not have is an error.
  expect(check(good.replace('finish_reason: "stop" }] };\n      },\n      async', 'finish_reason: "done" }] };\n      },\n      async'))).toContain("error TS");
}, 60_000); // two TypeScript runs; slow on a busy 2-core machine
