import type { Config } from "../../../config.ts";
import { MemoryResponseStore } from "./memory-store.ts";
import { RedisResponseStore } from "./redis-store.ts";
import type { ResponseStore } from "./response-store.ts";

/** Redis when `REDIS_URL` is set (every replica shares it), else this process's memory. */
export function createResponseStore(config: Pick<Config, "redisUrl" | "responsesTtlS" | "responsesMemoryBytes">): ResponseStore {
  return config.redisUrl
    ? new RedisResponseStore(config.redisUrl, config.responsesTtlS)
    : new MemoryResponseStore(config.responsesTtlS, { maxBytes: config.responsesMemoryBytes });
}
