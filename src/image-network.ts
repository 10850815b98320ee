import { lookup } from "node:dns/promises";
import { nonPublicRange, parseAddress } from "./address-policy.ts";

/**
 * How the image loader reaches the network: one DNS resolution, then a connection to an address
 * that was checked (no second lookup, so a DNS answer that changes between check and connect —
 * rebinding — cannot slip a private address in).
 *
 * Bun's fetch (1.4.4, verified on loopback) connects to a URL's IP while a `Host` header carries
 * the original name, and for https `tls.serverName` sets both the SNI and the name the certificate
 * is verified against. So the request the image host sees is the one the client's URL describes.
 */
export interface ImageNetwork {
  /** Every address `hostname` resolves to (IPv4 and IPv6), in the resolver's order. */
  resolve(hostname: string): Promise<string[]>;
  fetch: typeof fetch;
}

const resolveAll = async (hostname: string): Promise<string[]> =>
  (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

let testNetwork: Partial<ImageNetwork> | undefined;

/**
 * Tests only: the network every image load uses (also inside an in-process gateway, whose plugins
 * pass their own `fetch`), so a name can resolve to a "public" address that a loopback fake
 * serves. `undefined` restores the real one. No request or setting can reach this.
 */
export function setImageNetworkForTests(network: Partial<ImageNetwork> | undefined): void {
  testNetwork = network;
}

export function imageNetwork(o: { fetch?: typeof fetch; resolve?: ImageNetwork["resolve"] }): ImageNetwork {
  return {
    resolve: testNetwork?.resolve ?? o.resolve ?? resolveAll,
    fetch: testNetwork?.fetch ?? o.fetch ?? fetch,
  };
}

/** Why a URL's host may not be fetched, as the client reads it in the 400. */
export class AddressRefused extends Error {}

/**
 * The addresses `url` may be fetched from: its IP literal, or every address its name resolves to.
 * Unless `allowPrivate`, one non-public address among them refuses the whole name (a name that
 * resolves to both a public and a private address is how rebinding and split answers get in).
 */
export async function checkedAddresses(
  url: URL,
  o: { allowPrivate: boolean; network: ImageNetwork; signal: AbortSignal; redirected: boolean },
): Promise<string[]> {
  const subject = o.redirected ? "a redirect" : "the URL";
  // The WHATWG parser already turned 0x7f.1, 2130706433, … into dotted IPv4 and IPv6 into its
  // compressed form; parseAddress reads the old spellings too, in case it did not.
  const literal = parseAddress(url.hostname);
  let addresses: string[];
  if (literal) addresses = [literal.toString()];
  else {
    try {
      addresses = await abortable(o.network.resolve(url.hostname), o.signal);
    } catch (error) {
      if (o.signal.aborted) throw error;
      addresses = [];
    }
    if (addresses.length === 0) throw new AddressRefused(`${subject}'s host name could not be resolved.`);
  }
  if (!o.allowPrivate && addresses.some((address) => nonPublicRange(address) !== undefined)) {
    throw new AddressRefused(
      `${literal ? `${subject} points at` : `${subject}'s host name resolves to`} a private, loopback, link-local or reserved address, which the gateway does not fetch.`,
    );
  }
  return addresses;
}

/**
 * `url` fetched from one of `addresses` (already checked), in order until one connects. For a host
 * name the connection goes to the IP with the name in `Host` and, for https, in the TLS server name.
 */
export async function fetchPinned(url: URL, addresses: readonly string[], network: ImageNetwork, init: RequestInit): Promise<Response> {
  const isName = parseAddress(url.hostname) === undefined;
  let lastError: unknown;
  for (const address of addresses) {
    const direct = new URL(url);
    direct.hostname = address.includes(":") ? `[${address}]` : address;
    // The setter ignores what it cannot parse (an IPv6 zone id): never fall back to the name.
    if (!parseAddress(direct.hostname)) continue;
    const headers = new Headers(init.headers);
    if (isName) headers.set("host", url.host);
    try {
      return await network.fetch(direct, {
        ...init,
        headers,
        ...(isName && url.protocol === "https:" ? { tls: { serverName: url.hostname } } : {}),
      });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      lastError = error; // unreachable from here (e.g. no IPv6 route): the next address
    }
  }
  throw lastError;
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
