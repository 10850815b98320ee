import { sameDigest, sha256 } from "../sha256.ts";
import { ConfigError, type EnvSource } from "../env.ts";
import type { KeySettings } from "../settings-schema.ts";
import { compileGlobs } from "./glob.ts";

export interface KeyLimits {
  rpm?: number;
  tpm?: number;
  tokensPerDay?: number;
}

/**
 * An OLLAIX_API_KEYS key's owner id: a digest of the key under its own label (not the digest the
 * key is checked against), 128 bits in hex; `:` keeps it apart from any configured key's name.
 */
const ownerOfApiKey = (key: string): string => `key:${Buffer.from(sha256(`ollaix-owner\n${key}`)).toString("hex", 0, 16)}`;

/** One key as the gateway knows it: never the key itself, only its name, models and limits. */
export interface KeyRecord {
  name: string;
  /**
   * Who owns what the key stores (responses, conversations): a configured key's name (its value may
   * be rotated), an OLLAIX_API_KEYS key's digest, not its place in the list (`api-key-N`, its name in
   * logs), so that removing or reordering a key hands nothing of its to another. Never logged.
   */
  owner: string;
  /** Undefined: every model and route. */
  allows?: (id: string) => boolean;
  /** The `models` globs as configured (for the console); undefined: every model. */
  models?: readonly string[];
  /** Undefined when the key has no limit at all (no shared state is touched for it). */
  limits?: KeyLimits;
}

/**
 * Every key the gateway accepts: the settings file's `keys` and the OLLAIX_API_KEYS short form
 * (all models, no limits). A presented key is hashed and compared with every stored digest by
 * timingSafeEqual, without stopping at a match, so neither a key's content nor its position leaks
 * through timing; the keys themselves are not kept.
 */
export class KeyStore {
  readonly #digests: Uint8Array[] = [];
  readonly #records: KeyRecord[] = [];

  /**
   * Reads each key's value (from its variable) once; `addSecret` keeps them out of logs. An
   * undefined entry of `keys` is one the file's check refused: skipped, the others keep their index.
   */
  static from(
    keys: readonly (KeySettings | undefined)[] | undefined,
    apiKeys: readonly string[],
    env: EnvSource,
    addSecret: (value: string) => void,
    file?: string,
  ): KeyStore {
    const store = new KeyStore();
    const problems: string[] = [];
    const names = new Set<string>();
    /** Each key's digest (hex) → where it was first configured. */
    const seen = new Map<string, number>();
    (keys ?? []).forEach((key, i) => {
      if (key === undefined) return;
      if (names.has(key.name)) problems.push(`keys[${i}].name: ${JSON.stringify(key.name)} is used by another key`);
      names.add(key.name);
      let digest: Uint8Array | undefined;
      if (key.key_sha256 !== undefined) digest = Buffer.from(key.key_sha256.toLowerCase(), "hex");
      else if (key.key_env !== undefined) {
        const value = env[key.key_env]?.trim();
        if (!value) problems.push(`keys[${i}].key_env: the environment variable ${key.key_env} is not set`);
        else {
          addSecret(value);
          digest = sha256(value);
        }
      }
      if (!digest) return;
      // The same key twice: only the first would ever match, and the second's models and limits never apply.
      const hex = Buffer.from(digest).toString("hex");
      const first = seen.get(hex);
      if (first !== undefined) {
        problems.push(`keys[${i}]: the same key as keys[${first}] (${JSON.stringify(keys![first]!.name)}); a key value can be configured once`);
        return;
      }
      seen.set(hex, i);
      const limits: KeyLimits = {};
      if (key.rpm !== undefined) limits.rpm = key.rpm;
      if (key.tpm !== undefined) limits.tpm = key.tpm;
      if (key.tokens_per_day !== undefined) limits.tokensPerDay = key.tokens_per_day;
      store.#add(digest, {
        name: key.name,
        owner: key.name,
        allows: key.models ? compileGlobs(key.models) : undefined,
        models: key.models,
        limits: Object.keys(limits).length > 0 ? limits : undefined,
      });
    });
    // OLLAIX_API_KEYS' keys are named api-key-1, api-key-2…: a configured key of one of those names would share their stored responses and counters.
    (keys ?? []).forEach((key, i) => {
      if (key === undefined) return;
      const at = /^api-key-([1-9]\d*)$/.exec(key.name);
      if (at && Number(at[1]) >= 1 && Number(at[1]) <= apiKeys.length) {
        problems.push(`keys[${i}].name: ${JSON.stringify(key.name)} is the name of OLLAIX_API_KEYS' key ${at[1]}; choose another name`);
      }
    });
    // A configured key given again in OLLAIX_API_KEYS would be matched as the configured one alone.
    apiKeys.forEach((key, i) => {
      const first = seen.get(Buffer.from(sha256(key)).toString("hex"));
      if (first !== undefined) problems.push(`OLLAIX_API_KEYS: its key ${i + 1} is keys[${first}] (${JSON.stringify(keys![first]!.name)}) of the config file too; configure a key once`);
    });
    if (problems.length > 0) throw new ConfigError(`OLLAIX_CONFIG=${JSON.stringify(file)}: ${problems.join("; ")}`, { problems });
    apiKeys.forEach((key, i) => store.#add(sha256(key), { name: `api-key-${i + 1}`, owner: ownerOfApiKey(key) }));
    return store;
  }

  #add(digest: Uint8Array, record: KeyRecord): void {
    this.#digests.push(digest);
    this.#records.push(record);
  }

  /** Whether any key is configured (then every model call needs one). */
  get isEnabled(): boolean {
    return this.#digests.length > 0;
  }

  get records(): readonly KeyRecord[] {
    return this.#records;
  }

  /** The key's record, or undefined for a missing or unknown key. */
  identify(presented: string | undefined): KeyRecord | undefined {
    if (presented === undefined || presented === "") return undefined;
    const digest = sha256(presented);
    let found = -1;
    for (let i = 0; i < this.#digests.length; i++) {
      // No early exit: every digest is compared whatever matched before.
      if (sameDigest(digest, this.#digests[i]!) && found === -1) found = i;
    }
    return found === -1 ? undefined : this.#records[found];
  }
}
