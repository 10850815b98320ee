import type { ConsoleKey, KeysSource } from "../console/keys.ts";
import type { LimitState } from "../limits/limit-state.ts";
import type { KeyStore } from "./key-store.ts";

/**
 * The console's Keys tab: every key by name (never the key), its allowed models, its limits and
 * what it has used of each in the current windows (this minute, this UTC day), read from the same
 * counters the limits use (Redis when shared).
 */
export function keyUsageOf(keys: KeyStore, state: LimitState | undefined): KeysSource {
  return () =>
    Promise.all(
      keys.records.map(async (record): Promise<ConsoleKey> => {
        const limits = record.limits ?? {};
        const used = state && record.limits ? await state.usage(record.name, Date.now()) : undefined;
        return {
          name: record.name,
          models: record.models,
          limits: { rpm: limits.rpm, tpm: limits.tpm, tokens_per_day: limits.tokensPerDay },
          // Tokens are counted only for a key with a token limit: for another, its figures would read as none used.
          usage: used ? (limits.tpm !== undefined || limits.tokensPerDay !== undefined ? { rpm: used.requests, tpm: used.minuteTokens, tokens_per_day: used.dayTokens } : { rpm: used.requests }) : {},
        };
      }),
    );
}
