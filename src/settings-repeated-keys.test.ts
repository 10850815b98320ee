import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { repeatedJsonKeys, repeatedYamlKeys } from "./settings-repeated-keys.ts";

const SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

describe("repeatedYamlKeys: a key given twice in one mapping, at any depth", () => {
  test.each([
    // The probe's case: a key's `models` given again below widened it to every model.
    ["in a list item's block mapping", `keys:\n  - name: team-a\n    key_sha256: ${SHA}\n    models: ["cheap"]\n    rpm: 10\n    models: ["*"]\n`, [{ segments: ["keys", "0", "models"], line: 6, first: 4 }]],
    ["in a flow mapping", "plugins:\n  dummy: { enabled: true, enabled: false }\n", [{ segments: ["plugins", "dummy", "enabled"], line: 2, first: 2 }]],
    ["in a flow mapping inside a list", "routes:\n  - { model: a, targets: [{ model: x, model: y }] }\n", [{ segments: ["routes", "0", "targets", "0", "model"], line: 2, first: 2 }]],
    ["quoted once, plain once", "plugins:\n  'dummy': {}\n  \"dummy\": {}\n  dummy: {}\n", [
      { segments: ["plugins", "dummy"], line: 3, first: 2 },
      { segments: ["plugins", "dummy"], line: 4, first: 2 },
    ]],
    ["the second list item only", "keys:\n  - { name: a }\n  - name: b\n    rpm: 1\n    rpm: 2\n", [{ segments: ["keys", "1", "rpm"], line: 5, first: 4 }]],
    ["two spellings of one property (`~` and `null`)", "~: a\nnull: b\n", [{ segments: ["null"], line: 2, first: 1 }]],
    ["at the top, after a byte-order mark", "\uFEFFkeys: []\nkeys: []\n", [{ segments: ["keys"], line: 2, first: 1 }]],
  ])("%s", async (_what, text, expected) => {
    expect(Bun.YAML.parse(text)).toBeDefined(); // Bun's parser accepts it (keeping the last)
    expect(await repeatedYamlKeys(text)).toEqual(expected);
  });

  test.each([
    ["one name in sibling mappings", "keys:\n  - { name: a, rpm: 1 }\n  - name: b\n    rpm: 1\n"],
    ["a block scalar that reads like keys", "x: |\n  a: 1\n  a: 2\n"],
    ["comments", "# keys: []\nkeys: [] # keys: []\n"],
    ["a merge key and the key it overrides", "base: &b { rpm: 1 }\nkey:\n  <<: *b\n  rpm: 2\n"],
    ["one key per document", "a: 1\n---\na: 2\n"],
    ["an empty file", ""],
  ])("no repeat: %s", async (_what, text) => {
    expect(await repeatedYamlKeys(text)).toEqual([]);
  });

  test("a %YAML 1.1 directive: keys read as Bun reads them (the core schema), so `yes` and \"true\" are two keys (a review)", async () => {
    const text = '%YAML 1.1\n---\na:\n  yes: 1\n  "true": 2\n';
    expect(Object.keys((Bun.YAML.parse(text) as { a: object }).a)).toEqual(["yes", "true"]);
    expect(await repeatedYamlKeys(text)).toEqual([]);
  });

  test("any YAML Bun writes from a value has no repeat", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        expect(await repeatedYamlKeys(Bun.YAML.stringify(value, null, 2))).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});

describe("repeatedJsonKeys", () => {
  test.each([
    ["in a plugin section", '{"plugins":{"dummy":{"enabled":true},"dummy":{"enabled":false}}}', [{ segments: ["plugins", "dummy"], line: 1, first: 1 }]],
    ["in an object inside a list", '{\n  "keys": [\n    { "name": "a" },\n    { "name": "b",\n      "models": ["x"],\n      "models": ["*"] }\n  ]\n}', [{ segments: ["keys", "1", "models"], line: 6, first: 5 }]],
    ["written with an escape", '{"keys":[],"\\u006beys":[]}', [{ segments: ["keys"], line: 1, first: 1 }]],
    ["in a list inside a list", '{"a":[1,{"k":1},[{"k":1,"k":2}]]}', [{ segments: ["a", "2", "0", "k"], line: 1, first: 1 }]],
  ])("%s", (_what, text, expected) => {
    expect(JSON.parse(text)).toBeDefined();
    expect(repeatedJsonKeys(text)).toEqual(expected);
  });

  test.each([
    ["one name in sibling objects", '{"keys":[{"name":"a"},{"name":"b"}]}'],
    ["a key's name as a value", '{"name":"name","x":{"name":1}}'],
    ["strings holding quotes, braces and colons", '{"a":"}\\",\\"a\\":{","b":"[\\"a\\":1]"}'],
    ["not an object", '["a","a"]'],
  ])("no repeat: %s", (_what, text) => {
    expect(repeatedJsonKeys(text)).toEqual([]);
  });

  test("any JSON that JSON.stringify writes has no repeat", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, pretty) => {
        expect(repeatedJsonKeys(JSON.stringify(value, null, pretty ? 2 : 0))).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });
});
