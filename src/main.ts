import { runCli } from "./cli/run.ts";

// `bun src/main.ts …` and the compiled binary alike: argv[0] is bun (or the binary), argv[1] the
// script (or the binary again), then the user's arguments.
runCli(process.argv.slice(2), process.env).then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`ollaix: failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exit(1);
  },
);
