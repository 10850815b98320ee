import { Value } from "@sinclair/typebox/value";
import { ConfigError, INSTANCE_NAME_PATTERN, Type, type ModelInfo, type Static } from "../../src/kit.ts";

/*
 * The plugin's section of the OLLAIX_CONFIG file, e.g. (YAML):
 *
 *   plugins:
 *     openai-compatible:
 *       upstreams:
 *         - name: groq                                  # model-id prefix and owned_by
 *           base_url: https://api.groq.com/openai/v1    # with the version path
 *           api_key_env: GROQ_API_KEY                   # the key's variable; never the key itself
 *         - name: openrouter
 *           base_url: https://openrouter.ai/api/v1
 *           api_key_env: OPENROUTER_API_KEY
 *           headers: { HTTP-Referer: "https://example.org", X-Title: "Ollaix" }
 *           headers_env: { X-Proxy-Key: PROXY_KEY }     # a header whose value is a credential
 *           models: [openai/gpt-4o, anthropic/claude-sonnet-4]   # fixed list: no discovery
 *         - name: vllm
 *           base_url: http://127.0.0.1:8001/v1          # no key: a local server
 *           timeout_ms: 600000
 *           refresh_interval_ms: 30000
 */

/** Where this plugin's section sits in the OLLAIX_CONFIG file; every error message starts with it. */
export const SECTION = "plugins.openai-compatible";

/** The same rule as the registry's: an instance name is a model-id prefix. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** RFC 9110 `token`. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers the gateway sets itself (or that would carry a key from the file); not configurable. */
const RESERVED_HEADERS = new Set([
  "authorization",
  "host",
  "content-length",
  "content-type",
  "connection",
  "transfer-encoding",
  "x-ollaix-hops",
  "x-request-id",
]);

const KEY_IN_FILE = "keys are not read from the file; name their environment variable in api_key_env";
const CREDENTIAL_IN_FILE = "a credential is not read from the file; name its environment variable in headers_env";
/**
 * Header names that carry a credential (Azure's `api-key`, `x-api-key`, `x-goog-api-key`, a
 * proxy's `proxy-authorization`, a `cookie`, `*-token`, `*-secret`…): their values come from the
 * environment (`headers_env`), are kept out of logs and errors, and never sit in the file.
 */
const CREDENTIAL_HEADER = /(^|-)(api-?key|key|token|secret|password|passwd|cookie|signature|credentials?)($|-)|^proxy-authorization$|subscription-key/i;

export const DEFAULT_REFRESH_MS = 60_000;
export const OPENAI_URL = "https://api.openai.com/v1";

/** The env short form: one instance named `openai`. */
export const OpenAIEnv = Type.Object({
  OPENAI_BASE_URL: Type.Optional(
    Type.String({
      title: "one OpenAI-compatible upstream named openai, with the version path (https://api.openai.com/v1)",
      description: "an http(s) URL with the version path, e.g. https://api.openai.com/v1",
    }),
  ),
  OPENAI_API_KEY: Type.Optional(
    Type.String({
      // Alone it is an upstream of its own (the openai SDK's default), not only OPENAI_BASE_URL's key.
      title: "the key sent to OPENAI_BASE_URL; set alone, the openai instance is OpenAI itself (https://api.openai.com/v1)",
      description: "the upstream's API key",
    }),
  ),
});
export type OpenAIEnv = Static<typeof OpenAIEnv>;

const ModelEntry = Type.Union([
  Type.String({ minLength: 1 }),
  Type.Object({ id: Type.String({ minLength: 1 }) }, { additionalProperties: true }),
]);

export const UpstreamSettings = Type.Object(
  {
    name: Type.String({ description: "instance name: the model-id prefix and `owned_by`" }),
    base_url: Type.String({ description: "with the version path, e.g. https://api.groq.com/openai/v1" }),
    api_key_env: Type.Optional(Type.String({ description: "the environment variable that holds the key" })),
    models: Type.Optional(Type.Array(ModelEntry, { description: "a fixed list; turns discovery off" })),
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    headers_env: Type.Optional(Type.Record(Type.String(), Type.String(), { description: "header name → the environment variable that holds its value (a credential: kept out of logs)" })),
    timeout_ms: Type.Optional(Type.Integer({ minimum: 1, description: "longest wait for the upstream's answer" })),
    discovery: Type.Optional(Type.Boolean({ description: "list the upstream's GET /models; default: on when `models` is absent" })),
    refresh_interval_ms: Type.Optional(Type.Integer({ minimum: 100, description: "how often discovery runs" })),
  },
  { additionalProperties: false },
);
export type UpstreamSettings = Static<typeof UpstreamSettings>;

