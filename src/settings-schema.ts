import { Type, type Static, type TObject, type TSchema } from "@sinclair/typebox";

/**
 * The whole `OLLAIX_CONFIG` file as one TypeBox schema: start-up validates the file against it, and
 * `schema/ollaix-config.schema.json` (for editors) is generated from it. The `plugins` section is
 * built from the plugins actually loaded, so a misspelt plugin name is an unknown property.
 */

const ENV_NAME = "^[A-Za-z_][A-Za-z0-9_]*$";
/** Key names end up in Redis keys (inside a {hash tag}), metric labels and logs. */
const KEY_NAME = "^[A-Za-z0-9][A-Za-z0-9._-]*$";

export const KeySettings = Type.Object(
  {
    name: Type.String({ pattern: KEY_NAME, description: "shown in logs, metrics and the console; never the key itself" }),
    key_env: Type.Optional(Type.String({ pattern: ENV_NAME, description: "the environment variable that holds the key" })),
    key_sha256: Type.Optional(Type.String({ pattern: "^[0-9a-fA-F]{64}$", description: "hex SHA-256 of the key, instead of key_env" })),
    models: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { description: "allowed model ids and routes, `*` globs; absent = all" }),
    ),
    rpm: Type.Optional(Type.Integer({ minimum: 1, description: "requests per minute (UTC minute windows)" })),
    tpm: Type.Optional(Type.Integer({ minimum: 1, description: "tokens (input + output) per minute" })),
    tokens_per_day: Type.Optional(Type.Integer({ minimum: 1, description: "tokens per UTC day" })),
  },
  { additionalProperties: false },
);
export type KeySettings = Static<typeof KeySettings>;

export const RouteTarget = Type.Object(
  {
    model: Type.String({ minLength: 1, description: "a gateway model id, e.g. openai/gpt-4o" }),
    weight: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: "share of the load; default 1" })),
  },
  { additionalProperties: false },
);

export const RouteSettings = Type.Object(
  {
    model: Type.String({ minLength: 1, description: "the id clients send; may be a glob such as claude-*" }),
    targets: Type.Array(RouteTarget, { minItems: 1, description: "deployments; load is spread by weight among healthy ones" }),
    fallbacks: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: "tried in order after every target failed" })),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, description: "per deployment, for retryable failures; default 0" })),
    list: Type.Optional(Type.Boolean({ description: "listed in /v1/models (default true; globs are never listed)" })),
  },
  { additionalProperties: false },
);
export type RouteSettings = Static<typeof RouteSettings>;

export const CooldownSettings = Type.Object(
  {
    failures: Type.Optional(Type.Integer({ minimum: 1, description: "retryable failures… (default 3)" })),
    window_s: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: "…within this many seconds (default 60)" })),
    seconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: "…skip the target this long (default 30)" })),
  },
  { additionalProperties: false },
);
export type CooldownSettings = Static<typeof CooldownSettings>;

/** Every plugin section may turn its plugin off; the rest of the section is the plugin's own. */
const PLUGIN_TOGGLE = { enabled: Type.Optional(Type.Boolean({ description: "false turns the plugin off (default true)" })) };

/**
 * The file's schema for these plugins. `pluginSchemas` gives a plugin's own settings (for the
 * generated JSON Schema); without one, a plugin's section takes any fields and the plugin checks
 * them itself when it starts.
 */
export function settingsSchema(
  pluginNames: readonly string[],
  pluginSchemas: Readonly<Record<string, TObject>> = {},
  options: { otherPlugins?: boolean } = {},
) {
  // Keyed by names plugins pick: no prototype, so `__proto__` is a name like any other, and `toString` no inherited schema.
  const plugins = Object.create(null) as Record<string, TSchema>;
  for (const name of pluginNames) {
    const own = Object.hasOwn(pluginSchemas, name) ? pluginSchemas[name] : undefined;
    plugins[name] = Type.Optional(
      own
        ? Type.Object({ ...PLUGIN_TOGGLE, ...own.properties }, { additionalProperties: false })
        : Type.Object(PLUGIN_TOGGLE, { additionalProperties: true }),
    );
  }
  return Type.Object(
    {
      $schema: Type.Optional(Type.String({ description: "for editors" })),
      plugins: Type.Optional(
        Type.Object(plugins, {
          // The editors' schema cannot know the plugins of PLUGINS_DIR; start-up can.
          additionalProperties: options.otherPlugins ? Type.Object(PLUGIN_TOGGLE, { additionalProperties: true }) : false,
          description: "per-plugin settings, by plugin name",
        }),
      ),
      keys: Type.Optional(Type.Array(KeySettings, { description: "virtual keys; OLLAIX_API_KEYS stays a short form (all models, no limits)" })),
      routes: Type.Optional(Type.Array(RouteSettings, { description: "what clients ask for → where it goes" })),
      cooldown: Type.Optional(CooldownSettings),
    },
    { additionalProperties: false, title: "Ollaix configuration (OLLAIX_CONFIG)" },
  );
}

/** The file once checked. */
export interface SettingsFile {
  plugins?: Record<string, Record<string, unknown> | undefined>;
  keys?: KeySettings[];
  routes?: RouteSettings[];
  cooldown?: CooldownSettings;
}
