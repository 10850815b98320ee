import { describe, expect, test } from "bun:test";
import { adminKeyCheck } from "../observe/admin-key.ts";
import { hostnameOf, isLoopbackAddress, isSameOrigin } from "./access.ts";

describe("isLoopbackAddress", () => {
  test.each([
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["localhost", true],
    ["LOCALHOST", true],
    ["app.localhost", true],
    ["::1", true],
    ["[::1]", true],
    ["::ffff:127.0.0.1", true],
    ["0.0.0.0", false],
    ["::", false],
    ["192.168.1.10", false],
    ["10.0.0.1", false],
    ["example.com", false],
    ["127.0.0.1.example.com", false],
    ["localhost.example.com", false],
  ])("%s → %p", (host, expected) => {
    expect(isLoopbackAddress(host)).toBe(expected);
  });
});

test.each([
  ["127.0.0.1:8000", "127.0.0.1"],
  ["localhost", "localhost"],
  ["[::1]:8000", "[::1]"],
  ["[::1]", "[::1]"],
])("hostnameOf(%s) = %s", (header, host) => {
  expect(hostnameOf(header)).toBe(host);
});

describe("isSameOrigin", () => {
  test("no Origin (same-origin GET, curl) passes", () => expect(isSameOrigin(null, "127.0.0.1:8000")).toBe(true));
  test("the page's own origin passes", () => expect(isSameOrigin("http://127.0.0.1:8000", "127.0.0.1:8000")).toBe(true));
  test("another site is refused", () => expect(isSameOrigin("https://evil.example", "127.0.0.1:8000")).toBe(false));
  test("another port is refused", () => expect(isSameOrigin("http://127.0.0.1:3000", "127.0.0.1:8000")).toBe(false));
  test("opaque origin `null` is refused", () => expect(isSameOrigin("null", "127.0.0.1:8000")).toBe(false));
});

test("adminKeyCheck accepts exactly `Bearer <key>`", () => {
  const isAdmin = adminKeyCheck("s3cret-admin");
  expect(isAdmin("Bearer s3cret-admin")).toBe(true);
  expect(isAdmin("Bearer s3cret-admin ")).toBe(true);
  expect(isAdmin("Bearer s3cret-admiN")).toBe(false);
  expect(isAdmin("Bearer s3cret")).toBe(false);
  expect(isAdmin("s3cret-admin")).toBe(false);
  expect(isAdmin("Basic s3cret-admin")).toBe(false);
  expect(isAdmin(null)).toBe(false);
});
