import { expect, test } from "bun:test";
import { builtinPlugins } from "../../plugins/index.ts";
import { listEnvironment } from "./environment.ts";
import { usageText } from "./help.ts";

const help = usageText("0.0.0", listEnvironment(builtinPlugins));
const line = (name: string): string => help.split("\n").find((l) => l.startsWith(`  ${name} `)) ?? "";

// A probe: the OTEL_* variables were tagged `[opentelemetry plugin]`, a plugin that does not exist.
test("OpenTelemetry's variables are tagged as its standard ones, not as a plugin's; a plugin's say which", () => {
  expect(help).not.toContain("opentelemetry plugin");
  for (const name of ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME", "OTEL_BSP_SCHEDULE_DELAY"]) {
    expect(line(name)).toEndWith("[OpenTelemetry standard]");
  }
  expect(line("OPENAI_BASE_URL")).toEndWith("[openai-compatible plugin]");
  expect(line("PORT")).not.toContain("["); // the core's own: no tag
});

// A probe: "the key for OPENAI_BASE_URL" hid that the key alone adds api.openai.com (README says so).
test("OPENAI_API_KEY says that, alone, it adds OpenAI itself", () => {
  expect(line("OPENAI_API_KEY")).toContain("set alone, the openai instance is OpenAI itself (https://api.openai.com/v1)");
});
