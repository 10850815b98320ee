import type { Config } from "../../../config.ts";
import type { RedisHang } from "../../../redis-hang.ts";
import { RedisResponseStore } from "./redis-store.ts";
import type { ResponseStore } from "./response-store.ts";
import { WorkerResponseStore } from "./worker-store.ts";

/** Redis when `REDIS_URL` is set (every replica shares it), else this process's memory, held by a worker thread. */
export function createResponseStore(
  config: Pick<Config, "redisUrl" | "responsesTtlS" | "responsesMemoryBytes"> & Partial<Pick<Config, "redisTimeoutMs">>,
  onError?: (message: string) => void,
  hang?: RedisHang,
): ResponseStore {
  return config.redisUrl
    ? new RedisResponseStore(config.redisUrl, config.responsesTtlS, config.redisTimeoutMs, hang)
    : new WorkerResponseStore({ ttlSeconds: config.responsesTtlS, maxBytes: config.responsesMemoryBytes }, onError);
}
