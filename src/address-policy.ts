import ipaddr from "ipaddr.js";

/**
 * Which IP addresses the gateway may fetch images from on a client's behalf (SSRF guard, issue 9).
 * The ranges come from `ipaddr.js` (IANA special-purpose registries), not from hand-written
 * patterns: a regex missed `[::ffff:7f00:1]`, the WHATWG URL parser's spelling of
 * `[::ffff:127.0.0.1]`. Only global unicast passes; IPv6 forms that carry an IPv4 address
 * (mapped, compatible, NAT64, 6to4) are judged by the IPv4 address they carry.
 */

/** `addr` parsed, or undefined when it is not an IP address (a host name). Takes `[v6]` too. */
export function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  // ipaddr also reads the old IPv4 spellings (0x7f.1, 0177.0.0.1, 2130706433, 127.1).
  return ipaddr.isValid(bare) ? ipaddr.parse(bare) : undefined;
}

/**
 * Why `address` is not a public address (the name of its special range, e.g. `loopback`,
 * `ipv4Mapped(private)`), or undefined when it is global unicast. Text that is not an IP address
 * is refused as `invalid`.
 */
export function nonPublicRange(address: string | ipaddr.IPv4 | ipaddr.IPv6): string | undefined {
  const parsed = typeof address === "string" ? parseAddress(address) : address;
  if (!parsed) return "invalid";
  return parsed.kind() === "ipv4" ? ipv4Range(parsed as ipaddr.IPv4) : ipv6Range(parsed as ipaddr.IPv6);
}

export const isPublicAddress = (address: string): boolean => nonPublicRange(address) === undefined;

/** Loopback, private, link-local, CGNAT, unspecified, reserved, … and every IPv6 form of them. */
export const isPrivateAddress = (address: string): boolean => !isPublicAddress(address);

function ipv4Range(address: ipaddr.IPv4): string | undefined {
  // `unicast` is ipaddr's name for "none of the special ranges" (RFC 6890 and successors):
  // 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.0.0/24, 192.0.2/24, 192.168/16,
  // 198.18/15, 198.51.100/24, 203.0.113/24, 224/4, 240/4 and 255.255.255.255 are all named.
  const range = address.range();
  return range === "unicast" ? undefined : range;
}

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR("2000::/3");
const NAT64_WELL_KNOWN = ipaddr.parseCIDR("64:ff9b::/96");

function ipv6Range(address: ipaddr.IPv6): string | undefined {
  const range = address.range();
  const parts = address.parts;
  const embedded = (high: number, low: number, name: string) => {
    const inner = ipv4Range(ipaddr.fromByteArray([high >> 8, high & 0xff, low >> 8, low & 0xff]) as ipaddr.IPv4);
    return inner === undefined ? undefined : `${name}(${inner})`;
  };
  switch (range) {
    case "ipv4Mapped": // ::ffff:a.b.c.d
    case "rfc6145": // ::ffff:0:a.b.c.d (SIIT)
      return embedded(parts[6]!, parts[7]!, range);
    case "rfc6052":
      // The well-known NAT64 prefix carries the IPv4 address in its last 32 bits; the local-use
      // prefix 64:ff9b:1::/48 reaches a local translator: refused whatever it carries.
      return address.match(NAT64_WELL_KNOWN) ? embedded(parts[6]!, parts[7]!, "nat64") : "nat64LocalUse";
    case "6to4": // 2002:AABB:CCDD::/48 carries AA.BB.CC.DD
      return embedded(parts[1]!, parts[2]!, "6to4");
    case "unicast":
      // IPv4-compatible (::a.b.c.d, deprecated by RFC 4291) is "unicast" to ipaddr; `::` and `::1`
      // were matched above as unspecified and loopback.
      if (parts.slice(0, 6).every((part) => part === 0)) return embedded(parts[6]!, parts[7]!, "ipv4Compatible");
      // Every public IPv6 address is in 2000::/3; outside it is unallocated space.
      return address.match(GLOBAL_UNICAST_V6) ? undefined : "unallocated";
    default:
      // unspecified, loopback, linkLocal, uniqueLocal, multicast, teredo, reserved (2001:db8::/32
      // documentation, …), benchmarking, discard, deprecatedSiteLocal, orchid, …
      return range;
  }
}