export const PluginSettings = Type.Object(
  { upstreams: Type.Optional(Type.Array(UpstreamSettings)) },
  { additionalProperties: false },
);
export type PluginSettings = Static<typeof PluginSettings>;

/** One upstream, resolved once at start-up: what the client and the provider use. */
export interface Upstream {
  name: string;
  /** No trailing slash; paths such as `/chat/completions` are appended. */
  baseUrl: string;
  /** Undefined when the upstream needs no key (a local vLLM, llama.cpp, LM Studio). */
  apiKey?: string;
  /** Where the key came from, for logs (never the key itself). */
  keySource?: string;
  headers: Readonly<Record<string, string>>;
  timeoutMs?: number;
  /** The fixed list, or undefined when models are discovered. */
  models?: readonly ModelInfo[];
  refreshIntervalMs: number;
}

/** Reads one environment variable by name (the names come from the settings file). */
export type EnvLookup = (name: string) => string | undefined;

/**
 * The plugin's instances: the env short form (`openai`) first, then the file's upstreams in file
 * order. Every problem is collected and thrown as one ConfigError naming each field's path: an
 * upstream's own rules (its URL, its key's variable, its headers) run on each of its fields that
 * has the schema's type, whatever is wrong elsewhere, so one run names every mistake.
 */
export function readUpstreams(settings: unknown, env: OpenAIEnv, lookupEnv: EnvLookup): Upstream[] {
  const problems: string[] = [];
  const found: Upstream[] = [];
  /** Every instance name given, valid or not: a clash is named even beside other mistakes. */
  const names: { name: string; at: string }[] = [];
  const fromEnv = fromShortForm(env, problems);
  if (fromEnv) {
    found.push(fromEnv);
    names.push({ name: fromEnv.name, at: "OPENAI_BASE_URL/OPENAI_API_KEY" });
  }

  if (settings !== undefined && settings !== null) {
    const schema = schemaProblems(settings);
    problems.push(...schema.ofSection);
    const list = (settings as { upstreams?: unknown }).upstreams;
    (Array.isArray(list) ? list : []).forEach((raw: unknown, i) => {
      const at = `${SECTION}.upstreams[${i}]`;
      const own = schema.ofUpstream.get(i);
      problems.push(...(own?.problems ?? []));
      if (typeof raw !== "object" || raw === null || own?.fields.has("")) return; // not an object: nothing to read
      const upstream = fromSettings(raw as Partial<UpstreamSettings>, at, own?.fields ?? new Set(), lookupEnv, problems);
      if (upstream.name !== undefined) names.push({ name: upstream.name, at: `${at}.name` });
      if (upstream.value) found.push(upstream.value);
    });
  }

  const first = new Map<string, string>();
  for (const { name, at } of names) {
    const earlier = first.get(name);
    if (earlier) problems.push(`${at}: the instance name ${JSON.stringify(name)} is already used by ${earlier}`);
    else first.set(name, at);
  }
  if (problems.length > 0) throw new ConfigError(problems.join("; "), { problems });
  return found;
}

/**
 * The section's schema problems: those of the section itself, and each upstream's with the fields
 * they concern (`""`: the upstream as a whole, e.g. not an object), whose own rules then do not run.
 */
