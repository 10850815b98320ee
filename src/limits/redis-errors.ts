/**
 * Replies by which Redis says it cannot serve any command now, not that it refused this one: its
 * data set loading after a restart, a script running too long, a failover that left it a replica
 * (or without its master), a cluster down, writes stopped (a failed save, memory full).
 */
const NOT_SERVING = /^(LOADING|BUSY|MASTERDOWN|READONLY|CLUSTERDOWN|MISCONF|OOM)\b/;

/**
 * Whether a Redis client's error says Redis is away (no connection, no answer in time, or a reply
 * that it serves nothing now): every key's command would fail. A reply error otherwise (a bad
 * argument, a script's error, a key holding another type) is that one command's, and says nothing
 * of the others. Bun's client gives each reply error the code ERR_REDIS_SERVER_ERROR, and a lost or
 * refused connection another (ERR_REDIS_CONNECTION_CLOSED, …).
 */
export function isUnreachable(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code !== "ERR_REDIS_SERVER_ERROR" || NOT_SERVING.test(String(message));
}
