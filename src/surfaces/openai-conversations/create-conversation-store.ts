import type { Config } from "../../config.ts";
import type { RedisHang } from "../../redis-hang.ts";
import { type ConversationStore, MemoryConversationStore } from "./conversation-store.ts";
import { RedisConversationStore } from "./redis-conversation-store.ts";

/** Redis when `REDIS_URL` is set (every replica sees every conversation), else this process's memory, with as much room as the response store has. */
export function createConversationStore(config: Pick<Config, "redisUrl" | "conversationsTtlS" | "responsesMemoryBytes"> & Partial<Pick<Config, "redisTimeoutMs">>, hang?: RedisHang): ConversationStore {
  return config.redisUrl
    ? new RedisConversationStore(config.redisUrl, config.conversationsTtlS, config.redisTimeoutMs, undefined, hang)
    : new MemoryConversationStore({ ttlSeconds: config.conversationsTtlS, maxBytes: config.responsesMemoryBytes });
}
