import { builtinPlugins } from "../../plugins/index.ts";
import { VERSION } from "../app.ts";
import { ConfigError, type EnvSource } from "../env.ts";
import { ListenError } from "../server.ts";
import { parseCommandLine, UsageError, type EnvOverrides } from "./args.ts";
import { checkConfig } from "./check-config.ts";
import { listEnvironment } from "./environment.ts";
import { usageText } from "./help.ts";
import { listModels } from "./models.ts";
import { processOutput, type Output } from "./output.ts";
import { PluginLoadError, testPlugin } from "./plugin-test.ts";
import { healthcheck, serve } from "./serve.ts";

/** Exit codes: 0 done, 1 failed (a check, a port in use, an upstream down), 2 bad usage or configuration. */
const EXIT_USAGE = 2;

/** The environment a command sees: the process's, with what flags set on top. */
const withOverrides = (env: EnvSource, overrides: EnvOverrides): EnvSource => ({ ...env, ...overrides });

/** The short-lived commands log warnings only, unless LOG_LEVEL says otherwise. */
const quiet = (env: EnvSource): EnvSource => ({ ...env, LOG_LEVEL: env.LOG_LEVEL?.trim() ? env.LOG_LEVEL : "warn" });

/**
 * Runs one command line. Returns the exit code, or undefined for `serve`, which keeps the process
 * alive until a signal.
 */
export async function runCli(argv: readonly string[], env: EnvSource, io: Output = processOutput): Promise<number | undefined> {
  try {
    const command = parseCommandLine(argv);
    switch (command.kind) {
      case "help":
        io.out(usageText(VERSION, listEnvironment(builtinPlugins)));
        return 0;
      case "version":
        io.out(`ollaix ${VERSION}\n`);
        return 0;
      case "healthcheck":
        return await healthcheck(withOverrides(env, command.env));
      case "check-config":
        return await checkConfig(quiet(withOverrides(env, command.env)), io);
      case "models":
        return await listModels(quiet(withOverrides(env, command.env)), io);
      case "plugin-test":
        return await testPlugin({ ...command, env: quiet(withOverrides(env, command.env)) }, io);
      case "serve":
        await serve(withOverrides(env, command.env));
        return undefined;
      default: {
        const unknown: never = command;
        throw new Error(`unhandled command ${JSON.stringify(unknown)}`);
      }
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`ollaix: ${error.message}\nRun 'ollaix --help' for usage.\n`);
      return EXIT_USAGE;
    }
    if (error instanceof ConfigError) {
      io.err(`ollaix: invalid configuration: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof PluginLoadError) {
      io.err(`ollaix: ${error.message}\n`);
      return 1;
    }
    if (error instanceof ListenError) {
      io.err(`ollaix: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
