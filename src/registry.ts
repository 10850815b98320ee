import { within } from "./deadline.ts";
import { ConfigError } from "./env.ts";
import { ModelNotFoundError } from "./errors.ts";
import { nowSeconds } from "./ids.ts";
import type { Logger } from "./logger.ts";
import { ModelLookups } from "./model-lookups.ts";
import { RepeatLimiter } from "./observe/repeat-limiter.ts";
import { INSTANCE_NAME_PATTERN, type DiscoveryContext, type ModelInfo, type Provider } from "./plugin.ts";
import type { Model } from "./schemas/models.ts";

export interface ResolvedModel {
  provider: Provider;
  /** The id as the provider knows it. */
  upstreamId: string;
  /** The model's `context_length` when its provider lists one (for the core's `max_tokens` check). */
  contextLength?: number;
}

interface Listed extends ResolvedModel {
  model: Model;
}

const DEFAULT_REFRESH_MS = 60_000;
/** Longest pause between discoveries of an upstream that keeps failing. */
export const MAX_DISCOVERY_BACKOFF_MS = 5 * 60_000;

/**
 * The wait before the next discovery: the provider's interval while it answers; after `failures`
 * failures in a row, that interval doubled per failure up to five minutes (never below the interval).
 */
export function nextDiscoveryDelay(everyMs: number, failures: number): number {
  if (failures === 0) return everyMs;
  return Math.max(everyMs, Math.min(everyMs * 2 ** Math.min(failures, 20), MAX_DISCOVERY_BACKOFF_MS));
}

/** Control characters, which no listed model id holds. */
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Provider instances and their models, in a fixed order (the order they were added). Listing and
 * resolution follow the contract's "Models" section: a bare id belongs to the first instance that
 * lists it, later ones list it as `<instance>/<id>`; a requested id is an exact listed id, else
 * `<instance>/<rest>` handed to that instance.
 */
const FELL_BACK = "model discovery failed; serving the provider's own list";
const DISCOVERY_FAILED = "model discovery failed; keeping the last known list";

export class ModelRegistry {
  readonly #providers: Provider[] = [];
  readonly #byName = new Map<string, Provider>();
  readonly #lists = new Map<Provider, readonly ModelInfo[]>();
  readonly #timers = new Map<Provider, ReturnType<typeof setTimeout>>();
  readonly #failures = new Map<Provider, number>();
  readonly #repeats: RepeatLimiter;
  /** Upstreams' answers about models they did not list, kept a while. */
  readonly #lookups: ModelLookups;
  #isStopped = false;
  #index = new Map<string, Listed>();
  #listing: Model[] = [];
  readonly #startedAt = nowSeconds();

  /**
   * Settles when the first discovery round is done (or its wait ran out). The server listens
   * before that, so /health answers at once; /v1/* requests wait for it while `isReady` is false.
   */
  ready: Promise<void> = Promise.resolve();
  /** Settles once every provider's first discovery has (whatever `ready`'s wait). */
  discovered: Promise<void> = Promise.resolve();
  isReady = true;

  constructor(
    private readonly logger: Logger,
    now: () => number = Date.now,
  ) {
    this.#repeats = new RepeatLimiter(logger, now);
    this.#lookups = new ModelLookups(now);
  }

  get providers(): readonly Provider[] {
    return this.#providers;
  }

  /**
   * Adds an instance. A name already taken stops start-up (ConfigError): ids must stay
   * unambiguous, and an upstream named like a built-in is a configuration mistake.
   */
  add(provider: Provider): boolean {
    if (!INSTANCE_NAME_PATTERN.test(provider.name)) {
      this.logger.error("provider skipped: invalid instance name", { provider: provider.name });
      return false;
    }
    if (this.#byName.has(provider.name)) {
      throw new ConfigError(`the instance name ${JSON.stringify(provider.name)} is used twice; every provider instance needs its own name`);
    }
    this.#providers.push(provider);
    this.#byName.set(provider.name, provider);
    if (Array.isArray(provider.models)) this.#lists.set(provider, provider.models);
    this.#rebuild();
    return true;
  }

