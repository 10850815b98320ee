import { describe, expect, test } from "bun:test";
import { ConfigError } from "../env.ts";
import { readOtelConfig } from "./otel-config.ts";

describe("readOtelConfig (OpenTelemetry's exporter variables)", () => {
  test("no endpoint: tracing off", () => {
    expect(readOtelConfig({ OTEL_SERVICE_NAME: "x", OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" })).toBeUndefined();
  });

  test.each([
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }, "http://collector:4318/v1/traces"],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }, "http://collector:4318/v1/traces"],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "https://otel.example.com/otlp" }, "https://otel.example.com/otlp/v1/traces"],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://jaeger:4318/custom/path" }, "http://jaeger:4318/custom/path"],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://b:4318/v1/traces" }, "http://b:4318/v1/traces"],
  ])("%j → %s", (env, url) => {
    expect(readOtelConfig(env)).toEqual({ url, protocol: "http/protobuf", headers: {}, serviceName: "ollaix", scheduleDelayMs: 5000 });
  });

  test("protocol, headers (URL-decoded, traces-specific ones win), service name, batch delay", () => {
    expect(
      readOtelConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Bearer%20abc, x-tenant=a%2Cb",
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x-tenant=traces",
        OTEL_SERVICE_NAME: "gateway-eu",
        OTEL_BSP_SCHEDULE_DELAY: "250",
      }),
    ).toEqual({
      url: "http://c:4318/v1/traces",
      protocol: "http/json",
      headers: { authorization: "Bearer abc", "x-tenant": "traces" },
      serviceName: "gateway-eu",
      scheduleDelayMs: 250,
    });
    expect(readOtelConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/protobuf" })?.protocol).toBe("http/protobuf");
  });

  test.each([
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }, "OTEL_EXPORTER_OTLP_PROTOCOL"],
    [{ OTEL_EXPORTER_OTLP_HEADERS: "no-equals-sign" }, "OTEL_EXPORTER_OTLP_HEADERS"],
    [{ OTEL_EXPORTER_OTLP_HEADERS: "k=%E0%A4%A" }, "OTEL_EXPORTER_OTLP_HEADERS"],
    [{ OTEL_BSP_SCHEDULE_DELAY: "soon" }, "OTEL_BSP_SCHEDULE_DELAY"],
  ])("%j is refused naming the variable", (env, name) => {
    expect(() => readOtelConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", ...env })).toThrow(ConfigError);
    expect(() => readOtelConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", ...env })).toThrow(name);
  });

  test("an endpoint with credentials in its URL is refused, naming the variable, the URL shown without them", () => {
    for (const [name, url] of [["OTEL_EXPORTER_OTLP_ENDPOINT", "http://u:SuperSecretPw@h:4318"], ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://token@otel.example/v1/traces"]] as const) {
      let message = "";
      try {
        readOtelConfig({ [name]: url });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        message = (error as Error).message;
      }
      expect(message).toContain(name);
      expect(message).not.toContain("SuperSecretPw");
      expect(message).not.toContain("token@");
    }
  });

  test("an endpoint that is not an http(s) URL is refused; a header's value never appears in the message", () => {
    expect(() => readOtelConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4317" })).toThrow("OTEL_EXPORTER_OTLP_ENDPOINT");
    try {
      readOtelConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c", OTEL_EXPORTER_OTLP_HEADERS: "api-key=%ZZsecret-value" });
      throw new Error("not refused");
    } catch (error) {
      expect((error as Error).message).not.toContain("secret-value");
    }
  });
});
