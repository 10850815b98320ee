import { expect, test } from "bun:test";
import { canBeHeader } from "./api.ts";

test("a key goes in a header when fetch can send it: spaces, tabs and Latin-1 yes (the gateway takes them), beyond Latin-1 no", () => {
  for (const key of ["sk-plain", "correct horse battery", "tab\tkey", "café-clé", ""]) {
    expect(canBeHeader(key)).toBe(true);
    expect(() => new Headers({ authorization: `Bearer ${key}` })).not.toThrow();
  }
  for (const key of ["key-with-€", "“smart”", "emoji-🔑"]) {
    expect(canBeHeader(key)).toBe(false);
    expect(() => new Headers({ authorization: `Bearer ${key}` })).toThrow();
  }
});
