import { ConfigError } from "../env.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { RedisHang } from "../redis-hang.ts";
import { InProcessState, type LimitState } from "./limit-state.ts";
import { RedisState } from "./redis-state.ts";

/**
 * In-process counters, or Redis when REDIS_URL is set. The URL is checked without echoing it (it
 * may hold a password); its password is registered as a secret.
 */
export async function createLimitState(config: Readonly<Config>, logger: Logger, addSecret: (value: string) => void, hang?: RedisHang): Promise<LimitState> {
  if (!config.redisUrl) return new InProcessState();
  let url: URL;
  try {
    url = new URL(config.redisUrl);
  } catch {
    throw new ConfigError("REDIS_URL is invalid: expected redis://[user:pass@]host:port[/db]");
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new ConfigError("REDIS_URL is invalid: expected redis://[user:pass@]host:port[/db] (or rediss://)");
  }
  if (url.password) addSecret(decodeURIComponent(url.password));
  const state = new RedisState(config.redisUrl, config.redisFailureMode, logger, config.redisTimeoutMs, hang);
  await state.start();
  return state;
}
