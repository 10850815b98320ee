// `bun run schema`: writes schema/ollaix-config.schema.json from the TypeBox schema.
import { resolve } from "node:path";
import { configJsonSchema } from "./settings-json-schema.ts";

const out = resolve(import.meta.dir, "../schema/ollaix-config.schema.json");
await Bun.write(out, configJsonSchema());
process.stdout.write(`wrote ${out}\n`);
