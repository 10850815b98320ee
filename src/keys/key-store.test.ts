import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { inspect } from "node:util";
import { KeyStore } from "./key-store.ts";

const hex = (key: string) => createHash("sha256").update(key).digest("hex");

describe("KeyStore", () => {
  const secrets: string[] = [];
  const store = KeyStore.from(
    [
      { name: "team-a", key_env: "TEAM_A_KEY", models: ["gpt-*"], rpm: 5 },
      { name: "ci", key_sha256: hex("sk-ci-key-2").toUpperCase() },
    ],
    ["sk-short-1", "sk-short-2"],
    { TEAM_A_KEY: "  sk-team-a-key  " },
    (v) => secrets.push(v),
  );

  test("identifies each key by its digest, whatever its source", () => {
    expect(store.identify("sk-team-a-key")?.name).toBe("team-a");
    expect(store.identify("sk-ci-key-2")?.name).toBe("ci");
    expect(store.identify("sk-short-2")?.name).toBe("api-key-2");
    expect(store.identify("sk-short-2")?.limits).toBeUndefined();
    expect(store.identify("sk-team-a-key")?.limits).toEqual({ rpm: 5 });
  });

  test.each([[""], [undefined], ["sk-team-a-ke"], ["sk-team-a-key "], ["x".repeat(10_000)]])("refuses %p", (presented) => {
    expect(store.identify(presented)).toBeUndefined();
  });

  test("keeps digests only: the keys are in neither the records nor the store's inspection, and are registered as secrets", () => {
    const dump = inspect(store, { depth: 10, showHidden: true }) + JSON.stringify(store.records);
    expect(dump).not.toContain("sk-team-a-key");
    expect(dump).not.toContain("sk-short-1");
    expect(secrets).toEqual(["sk-team-a-key"]);
  });

  test("model lists are globs", () => {
    const key = store.identify("sk-team-a-key")!;
    expect(key.allows?.("gpt-4o")).toBe(true);
    expect(key.allows?.("claude-3")).toBe(false);
    expect(store.identify("sk-ci-key-2")?.allows).toBeUndefined();
  });

  test("no keys: not enabled", () => {
    expect(KeyStore.from(undefined, [], {}, () => undefined).isEnabled).toBe(false);
  });
});
