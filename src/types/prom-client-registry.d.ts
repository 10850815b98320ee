/**
 * prom-client's Registry on its own: the package's index also loads its default process metrics,
 * cluster aggregation, Pushgateway client and (through them) @opentelemetry/api, none of which the
 * gateway uses. Its `exports` map is absent, so the file is importable as is (version pinned).
 */
declare module "prom-client/lib/registry.js" {
  import type { Registry } from "prom-client";
  const RegistryClass: typeof Registry;
  export default RegistryClass;
}
