import { describe, expect, test } from "bun:test";
import { flattenNamespaces, namespacedCalls } from "./namespace-tools.ts";
import type { ResponsesTool } from "./request-schema.ts";

/** `run` throws the 400 naming `param`. */
const refuses = (run: () => unknown, param: string) => expect(run).toThrow(expect.objectContaining({ status: 400, param }));

describe("namespace tools", () => {
  const crm: ResponsesTool = {
    type: "namespace",
    name: "crm",
    description: "The CRM",
    tools: [
      { type: "function", name: "find_contact", parameters: { type: "object" } },
      { type: "custom", name: "note" },
    ],
  };

  test("a namespace's tools take its place, named <namespace>__<name>, with their own paths", () => {
    const weather: ResponsesTool = { type: "function", name: "weather" };
    expect(flattenNamespaces([weather, crm])).toEqual([
      { tool: weather, at: "tools[0]" },
      { tool: { type: "function", name: "crm__find_contact", parameters: { type: "object" }, description: "crm: The CRM" }, at: "tools[1].tools[0]" },
      { tool: { type: "custom", name: "crm__note", description: "crm: The CRM" }, at: "tools[1].tools[1]" },
    ]);
  });

  test("what a namespace cannot hold, or a name providers refuse, is a 400 naming it", () => {
    refuses(() => flattenNamespaces([{ type: "namespace", name: "x", tools: [{ type: "web_search" }] }]), "tools[0].tools[0].type");
    refuses(() => flattenNamespaces([{ type: "namespace", name: "x", tools: [] }]), "tools[0].tools");
    refuses(() => flattenNamespaces([{ type: "namespace", tools: [{ type: "function", name: "f" }] }]), "tools[0].name");
    refuses(() => flattenNamespaces([{ type: "namespace", name: "my.server", tools: [{ type: "function", name: "f" }] }]), "tools[0].tools[0].name");
    refuses(() => flattenNamespaces([{ type: "namespace", name: "n".repeat(40), tools: [{ type: "function", name: "f".repeat(30) }] }]), "tools[0].tools[0].name");
  });

  test("a response's namespaced calls by their flat names; none without namespaces", () => {
    const echoed = [{ type: "namespace" as const, name: "crm", description: "", tools: [{ type: "function" as const, name: "find_contact", description: null, parameters: null, strict: null }, { type: "custom" as const, name: "note", format: { type: "text" } }] }];
    expect(namespacedCalls(echoed)).toEqual(new Map([["crm__find_contact", { name: "find_contact", namespace: "crm", custom: false }], ["crm__note", { name: "note", namespace: "crm", custom: true }]]));
    expect(namespacedCalls([{ type: "function", name: "f", description: null, parameters: null, strict: null }])).toBeUndefined();
  });
});
