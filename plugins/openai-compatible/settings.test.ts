import { describe, expect, test } from "bun:test";
import { ConfigError } from "../../src/kit.ts";
import { readUpstreams, type EnvLookup } from "./settings.ts";

const KEYS: Record<string, string> = { GROQ_API_KEY: "gsk-groq-secret-1234" };
const lookup: EnvLookup = (name) => KEYS[name];

function problemsOf(settings: unknown, env: Record<string, string> = {}): string {
  try {
    readUpstreams(settings, env, lookup);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("readUpstreams: the settings file", () => {
  test("a full upstream, resolved", () => {
    const upstreams = readUpstreams(
      {
        upstreams: [
          {
            name: "groq",
            base_url: "https://api.groq.com/openai/v1/",
            api_key_env: "GROQ_API_KEY",
            models: ["llama-3", { id: "mixtral", context_length: 32768 }],
            headers: { "X-Title": "Ollaix" },
            timeout_ms: 5000,
          },
          { name: "local.vllm_1", base_url: "http://127.0.0.1:8001/v1", refresh_interval_ms: 5000 },
        ],
      },
      {},
      lookup,
    );
    expect(upstreams).toEqual([
      {
        name: "groq",
        baseUrl: "https://api.groq.com/openai/v1",
        apiKey: "gsk-groq-secret-1234",
        keySource: "GROQ_API_KEY",
        headers: { "X-Title": "Ollaix" },
        timeoutMs: 5000,
        models: [{ id: "llama-3" }, { id: "mixtral", context_length: 32768 }],
        refreshIntervalMs: 60_000,
      },
      {
        name: "local.vllm_1",
        baseUrl: "http://127.0.0.1:8001/v1",
        apiKey: undefined,
        keySource: undefined,
        headers: {},
        timeoutMs: undefined,
        models: undefined,
        refreshIntervalMs: 5000,
      },
    ]);
  });

  test("headers_env: a header's value from the environment (read as a secret); ordinary headers stay in the file", () => {
    const read: string[] = [];
    const [upstream] = readUpstreams(
      { upstreams: [{ name: "a", base_url: "http://x/v1", headers: { "HTTP-Referer": "https://example.org", "X-Title": "Ollaix" }, headers_env: { "api-key": "GROQ_API_KEY" } }] },
      {},
      (name) => (read.push(name), KEYS[name]),
    );
    expect(upstream!.headers).toEqual({ "HTTP-Referer": "https://example.org", "X-Title": "Ollaix", "api-key": "gsk-groq-secret-1234" });
    expect(read).toEqual(["GROQ_API_KEY"]);
  });

  test("no section, or no upstreams: no instances", () => {
    expect(readUpstreams(undefined, {}, lookup)).toEqual([]);
    expect(readUpstreams({}, {}, lookup)).toEqual([]);
    expect(readUpstreams({ upstreams: [] }, {}, lookup)).toEqual([]);
  });

  test("discovery: true with a fixed list is refused; discovery: false without one lists nothing", () => {
    expect(problemsOf({ upstreams: [{ name: "a", base_url: "http://x/v1", models: ["m"], discovery: true }] })).toBe(
      "plugins.openai-compatible.upstreams[0].discovery: set either a fixed 'models' list or 'discovery: true', not both",
    );
    const [upstream] = readUpstreams({ upstreams: [{ name: "a", base_url: "http://x/v1", discovery: false }] }, {}, lookup);
    expect(upstream!.models).toEqual([]);
  });

  test.each([
    [{ upstreams: [{ name: "a", base_url: "ftp://x/v1" }] }, "plugins.openai-compatible.upstreams[0].base_url: expected an http(s) URL with the version path, e.g. https://api.openai.com/v1"],
    [{ upstreams: [{ name: "a", base_url: "not a url" }] }, "plugins.openai-compatible.upstreams[0].base_url: expected an http(s) URL with the version path, e.g. https://api.openai.com/v1"],
    [{ upstreams: [{ name: "a", base_url: "https://user:pw@x/v1" }] }, "plugins.openai-compatible.upstreams[0].base_url: must not contain credentials; name the key's environment variable in api_key_env"],
    [{ upstreams: [{ name: "a", base_url: "https://x/v1?key=1" }] }, "plugins.openai-compatible.upstreams[0].base_url: must not have a query string or a fragment"],
    [{ upstreams: [{ name: "a", base_url: "http://x/v1" }, { name: "b" }] }, "plugins.openai-compatible.upstreams[1].base_url: is required"],
    [{ upstreams: [{ name: "a/b", base_url: "http://x/v1" }] }, `plugins.openai-compatible.upstreams[0].name: "a/b" is not a valid instance name (letters, digits, '.', '_', '-'; starting with a letter or digit)`],
    [{ upstreams: [{ name: 7, base_url: "http://x/v1" }] }, "plugins.openai-compatible.upstreams[0].name: expected string"],
    [{ upstreams: [{ name: "a", base_url: "http://x/v1", timeout_ms: 0 }] }, "plugins.openai-compatible.upstreams[0].timeout_ms: expected integer to be greater or equal to 1"],
    [{ upstreams: [{ name: "a", base_url: "http://x/v1", models: [""] }] }, "plugins.openai-compatible.upstreams[0].models[0]: expected a model id, or an object with an 'id'"],
    [{ upstreams: [{ name: "a", base_url: "http://x/v1", api_key_env: "MISSING_KEY" }] }, "plugins.openai-compatible.upstreams[0].api_key_env: the environment variable MISSING_KEY is not set"],
    [{ upstreams: [{ name: "a", base_url: "http://x/v1", api_key_env: "sk-not-a-name" }] }, "plugins.openai-compatible.upstreams[0].api_key_env: expected the name of an environment variable (letters, digits, '_')"],
    [{ upstreams: [{ name: "a", base_url: "http://x/v1", models: ["m"], refresh_interval_ms: 1000 }] }, "plugins.openai-compatible.upstreams[0].refresh_interval_ms: applies to discovery only, which is off for this upstream"],
    [{ upstreams: [{ name: "a", base_url: "http://x/v1", headers: { Authorization: "Bearer sk-in-file" } }] }, "plugins.openai-compatible.upstreams[0].headers.Authorization: keys are not read from the file; name their environment variable in api_key_env"],
    [{ upstreams: [{ name: "a", base_url: "http://x/v1", headers: { "x-ollaix-hops": "0" } }] }, "plugins.openai-compatible.upstreams[0].headers.x-ollaix-hops: the gateway sets this header itself"],
    [{ upstreams: [{ name: "a", base_url: "http://x/v1", headers: { "api-key": "azure-in-file" } }] }, "plugins.openai-compatible.upstreams[0].headers.api-key: a credential is not read from the file; name its environment variable in headers_env"],
    [{ upstreams: [{ name: "a", base_url: "http://x/v1", headers: { "X-Auth-Token": "t" } }] }, "plugins.openai-compatible.upstreams[0].headers.X-Auth-Token: a credential is not read from the file; name its environment variable in headers_env"],
    [{ upstreams: [{ name: "a", base_url: "http://x/v1", headers_env: { "api-key": "MISSING_KEY" } }] }, "plugins.openai-compatible.upstreams[0].headers_env.api-key: the environment variable MISSING_KEY is not set"],
    [{ upstreams: [{ name: "a", base_url: "http://x/v1", headers_env: { Authorization: "GROQ_API_KEY" } }] }, "plugins.openai-compatible.upstreams[0].headers_env.Authorization: the key goes in api_key_env (sent as Authorization: Bearer)"],
    [{ upstreams: [{ name: "a", base_url: "http://x/v1", headers_env: { "x-key": "not a name" } }] }, "plugins.openai-compatible.upstreams[0].headers_env.x-key: expected the name of an environment variable (letters, digits, '_')"],
    [{ upstreams: [{ name: "a", base_url: "http://x/v1", headers: { "bad name": "v" } }] }, `plugins.openai-compatible.upstreams[0].headers: "bad name" is not a valid header name`],
    [{ upstreams: [{ name: "a", base_url: "http://x/v1", urls: [] }] }, "plugins.openai-compatible.upstreams[0].urls: unknown field"],
    [{ upstreams: {} }, "plugins.openai-compatible.upstreams: expected array"],
    [{ upsteams: [] }, "plugins.openai-compatible.upsteams: unknown field"],
    ["yes", "plugins.openai-compatible: expected object"],
  ])("%j is refused, naming the field", (settings, message) => {
    expect(problemsOf(settings)).toBe(message);
  });

  test("a key written into the file is refused, and its value is not repeated", () => {
    const message = problemsOf({ upstreams: [{ name: "a", base_url: "http://x/v1", api_key: "sk-file-secret-99" }] });
    expect(message).toBe(
      "plugins.openai-compatible.upstreams[0].api_key: keys are not read from the file; name their environment variable in api_key_env",
    );
    expect(message).not.toContain("sk-file-secret-99");
  });

  test("every problem is reported at once", () => {
    expect(
      problemsOf({ upstreams: [{ name: "a", base_url: "ftp://x" }, { name: "a", base_url: "http://y/v1" }, { name: "a", base_url: "http://z/v1" }] }),
    ).toBe(
      "plugins.openai-compatible.upstreams[0].base_url: expected an http(s) URL with the version path, e.g. https://api.openai.com/v1; " +
        // upstreams[0] is refused for its URL, but its name is taken all the same.
        `plugins.openai-compatible.upstreams[1].name: the instance name "a" is already used by plugins.openai-compatible.upstreams[0].name; ` +
        `plugins.openai-compatible.upstreams[2].name: the instance name "a" is already used by plugins.openai-compatible.upstreams[0].name`,
    );
  });

  // A probe: any schema problem in the section skipped every upstream's own rules, so mistakes came
  // out one run at a time.
  test("an upstream's own rules run beside a schema problem of its own (an unknown field)", () => {
    expect(problemsOf({ upstreams: [{ name: "x", base_url: "ftp://x/v1", bogus: 1 }] })).toBe(
      "plugins.openai-compatible.upstreams[0].bogus: unknown field; " +
        "plugins.openai-compatible.upstreams[0].base_url: expected an http(s) URL with the version path, e.g. https://api.openai.com/v1",
    );
  });

  test("an upstream's own rules run beside a schema problem of another upstream", () => {
    expect(problemsOf({ upstreams: [{ name: "x", base_url: "notaurl" }, { name: "y", base_url: "https://y/v1", api_key: "sk-1" }] })).toBe(
      "plugins.openai-compatible.upstreams[0].base_url: expected an http(s) URL with the version path, e.g. https://api.openai.com/v1; " +
        "plugins.openai-compatible.upstreams[1].api_key: keys are not read from the file; name their environment variable in api_key_env",
    );
    // …and beside a problem of the section itself.
    expect(problemsOf({ extra: true, upstreams: [{ name: "x", base_url: "http://x/v1", api_key_env: "MISSING_KEY" }] })).toBe(
      "plugins.openai-compatible.extra: unknown field; " +
        "plugins.openai-compatible.upstreams[0].api_key_env: the environment variable MISSING_KEY is not set",
    );
  });

  test("a field the schema refused is not judged again by the rules; the others are", () => {
    // `models` of the wrong type: whether discovery is on is unknown, so that rule stays quiet.
    expect(problemsOf({ upstreams: [{ name: "a/b", base_url: "http://x/v1", models: "m", discovery: true, refresh_interval_ms: 1000, api_key_env: 7 }] })).toBe(
      "plugins.openai-compatible.upstreams[0].api_key_env: expected string; " +
        "plugins.openai-compatible.upstreams[0].models: expected array; " +
        `plugins.openai-compatible.upstreams[0].name: "a/b" is not a valid instance name (letters, digits, '.', '_', '-'; starting with a letter or digit)`,
    );
    expect(problemsOf({ upstreams: [null, "x", { name: "ok", base_url: "http://x/v1", headers_env: { "api-key": "MISSING_KEY" } }] })).toBe(
      "plugins.openai-compatible.upstreams[0]: expected object; " +
        "plugins.openai-compatible.upstreams[1]: expected object; " +
        "plugins.openai-compatible.upstreams[2].headers_env.api-key: the environment variable MISSING_KEY is not set",
    );
  });
});

describe("readUpstreams: the OPENAI_BASE_URL / OPENAI_API_KEY short form", () => {
  test("both: one instance named openai, before the file's", () => {
    const upstreams = readUpstreams(
      { upstreams: [{ name: "local", base_url: "http://127.0.0.1:8080/v1" }] },
      { OPENAI_BASE_URL: "http://127.0.0.1:9000/v1", OPENAI_API_KEY: "sk-env-key-1234" },
      lookup,
    );
    expect(upstreams.map((u) => [u.name, u.baseUrl, u.apiKey, u.keySource])).toEqual([
      ["openai", "http://127.0.0.1:9000/v1", "sk-env-key-1234", "OPENAI_API_KEY"],
      ["local", "http://127.0.0.1:8080/v1", undefined, undefined],
    ]);
  });

  test("the key alone means OpenAI itself, as the openai SDK defaults", () => {
    const [upstream] = readUpstreams(undefined, { OPENAI_API_KEY: "sk-env-key-1234" }, lookup);
    expect(upstream).toMatchObject({ name: "openai", baseUrl: "https://api.openai.com/v1", apiKey: "sk-env-key-1234" });
  });

  test("the URL alone is a keyless upstream (a local server)", () => {
    const [upstream] = readUpstreams(undefined, { OPENAI_BASE_URL: "http://127.0.0.1:1234/v1" }, lookup);
    expect(upstream).toMatchObject({ name: "openai", baseUrl: "http://127.0.0.1:1234/v1", apiKey: undefined });
  });

  // A probe: the env form was told to use api_key_env, a field of the config file.
  test("credentials in OPENAI_BASE_URL: the key goes in OPENAI_API_KEY, and neither part is repeated", () => {
    const message = problemsOf(undefined, { OPENAI_BASE_URL: "https://user:secret-pw-123@example.com/v1" });
    expect(message).toBe("OPENAI_BASE_URL: must not contain credentials; give the key in OPENAI_API_KEY");
    expect(message).not.toContain("secret-pw-123");
    expect(message).not.toContain("user");
  });

  test("a bad URL names the variable; a file upstream named openai clashes with it", () => {
    expect(problemsOf(undefined, { OPENAI_BASE_URL: "localhost:1234" })).toBe(
      "OPENAI_BASE_URL: expected an http(s) URL with the version path, e.g. https://api.openai.com/v1",
    );
    expect(problemsOf({ upstreams: [{ name: "openai", base_url: "http://x/v1" }] }, { OPENAI_API_KEY: "sk-env-key-1234" })).toBe(
      `plugins.openai-compatible.upstreams[0].name: the instance name "openai" is already used by OPENAI_BASE_URL/OPENAI_API_KEY`,
    );
  });
});
