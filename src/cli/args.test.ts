import { expect, test } from "bun:test";
import { parseCommandLine } from "./args.ts";

test.each([
  [[], { kind: "serve", env: {} }],
  [["serve", "--port", "9000", "--host", "0.0.0.0"], { kind: "serve", env: { PORT: "9000", HOST: "0.0.0.0" } }],
  [["--config", "a.yaml"], { kind: "serve", env: { OLLAIX_CONFIG: "a.yaml" } }],
  [["-h"], { kind: "help" }],
  [["help"], { kind: "help" }],
  [["models", "--help"], { kind: "help" }],
  [["-v"], { kind: "version" }],
  [["--healthcheck", "--port=8001"], { kind: "healthcheck", env: { PORT: "8001" } }],
  [["check-config"], { kind: "check-config", env: {} }],
  [["check-config", "b.yaml", "--config", "a.yaml"], { kind: "check-config", env: { OLLAIX_CONFIG: "b.yaml" } }],
  [["models"], { kind: "models", env: {} }],
  [["plugin", "test", "./p", "--model", "m-1"], { kind: "plugin-test", dir: "./p", model: "m-1", embeddingModel: undefined, env: {} }],
])("%j", (argv, command) => {
  expect(parseCommandLine(argv)).toEqual(command as never);
});

test.each([
  [["--bogus"], "unknown option --bogus"],
  [["-x"], "unknown option -x"],
  [["frob"], "unknown command 'frob'"],
  [["plugin"], "'plugin' needs a subcommand: plugin test DIR"],
  [["plugin", "test", "a", "b"], "unexpected argument 'b' after 'plugin test a'"],
  [["check-config", "a", "b"], "unexpected argument 'b' after 'check-config'"],
  [["models", "--model", "x"], "--model is an option of 'plugin test' only"],
  [["--healthcheck", "models"], "--healthcheck takes no command (got 'models')"],
  [["--port"], "--port needs a value"],
])("%j is a usage error", (argv, message) => {
  expect(() => parseCommandLine(argv)).toThrow(expect.objectContaining({ name: "UsageError", message }));
});
