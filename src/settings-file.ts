import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { ConfigError } from "./env.ts";

/** The `OLLAIX_CONFIG` file: per-plugin settings, keyed by plugin name. */
export const SettingsFile = Type.Object(
  {
    plugins: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: true },
);
export type SettingsFile = Static<typeof SettingsFile>;

/** Reads and checks the file; any problem is a ConfigError naming the file and the field. */
export async function readSettingsFile(path: string | undefined): Promise<SettingsFile> {
  if (!path) return {};
  const file = Bun.file(path);
  if (!(await file.exists())) throw new ConfigError(`OLLAIX_CONFIG=${JSON.stringify(path)}: file not found`);
  const text = await file.text();
  let data: unknown;
  try {
    data = /\.ya?ml$/i.test(path) ? Bun.YAML.parse(text) : JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`OLLAIX_CONFIG=${JSON.stringify(path)}: cannot parse: ${(error as Error).message}`);
  }
  if (data == null) return {};
  const first = Value.Errors(SettingsFile, data).First();
  if (first) throw new ConfigError(`OLLAIX_CONFIG=${JSON.stringify(path)}: ${first.path || "/"}: ${first.message}`);
  return data as SettingsFile;
}