  /**
   * Runs every discovery once (in parallel), then keeps refreshing in the background. Start-up
   * waits at most `waitMs` for the first round, so a slow upstream never delays serving the others;
   * a discovery still running then completes in the background.
   */
  start(ctx: Omit<DiscoveryContext, "signal">, timeoutMs: number, waitMs = timeoutMs): Promise<void> {
    this.isReady = false;
    // Each refresh settles within `timeoutMs` (its own deadline), so none holds up the others.
    const firsts = new Map(this.#providers.map((p) => [p, this.refresh(p, ctx, timeoutMs)]));
    const first = Promise.all(firsts.values());
    this.discovered = first.then(() => undefined, () => undefined);
    let timer: ReturnType<typeof setTimeout> | undefined;
    this.ready = Promise.race([first, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]).then(() => {
      clearTimeout(timer);
      this.isReady = true;
    });
    this.#isStopped = false;
    for (const provider of this.#providers) {
      if (typeof provider.models !== "function") continue;
      const every = provider.refreshIntervalMs ?? DEFAULT_REFRESH_MS;
      const schedule = () => {
        if (this.#isStopped) return;
        const timer = setTimeout(async () => {
          await this.refresh(provider, ctx, timeoutMs);
          schedule();
        }, nextDiscoveryDelay(every, this.#failures.get(provider) ?? 0));
        timer.unref();
        this.#timers.set(provider, timer);
      };
      // Its own first discovery settles first (a failure there already counts for the back-off);
      // another provider's slow one does not delay its refreshes.
      void firsts.get(provider)?.then(schedule);
    }
    return this.ready;
  }

  stop(): void {
    this.#isStopped = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  /** The log message of a discovery that failed and served the provider's own list (`DiscoveryContext.failed`). */
  static readonly FELL_BACK = FELL_BACK;
  /** The log message of a discovery that threw or gave no answer in time (`error`: why, such as `no answer within 10000 ms`). */
  static readonly DISCOVERY_FAILED = DISCOVERY_FAILED;

  /**
   * One discovery of one provider, settled within `timeoutMs` whether or not the plugin honours its
   * signal. A failure (a discovery with no answer in time too) keeps the last known list and is
   * logged: the first time at once, the same failure again only as a summary every 10 minutes, and
   * its end at info.
   */
  async refresh(provider: Provider, ctx: Omit<DiscoveryContext, "signal">, timeoutMs: number): Promise<void> {
    if (typeof provider.models !== "function") return;
    const subject = `discovery:${provider.name}`;
    try {
      let fellBack: unknown;
      const models = await within(
        provider.models({ ...ctx, signal: AbortSignal.timeout(timeoutMs), failed: (error) => (fellBack = error ?? "failed") }),
        timeoutMs,
        () => new Error(`no answer within ${timeoutMs} ms`),
      );
      if (!Array.isArray(models)) throw new TypeError("models() did not return an array");
      this.#lists.set(provider, models);
      this.#rebuild();
      if (fellBack !== undefined) {
        // Its own list is served, and the upstream could still not be asked: a failure, logged as one.
        const failures = (this.#failures.get(provider) ?? 0) + 1;
        this.#failures.set(provider, failures);
        this.#repeats.warn(subject, FELL_BACK, fellBack instanceof Error ? fellBack.message : String(fellBack), {
          provider: provider.name,
          next_try_s: Math.round(nextDiscoveryDelay(provider.refreshIntervalMs ?? DEFAULT_REFRESH_MS, failures) / 1000),
        });
        return;
      }
      this.#failures.delete(provider);
      this.#repeats.clear(subject, "model discovery recovered", { provider: provider.name, models: models.length });
    } catch (error) {
      const failures = (this.#failures.get(provider) ?? 0) + 1;
      this.#failures.set(provider, failures);
      this.#repeats.warn(subject, DISCOVERY_FAILED, error instanceof Error ? error.message : String(error), {
        provider: provider.name,
        next_try_s: Math.round(nextDiscoveryDelay(provider.refreshIntervalMs ?? DEFAULT_REFRESH_MS, failures) / 1000),
      });
    }
  }

  list(): readonly Model[] {
    return this.#listing;
  }

  /**
   * The model with this id, for `GET /v1/models/{id}`; resolves `<instance>/<id>` too. An id the
   * instance does not list is 404 unless the provider confirms it exists (`modelExists`), whose
   * answer is kept a while (model-lookups.ts); `admit` runs before the provider is asked (a key's
   * limits), not when a kept answer serves.
   */
  async describe(id: string, ctx: DiscoveryContext, admit?: () => Promise<unknown>): Promise<Model> {
    const listed = this.#listed(id);
    if (listed) return listed.model;
    const { provider, upstreamId } = this.resolve(id);
    const known = this.#lists.get(provider)?.find((m) => m.id === upstreamId);
    if (!known) {
      const exists = provider.modelExists;
      const found = exists !== undefined && (await this.#lookups.has(provider.name, upstreamId, async () => (await admit?.(), exists.call(provider, upstreamId, ctx))));
      if (!found) throw new ModelNotFoundError(id);
    }
    return this.#toModel(provider, { ...known, id: upstreamId }, id);
  }

  /**
   * The bounded metric label of a model id: the id `/v1/models` lists for the model it names (an id
   * without a tag names its `:latest`; `<instance>/<id>` a model that instance lists), "" for any
   * other (an id a provider merely accepts).
   */
  labelOf(id: string): string {
    const listed = this.#listed(id);
    if (listed) return listed.model.id;
    const slash = id.indexOf("/");
    if (slash <= 0) return "";
    const provider = this.#byName.get(id.slice(0, slash));
    if (!provider) return "";
    const rest = id.slice(slash + 1);
    const own = this.#index.get(rest) ?? this.#index.get(id);
    return own?.provider === provider && own.upstreamId === rest ? own.model.id : "";
  }

  resolve(id: string): ResolvedModel {
    const listed = this.#listed(id);
    if (listed) return listed;
    const slash = id.indexOf("/");
    if (slash > 0) {
      const provider = this.#byName.get(id.slice(0, slash));
      const rest = id.slice(slash + 1);
      if (provider && rest) {
        const known = this.#lists.get(provider)?.find((m) => m.id === rest);
        if (known) return { provider, upstreamId: rest, contextLength: contextLengthOf(known) };
        const upstreamId = provider.resolveModel?.(rest);
        if (upstreamId) return { provider, upstreamId };
      }
    }
    throw new ModelNotFoundError(id);
  }

  /**
   * The listed model of an id; an id without a tag names its `:latest`, as Ollama names models
   * (`llama3.2` is `llama3.2:latest`: Ollama's own examples and clients send the short name).
   */
  #listed(id: string): Listed | undefined {
    const listed = this.#index.get(id);
    if (listed) return listed;
    // `<id>:latest` names a model listed without a tag too (an OpenAI-compatible server's), as Ollama's clients write it.
    if (id.endsWith(":latest")) return this.#index.get(id.slice(0, -":latest".length));
    if (id.indexOf(":", id.lastIndexOf("/") + 1) >= 0) return undefined;
    return this.#index.get(`${id}:latest`);
  }

  #rebuild(): void {
    const index = new Map<string, Listed>();
    const listing: Model[] = [];
    // Every instance's `<name>/<id>` form: another instance that lists such an id as its own (OpenRouter's
    // `openai/gpt-4o` beside an instance `openai`) lists it under its own prefix, so the form names the instance.
    const instanceForms = new Set<string>();
    for (const provider of this.#providers) for (const info of this.#lists.get(provider) ?? []) if (typeof info?.id === "string") instanceForms.add(`${provider.name}/${info.id}`);
    for (const provider of this.#providers) {
      const own = new Set<string>();
      for (const info of this.#lists.get(provider) ?? []) {
        // An id with control characters is no model name (and no header value, no log field as it is).
        if (typeof info?.id !== "string" || info.id === "" || CONTROL.test(info.id)) continue;
        // An upstream that lists this instance's own prefixed ids is this gateway (or one that
        // lists it): taking them would add a `<name>/` level on every refresh.
        if (info.id.startsWith(`${provider.name}/`)) continue;
        // The same id twice in one provider's list is one model: the first entry stands. Checked on
        // the id as listed, before the prefix, or the second would be listed again as `<name>/<id>`.
        if (own.has(info.id)) continue;
        own.add(info.id);
        const publicId = index.has(info.id) || instanceForms.has(info.id) ? `${provider.name}/${info.id}` : info.id;
        // `<name>/<id>` listed as it is by an earlier instance: that one keeps it.
        if (index.has(publicId)) continue;
        const model = this.#toModel(provider, info, publicId);
        index.set(publicId, { provider, upstreamId: info.id, model, contextLength: contextLengthOf(info) });
        listing.push(model);
      }
    }
    this.#index = index;
    this.#listing = listing;
  }

  #toModel(provider: Provider, info: Partial<ModelInfo>, publicId: string): Model {
    const model: Model = {
      id: publicId,
      object: "model",
      created: typeof info.created === "number" && Number.isInteger(info.created) ? info.created : this.#startedAt,
      owned_by: provider.name,
    };
    for (const key in info) if (!(key in model)) (model as Record<string, unknown>)[key] = info[key];
    return model;
  }
}

function contextLengthOf(info: ModelInfo): number | undefined {
  const value = info.context_length;
  return typeof value === "number" && Number.isInteger(value) && value > 0 ? value : undefined;
}
