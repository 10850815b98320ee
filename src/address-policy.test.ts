import { describe, expect, test } from "bun:test";
import { isPrivateAddress, nonPublicRange, parseAddress } from "./address-policy.ts";

describe("nonPublicRange: every spelling of a non-public address is refused", () => {
  test.each([
    // IPv4 in its old spellings (what getaddrinfo and some URL parsers accept)
    ["127.0.0.1", "loopback"],
    ["127.1", "loopback"],
    ["0x7f.1", "loopback"],
    ["0x7f000001", "loopback"],
    ["2130706433", "loopback"],
    ["0177.0.0.1", "loopback"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "linkLocal"],
    ["100.64.0.1", "carrierGradeNat"],
    ["100.127.255.254", "carrierGradeNat"],
    ["255.255.255.255", "broadcast"],
    ["224.0.0.1", "multicast"],
    ["240.0.0.1", "reserved"],
    ["192.0.0.8", "reserved"],
    ["192.0.2.1", "reserved"], // TEST-NET-1
    ["198.51.100.7", "reserved"], // TEST-NET-2
    ["203.0.113.9", "reserved"], // TEST-NET-3
    ["198.18.0.1", "reserved"], // benchmarking
    // IPv6
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["::", "unspecified"],
    ["fe80::1", "linkLocal"],
    ["fe80::1%eth0", "linkLocal"],
    ["fc00::1", "uniqueLocal"],
    ["fd12:3456::1", "uniqueLocal"],
    ["ff02::1", "multicast"],
    ["fec0::1", "deprecatedSiteLocal"],
    ["2001:db8::1", "reserved"],
    ["100::1", "discard"],
    ["2001::1", "teredo"],
    ["1::1", "unallocated"],
    // IPv6 forms that carry an IPv4 address
    ["::ffff:127.0.0.1", "ipv4Mapped(loopback)"],
    ["::ffff:7f00:1", "ipv4Mapped(loopback)"],
    ["0:0:0:0:0:ffff:7f00:1", "ipv4Mapped(loopback)"],
    ["[0:0:0:0:0:ffff:7f00:1]", "ipv4Mapped(loopback)"],
    ["::ffff:a9fe:a9fe", "ipv4Mapped(linkLocal)"],
    ["::ffff:0:10.0.0.1", "rfc6145(private)"],
    // ipaddr reads the deprecated dotted text `::a.b.c.d` as mapped; the URL parser's spelling
    // of the same address (`::7f00:1`) is the IPv4-compatible form.
    ["::127.0.0.1", "ipv4Mapped(loopback)"],
    ["::7f00:1", "ipv4Compatible(loopback)"],
    ["::a00:1", "ipv4Compatible(private)"],
    ["64:ff9b::127.0.0.1", "nat64(loopback)"],
    ["64:ff9b::a9fe:a9fe", "nat64(linkLocal)"],
    ["64:ff9b:1::8.8.8.8", "nat64LocalUse"],
    ["2002:7f00:1::", "6to4(loopback)"],
    ["2002:c0a8:0101::1", "6to4(private)"],
    ["2002:a9fe:a9fe::1", "6to4(linkLocal)"],
    // not an address at all
    ["example.com", "invalid"],
    ["256.1.1.1", "invalid"],
  ])("%s → %s", (address, range) => {
    expect(nonPublicRange(address)).toBe(range);
    expect(isPrivateAddress(address)).toBe(true);
  });
});

describe("public addresses pass, also when an IPv6 form carries a public IPv4", () => {
  test.each([
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "172.32.0.1",
    "100.128.0.1",
    "2606:4700::1111",
    "2a00:1450:4001:82a::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.8.8",
    "2002:0808:0808::1",
  ])("%s", (address) => {
    expect(nonPublicRange(address)).toBeUndefined();
    expect(isPrivateAddress(address)).toBe(false);
  });
});

describe("parseAddress", () => {
  test("IP literals (also bracketed) parse; host names do not", () => {
    expect(parseAddress("[::ffff:7f00:1]")?.toString()).toBe("::ffff:7f00:1");
    expect(parseAddress("0x7f.1")?.toString()).toBe("127.0.0.1");
    expect(parseAddress("localhost")).toBeUndefined();
    expect(parseAddress("img.example.com")).toBeUndefined();
  });
});
