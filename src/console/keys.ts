/** The limits the contract's keys may carry (`OLLAIX_CONFIG` → `keys`). */
export interface KeyLimits {
  rpm?: number;
  tpm?: number;
  tokens_per_day?: number;
}

/** One virtual key as the console shows it: its name, never the key itself. */
export interface ConsoleKey {
  name: string;
  /** Allowed ids and routes (`*` globs); absent = every model. */
  models?: readonly string[];
  limits: KeyLimits;
  /** Use of each limit right now: this minute's requests and tokens, today's tokens. */
  usage: KeyLimits;
}

/**
 * Where the console reads keys from. The keys module plugs in here (`createApp({ keys })`);
 * without it the console says no keys are configured.
 */
export type KeysSource = () => readonly ConsoleKey[] | Promise<readonly ConsoleKey[]>;
