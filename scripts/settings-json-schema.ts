import { Type } from "@sinclair/typebox";
import { builtinPlugins } from "../plugins/index.ts";
import { PluginSettings as OpenAICompatibleSettings } from "../plugins/openai-compatible/settings.ts";
import { settingsSchema } from "../src/settings-schema.ts";

/**
 * The JSON Schema of the OLLAIX_CONFIG file for editors (`schema/ollaix-config.schema.json`),
 * generated from the same TypeBox schema start-up checks, with the built-in plugins' own sections.
 * `bun run schema` writes it; a test fails when it is out of date.
 */
export function configJsonSchema(): string {
  const names = builtinPlugins.map((p) => p.name);
  const own = Object.fromEntries(names.map((name) => [name, Type.Object({})]));
  own["openai-compatible"] = OpenAICompatibleSettings;
  const schema = settingsSchema(names, own, { otherPlugins: true });
  return `${JSON.stringify({ $schema: "http://json-schema.org/draft-07/schema#", ...schema }, null, 2)}\n`;
}
