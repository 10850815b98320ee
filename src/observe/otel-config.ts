import { ConfigError, type EnvSource } from "../env.ts";

/** Where and how spans are exported, from OpenTelemetry's own variables (read once at start-up). */
export interface OtelConfig {
  /** The full traces URL (`…/v1/traces`). */
  url: string;
  protocol: "http/protobuf" | "http/json";
  headers: Record<string, string>;
  serviceName: string;
  /** `OTEL_BSP_SCHEDULE_DELAY`: the batch span processor's delay between exports (default 5000 ms). */
  scheduleDelayMs: number;
}

const PROTOCOLS = ["http/protobuf", "http/json"] as const;

/** OpenTelemetry's own variables that Ollaix reads, for `ollaix --help` (meaning as the spec gives it). */
export const OTEL_VARIABLES: readonly { name: string; defaultValue: string; meaning: string }[] = [
  { name: "OTEL_EXPORTER_OTLP_ENDPOINT", defaultValue: "unset", meaning: "OTLP/HTTP base URL; traces are exported only when an endpoint is set" },
  { name: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", defaultValue: "unset", meaning: "the traces URL itself (wins over the base URL)" },
  { name: "OTEL_EXPORTER_OTLP_PROTOCOL", defaultValue: "http/protobuf", meaning: "http/protobuf or http/json" },
  { name: "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", defaultValue: "unset", meaning: "the same, for traces only" },
  { name: "OTEL_EXPORTER_OTLP_HEADERS", defaultValue: "unset", meaning: "key=value pairs sent to the collector (secrets: never logged)" },
  { name: "OTEL_EXPORTER_OTLP_TRACES_HEADERS", defaultValue: "unset", meaning: "the same, for traces only" },
  { name: "OTEL_SERVICE_NAME", defaultValue: "ollaix", meaning: "service.name of the spans" },
  { name: "OTEL_BSP_SCHEDULE_DELAY", defaultValue: "5000", meaning: "milliseconds between span exports" },
];

/**
 * OTLP exporter settings as the OpenTelemetry specification defines them: a signal-specific
 * variable (`…_TRACES_…`) wins over the general one; the general endpoint is a base URL to which
 * `v1/traces` is appended, the traces endpoint is used as is; headers are `k=v` pairs separated by
 * commas with URL-encoded values. Undefined when no endpoint is set: tracing stays off.
 */
export function readOtelConfig(env: EnvSource): OtelConfig | undefined {
  const get = (name: string) => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const tracesEndpoint = get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  const endpoint = get("OTEL_EXPORTER_OTLP_ENDPOINT");
  if (!tracesEndpoint && !endpoint) return undefined;
  const url = tracesEndpoint ?? `${endpoint!.replace(/\/+$/, "")}/v1/traces`;
  const protocolVar = get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") ? "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL" : "OTEL_EXPORTER_OTLP_PROTOCOL";
  const protocol = get(protocolVar) ?? "http/protobuf";
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) {
    throw new ConfigError(`${protocolVar}=${JSON.stringify(protocol)} is invalid: Ollaix exports traces over http/protobuf or http/json (grpc is not built in)`);
  }
  const name = tracesEndpoint ? "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" : "OTEL_EXPORTER_OTLP_ENDPOINT";
  if (!/^https?:\/\/[^/]/.test(url)) {
    throw new ConfigError(`${name}=${JSON.stringify(tracesEndpoint ?? endpoint)} is invalid: expected an http:// or https:// URL`);
  }
  // Credentials in the URL would be printed wherever the endpoint is (the start-up line, the SDK's
  // own errors): they go in a header, which is never logged. The message shows the URL without them.
  const authority = /^https?:\/\/([^/?#]*)/.exec(url)![1]!;
  if (authority.includes("@")) {
    const shown = url.replace(authority, authority.slice(authority.lastIndexOf("@") + 1));
    throw new ConfigError(
      `${name} carries credentials in its URL (${JSON.stringify(shown)} without them): send them as a header instead, e.g. OTEL_EXPORTER_OTLP_HEADERS=authorization=Basic%20<base64 of user:password>`,
    );
  }
  return {
    url,
    protocol: protocol as OtelConfig["protocol"],
    headers: {
      ...parseOtelHeaders(get("OTEL_EXPORTER_OTLP_HEADERS"), "OTEL_EXPORTER_OTLP_HEADERS"),
      ...parseOtelHeaders(get("OTEL_EXPORTER_OTLP_TRACES_HEADERS"), "OTEL_EXPORTER_OTLP_TRACES_HEADERS"),
    },
    serviceName: get("OTEL_SERVICE_NAME") ?? "ollaix",
    scheduleDelayMs: readDelay(get("OTEL_BSP_SCHEDULE_DELAY")),
  };
}

/** `api-key=abc,x-tenant=a%20b` → `{ "api-key": "abc", "x-tenant": "a b" }`. */
export function parseOtelHeaders(text: string | undefined, name: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (!text) return headers;
  for (const pair of text.split(",")) {
    if (pair.trim() === "") continue;
    const eq = pair.indexOf("=");
    const key = eq > 0 ? pair.slice(0, eq).trim() : "";
    if (!key) throw new ConfigError(`${name} is invalid: expected comma-separated key=value pairs`);
    try {
      headers[key.toLowerCase()] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      throw new ConfigError(`${name} is invalid: the value of ${JSON.stringify(key)} is not URL-encoded`);
    }
  }
  return headers;
}

function readDelay(text: string | undefined): number {
  if (text === undefined) return 5000;
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms < 0) throw new ConfigError(`OTEL_BSP_SCHEDULE_DELAY=${JSON.stringify(text)} is invalid: expected milliseconds`);
  return ms;
}
