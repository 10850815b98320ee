import { ConfigError } from "./env.ts";
import { ModelNotFoundError } from "./errors.ts";
import { nowSeconds } from "./ids.ts";
import type { Logger } from "./logger.ts";
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

/**
 * Provider instances and their models, in a fixed order (the order they were added). Listing and
 * resolution follow the contract's "Models" section: a bare id belongs to the first instance that
 * lists it, later ones list it as `<instance>/<id>`; a requested id is an exact listed id, else
 * `<instance>/<rest>` handed to that instance.
 */
export class ModelRegistry {
  readonly #providers: Provider[] = [];
  readonly #byName = new Map<string, Provider>();
  readonly #lists = new Map<Provider, readonly ModelInfo[]>();
  readonly #timers: ReturnType<typeof setInterval>[] = [];
  #index = new Map<string, Listed>();
  #listing: Model[] = [];
  readonly #startedAt = nowSeconds();

  /**
   * Settles when the first discovery round is done (or its wait ran out). The server listens
   * before that, so /health answers at once; /v1/* requests wait for it while `isReady` is false.
   */
  ready: Promise<void> = Promise.resolve();
  isReady = true;

  constructor(private readonly logger: Logger) {}

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
    const first = Promise.all(this.#providers.map((p) => this.refresh(p, ctx, timeoutMs)));
    let timer: ReturnType<typeof setTimeout> | undefined;
    this.ready = Promise.race([first, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]).then(() => {
      clearTimeout(timer);
      this.isReady = true;
    });
    for (const provider of this.#providers) {
      if (typeof provider.models !== "function") continue;
      const every = provider.refreshIntervalMs ?? DEFAULT_REFRESH_MS;
      const timer = setInterval(() => void this.refresh(provider, ctx, timeoutMs), every);
      timer.unref();
      this.#timers.push(timer);
    }
    return this.ready;
  }

  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers.length = 0;
  }

  /** One discovery of one provider. A failure keeps the last known list and is logged. */
  async refresh(provider: Provider, ctx: Omit<DiscoveryContext, "signal">, timeoutMs: number): Promise<void> {
    if (typeof provider.models !== "function") return;
    try {
      const models = await provider.models({ ...ctx, signal: AbortSignal.timeout(timeoutMs) });
      if (!Array.isArray(models)) throw new TypeError("models() did not return an array");
      this.#lists.set(provider, models);
      this.#rebuild();
    } catch (error) {
      this.logger.warn("model discovery failed; keeping the last known list", {
        provider: provider.name,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  list(): readonly Model[] {
    return this.#listing;
  }

  /**
   * The model with this id, for `GET /v1/models/{id}`; resolves `<instance>/<id>` too. An id the
   * instance does not list is 404 unless the provider confirms it exists (`modelExists`).
   */
  async describe(id: string, ctx: DiscoveryContext): Promise<Model> {
    const listed = this.#index.get(id);
    if (listed) return listed.model;
    const resolved = this.resolve(id);
    const known = this.#lists.get(resolved.provider)?.find((m) => m.id === resolved.upstreamId);
    if (!known && !(await resolved.provider.modelExists?.(resolved.upstreamId, ctx))) throw new ModelNotFoundError(id);
    return this.#toModel(resolved.provider, { ...known, id: resolved.upstreamId }, id);
  }

  resolve(id: string): ResolvedModel {
    const listed = this.#index.get(id);
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

  #rebuild(): void {
    const index = new Map<string, Listed>();
    const listing: Model[] = [];
    for (const provider of this.#providers) {
      for (const info of this.#lists.get(provider) ?? []) {
        if (typeof info?.id !== "string" || info.id === "") continue;
        // An upstream that lists this instance's own prefixed ids is this gateway (or one that
        // lists it): taking them would add a `<name>/` level on every refresh.
        if (info.id.startsWith(`${provider.name}/`)) continue;
        const publicId = index.has(info.id) ? `${provider.name}/${info.id}` : info.id;
        if (index.has(publicId)) continue; // the same id twice in one provider's list
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