function schemaProblems(settings: unknown): {
  ofSection: string[];
  ofUpstream: Map<number, { problems: string[]; fields: Set<string> }>;
} {
  const ofSection: string[] = [];
  const ofUpstream = new Map<number, { problems: string[]; fields: Set<string> }>();
  const reported = new Set<string>();
  for (const error of Value.Errors(PluginSettings, settings)) {
    // TypeBox reports a missing field twice (required, then its type): keep the first per field.
    if (reported.has(error.path)) continue;
    reported.add(error.path);
    const problem = `${SECTION}${toPath(error.path)}: ${describe(error.path, error.message)}`;
    const [, index, field] = /^\/upstreams\/(\d+)(?:\/([^/]+))?/.exec(error.path) ?? [];
    if (index === undefined) {
      ofSection.push(problem);
      continue;
    }
    const entry = ofUpstream.get(Number(index)) ?? { problems: [], fields: new Set<string>() };
    entry.problems.push(problem);
    entry.fields.add(field === undefined ? "" : field.replace(/~1/g, "/").replace(/~0/g, "~"));
    ofUpstream.set(Number(index), entry);
  }
  return { ofSection, ofUpstream };
}

function fromShortForm(env: OpenAIEnv, problems: string[]): Upstream | undefined {
  if (env.OPENAI_BASE_URL === undefined && env.OPENAI_API_KEY === undefined) return undefined;
  // The openai SDK's default when only the key is given.
  const baseUrl = checkBaseUrl(env.OPENAI_BASE_URL ?? OPENAI_URL, "env");
  if (typeof baseUrl !== "string") {
    problems.push(`OPENAI_BASE_URL: ${baseUrl.problem}`);
    return undefined;
  }
  return {
    name: "openai",
    baseUrl,
    apiKey: env.OPENAI_API_KEY,
    keySource: env.OPENAI_API_KEY === undefined ? undefined : "OPENAI_API_KEY",
    headers: {},
    refreshIntervalMs: DEFAULT_REFRESH_MS,
  };
}

/**
 * One upstream's own rules, each run on the fields it reads when they have the schema's type
 * (`bad`: the fields the schema refused, already reported). The upstream is built only when it
 * has no problem at all; its name is returned whenever it is one, for the clash check.
 */
function fromSettings(
  raw: Partial<UpstreamSettings>,
  at: string,
  bad: ReadonlySet<string>,
  lookupEnv: EnvLookup,
  problems: string[],
): { value?: Upstream; name?: string } {
  const before = problems.length;
  const usable = (field: keyof UpstreamSettings): boolean => raw[field] !== undefined && !bad.has(field);
  const name = usable("name") ? raw.name! : undefined;
  if (name !== undefined && !INSTANCE_NAME_PATTERN.test(name)) {
    problems.push(
      `${at}.name: ${JSON.stringify(name)} is not a valid instance name ` +
        `(letters, digits, '.', '_', '-'; starting with a letter or digit)`,
    );
  }
  const baseUrl = usable("base_url") ? checkBaseUrl(raw.base_url!, "file") : undefined;
  if (typeof baseUrl === "object") problems.push(`${at}.base_url: ${baseUrl.problem}`);

  let apiKey: string | undefined;
  if (usable("api_key_env")) {
    const variable = raw.api_key_env!;
    if (!ENV_NAME.test(variable)) {
      problems.push(`${at}.api_key_env: expected the name of an environment variable (letters, digits, '_')`);
    } else {
      apiKey = lookupEnv(variable)?.trim() || undefined;
      if (apiKey === undefined) problems.push(`${at}.api_key_env: the environment variable ${variable} is not set`);
    }
  }

  const headers: Record<string, string> = {};
  for (const [header, value] of Object.entries(usable("headers") ? raw.headers! : {})) {
    const lower = header.toLowerCase();
    if (!HEADER_NAME.test(header)) problems.push(`${at}.headers: ${JSON.stringify(header)} is not a valid header name`);
    else if (lower === "authorization") problems.push(`${at}.headers.${header}: ${KEY_IN_FILE}`);
    else if (RESERVED_HEADERS.has(lower)) problems.push(`${at}.headers.${header}: the gateway sets this header itself`);
    else if (CREDENTIAL_HEADER.test(header)) problems.push(`${at}.headers.${header}: ${CREDENTIAL_IN_FILE}`);
    else if (/[\r\n\0]/.test(value)) problems.push(`${at}.headers.${header}: the value must not contain line breaks`);
    else headers[header] = value;
  }
  for (const [header, variable] of Object.entries(usable("headers_env") ? raw.headers_env! : {})) {
    const lower = header.toLowerCase();
    const where = `${at}.headers_env.${header}`;
    if (!HEADER_NAME.test(header)) problems.push(`${at}.headers_env: ${JSON.stringify(header)} is not a valid header name`);
    else if (lower === "authorization") problems.push(`${where}: the key goes in api_key_env (sent as Authorization: Bearer)`);
    else if (RESERVED_HEADERS.has(lower)) problems.push(`${where}: the gateway sets this header itself`);
    else if (Object.keys(headers).some((other) => other.toLowerCase() === lower)) problems.push(`${where}: also set in headers`);
    else if (!ENV_NAME.test(variable)) problems.push(`${where}: expected the name of an environment variable (letters, digits, '_')`);
    else {
      // Read as a secret (lookupEnv registers it): never in a log line, an error or a metric.
      const value = lookupEnv(variable)?.trim();
      if (!value) problems.push(`${where}: the environment variable ${variable} is not set`);
      else if (/[\r\n\0]/.test(value)) problems.push(`${where}: the value of ${variable} must not contain line breaks`);
      else headers[header] = value;
    }
  }

  // Whether discovery is on depends on both fields: judged only when neither was refused.
  const discoveryKnown = !bad.has("discovery") && !bad.has("models");
  const discovery = raw.discovery ?? raw.models === undefined;
  if (discoveryKnown && discovery && raw.models !== undefined) {
    problems.push(`${at}.discovery: set either a fixed 'models' list or 'discovery: true', not both`);
  }
  if (discoveryKnown && !discovery && usable("refresh_interval_ms")) {
    problems.push(`${at}.refresh_interval_ms: applies to discovery only, which is off for this upstream`);
  }
  if (problems.length > before || bad.size > 0 || name === undefined || typeof baseUrl !== "string") return { name };
  return {
    name,
    value: {
      name,
      baseUrl,
      apiKey,
      keySource: raw.api_key_env,
      headers,
      timeoutMs: raw.timeout_ms,
      models: discovery ? undefined : toModelList(raw.models ?? []),
      refreshIntervalMs: raw.refresh_interval_ms ?? DEFAULT_REFRESH_MS,
    },
  };
}

