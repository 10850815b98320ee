import type { Config } from "../config.ts";
import type { ConfigProblems } from "../config-problems.ts";
import { ConfigError, type EnvSource } from "../env.ts";
import type { SettingsCheck } from "../settings-file.ts";
import { KeyStore } from "./key-store.ts";

/**
 * The keys of the checked file and of OLLAIX_API_KEYS, their problems (a key variable not set, one
 * key twice) added to `problems` instead of thrown, so that they are named with the file's and the
 * plugins' in one run. A key the file's check refused is left out, reported already; the others are
 * read. With a problem the store is empty: start-up stops over `problems` before using it.
 */
export function readKeys(
  checked: SettingsCheck,
  config: Pick<Config, "apiKeys" | "configFile">,
  env: EnvSource,
  addSecret: (value: string) => void,
  problems: ConfigProblems,
): KeyStore {
  const keys = checked.settings.keys;
  const usable = Array.isArray(keys) ? keys.map((key, i) => (checked.passed(`keys[${i}]`) ? key : undefined)) : undefined;
  try {
    return KeyStore.from(usable, config.apiKeys, env, addSecret, config.configFile);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.inFile(error.problems);
    return new KeyStore();
  }
}