function toModelList(entries: NonNullable<UpstreamSettings["models"]>): ModelInfo[] {
  return entries.map((entry) => (typeof entry === "string" ? { id: entry } : { ...entry }));
}

/**
 * The base URL without its trailing slash, or why it is refused. Values are never echoed: a URL
 * with credentials in it would otherwise end up in the start-up log. `from` says where the URL was
 * written, for where its key goes instead: OPENAI_API_KEY beside OPENAI_BASE_URL, api_key_env in the file.
 */
function checkBaseUrl(text: string, from: "env" | "file"): string | { problem: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: "expected an http(s) URL with the version path, e.g. https://api.openai.com/v1" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { problem: "expected an http(s) URL with the version path, e.g. https://api.openai.com/v1" };
  }
  if (url.username !== "" || url.password !== "") {
    return {
      problem: from === "env"
        ? "must not contain credentials; give the key in OPENAI_API_KEY"
        : "must not contain credentials; name the key's environment variable in api_key_env",
    };
  }
  if (url.search !== "" || url.hash !== "") return { problem: "must not have a query string or a fragment" };
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

/** TypeBox's `/upstreams/1/base_url` → `.upstreams[1].base_url`. */
function toPath(pointer: string): string {
  let out = "";
  for (const segment of pointer.split("/")) {
    if (segment === "") continue;
    out += /^\d+$/.test(segment) ? `[${segment}]` : `.${segment.replace(/~1/g, "/").replace(/~0/g, "~")}`;
  }
  return out;
}

/** TypeBox's message, made readable; field values are never included (they may be keys). */
function describe(pointer: string, message: string): string {
  const field = pointer.split("/").at(-1) ?? "";
  if (message === "Unexpected property") {
    return field === "api_key" || field === "key"
      ? KEY_IN_FILE
      : "unknown field";
  }
  if (message === "Expected required property") return "is required";
  if (/\/models\/\d+$/.test(pointer)) return "expected a model id, or an object with an 'id'";
  return message.replace(/^Expected/, "expected");
}
