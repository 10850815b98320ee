import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadImage } from "./image-fetch.ts";

/**
 * The loader's network path: one resolution per hop, the connection to the checked address with
 * the original name in `Host` (and the TLS server name), against real loopback listeners. A name
 * "resolves" to a public address through the injected resolver; the injected fetch carries a
 * connection to that address to loopback, and records what the loader asked for.
 */
const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");
const PUBLIC = "93.184.216.34";
const param = "messages[0].content[0].image_url.url";

/** The "private" service an attacker aims at: it must never see a request. */
const privateHits: string[] = [];
const privateService = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(request) {
    privateHits.push(request.url);
    return new Response(PNG, { headers: { "content-type": "image/png" } });
  },
});

/** The "public" image host, reached through PUBLIC. */
const publicSeen: { url: string; host: string | null }[] = [];
let redirectTo = "";
const publicHost = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(request) {
    publicSeen.push({ url: request.url, host: request.headers.get("host") });
    const path = new URL(request.url).pathname;
    if (path === "/redirect") return new Response(null, { status: 302, headers: { location: redirectTo } });
    return new Response(PNG, { headers: { "content-type": "image/png" } });
  },
});
afterAll(() => {
  privateService.stop(true);
  publicHost.stop(true);
});

const connected: { url: string; host: string | null; serverName: string | undefined }[] = [];
/** Connections to PUBLIC go to the loopback "public" host; anything else would be a real connection. */
const fakeFetch = ((input: URL | string, init?: RequestInit & { tls?: { serverName?: string } }) => {
  const url = new URL(String(input));
  connected.push({ url: url.href, host: new Headers(init?.headers).get("host"), serverName: init?.tls?.serverName });
  if (url.hostname === PUBLIC) url.hostname = "127.0.0.1";
  return fetch(url, init);
}) as typeof fetch;

let lookups: string[] = [];
const answers: Record<string, string[][]> = {};
/** Each lookup of a name takes its next answer (the last one repeats): a rebinding DNS server. */
const resolve = async (name: string) => {
  lookups.push(name);
  const list = answers[name];
  if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: "ENOTFOUND" });
  return list.length > 1 ? list.shift()! : list[0]!;
};
const options = { allowPrivate: false, param, fetch: fakeFetch, resolve };

beforeEach(() => {
  privateHits.length = 0;
  publicSeen.length = 0;
  connected.length = 0;
  lookups = [];
  for (const key of Object.keys(answers)) delete answers[key];
});

describe("one lookup, then a connection to the checked address", () => {
  test("the IP is dialled, the name travels in Host", async () => {
    answers["img.example.com"] = [[PUBLIC]];
    const image = await loadImage(`http://img.example.com:${publicHost.port}/cat.png`, options);
    expect(image).toEqual({ mimeType: "image/png", data: PNG.toString("base64") });
    expect(lookups).toEqual(["img.example.com"]);
    expect(connected).toEqual([{ url: `http://${PUBLIC}:${publicHost.port}/cat.png`, host: `img.example.com:${publicHost.port}`, serverName: undefined }]);
    expect(publicSeen).toEqual([{ url: `http://img.example.com:${publicHost.port}/cat.png`, host: `img.example.com:${publicHost.port}` }]);
  });

  test("DNS rebinding: a second answer (loopback) is never asked for, so never used", async () => {
    answers["rebind.example.com"] = [[PUBLIC], ["127.0.0.1"]];
    await loadImage(`http://rebind.example.com:${publicHost.port}/cat.png`, options);
    expect(lookups).toEqual(["rebind.example.com"]);
    expect(connected.map((c) => new URL(c.url).hostname)).toEqual([PUBLIC]);
    expect(privateHits).toEqual([]);
  });

  test.each([
    ["both a public and a private address", [PUBLIC, "127.0.0.1"]],
    ["an IPv4-mapped loopback", ["::ffff:7f00:1"]],
    ["link-local metadata", ["169.254.169.254"]],
    ["a NAT64 form of loopback", ["64:ff9b::7f00:1"]],
  ])("a name that resolves to %s is refused before any connection", async (_label, addresses) => {
    answers["evil.example.com"] = [addresses];
    await expect(loadImage(`http://evil.example.com:${privateService.port}/a.png`, options)).rejects.toMatchObject({
      status: 400,
      param,
      message: `Invalid image in '${param}': the URL's host name resolves to a private, loopback, link-local or reserved address, which the gateway does not fetch.`,
    });
    expect(connected).toEqual([]);
    expect(privateHits).toEqual([]);
  });

  test("an unresolvable name is a 400", async () => {
    await expect(loadImage("http://nowhere.example.com/a.png", options)).rejects.toMatchObject({
      status: 400,
      message: `Invalid image in '${param}': the URL's host name could not be resolved.`,
    });
  });

  test("an address that does not connect gives way to the next one", async () => {
    answers["two.example.com"] = [["2606:4700::1111", PUBLIC]];
    const failing = ((input: URL | string, init?: RequestInit) =>
      new URL(String(input)).hostname.startsWith("[") ? Promise.reject(new TypeError("unreachable")) : fakeFetch(input, init)) as typeof fetch;
    await loadImage(`http://two.example.com:${publicHost.port}/cat.png`, { ...options, fetch: failing });
    expect(connected.map((c) => new URL(c.url).hostname)).toEqual([PUBLIC]);
  });
});

describe("redirects: every hop checked with its own single lookup", () => {
  test.each([
    ["loopback", () => `http://127.0.0.1:${privateService.port}/a.png`],
    ["IPv4-mapped", () => `http://[::ffff:127.0.0.1]:${privateService.port}/a.png`],
    ["IPv4-mapped, long form", () => `http://[0:0:0:0:0:ffff:7f00:1]:${privateService.port}/a.png`],
    ["IPv4-compatible", () => `http://[::127.0.0.1]:${privateService.port}/a.png`],
    ["decimal", () => `http://2130706433:${privateService.port}/a.png`],
    ["hex short", () => `http://0x7f.1:${privateService.port}/a.png`],
    ["octal", () => `http://0177.0.0.1:${privateService.port}/a.png`],
    ["a name resolving to loopback", () => `http://inside.example.com:${privateService.port}/a.png`],
  ])("a public host redirecting to %s is refused; the private service sees nothing", async (_label, location) => {
    answers["img.example.com"] = [[PUBLIC]];
    answers["inside.example.com"] = [["127.0.0.1"]];
    redirectTo = location();
    await expect(loadImage(`http://img.example.com:${publicHost.port}/redirect`, options)).rejects.toMatchObject({
      status: 400,
      param,
      message: expect.stringMatching(/a redirect('s host name resolves to| points at) a private, loopback, link-local or reserved address/),
    });
    expect(publicSeen.length).toBe(1);
    expect(privateHits).toEqual([]);
  });

  test("a redirect to another public name is followed, resolved once", async () => {
    answers["img.example.com"] = [[PUBLIC]];
    answers["cdn.example.com"] = [[PUBLIC]];
    redirectTo = `http://cdn.example.com:${publicHost.port}/cat.png`;
    await loadImage(`http://img.example.com:${publicHost.port}/redirect`, options);
    expect(lookups).toEqual(["img.example.com", "cdn.example.com"]);
    expect(publicSeen.map((s) => s.host)).toEqual([`img.example.com:${publicHost.port}`, `cdn.example.com:${publicHost.port}`]);
  });

  test("a redirect out of http(s) is a 400", async () => {
    answers["img.example.com"] = [[PUBLIC]];
    redirectTo = "file:///etc/passwd";
    await expect(loadImage(`http://img.example.com:${publicHost.port}/redirect`, options)).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining("a redirect leaves http(s)"),
    });
  });
});

describe("https: the connection to the IP presents the name (SNI) and checks the certificate against it", () => {
  const dir = mkdtempSync(join(tmpdir(), "ollaix-tls-"));
  const made = Bun.spawnSync(
    ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=img.example.com",
      "-addext", "subjectAltName=DNS:img.example.com", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
    { stderr: "pipe" },
  );
  if (made.exitCode !== 0) throw new Error(`openssl failed: ${made.stderr}`);
  const cert = readFileSync(join(dir, "cert.pem"), "utf8");
  const key = readFileSync(join(dir, "key.pem"), "utf8");
  rmSync(dir, { recursive: true, force: true });
  const tlsHost = Bun.serve({ port: 0, hostname: "127.0.0.1", tls: { cert, key }, fetch: () => new Response(PNG, { headers: { "content-type": "image/png" } }) });
  afterAll(() => tlsHost.stop(true));
  /** Trusts the test certificate; keeps whatever TLS options the loader set. */
  const trusting = ((input: URL | string, init?: RequestInit & { tls?: object }) =>
    fakeFetch(input, { ...init, tls: { ...init?.tls, ca: cert } } as RequestInit)) as typeof fetch;

  test("a name resolved to the IP: the certificate for the name verifies", async () => {
    answers["img.example.com"] = [[PUBLIC]];
    const image = await loadImage(`https://img.example.com:${tlsHost.port}/cat.png`, { ...options, fetch: trusting });
    expect(image.mimeType).toBe("image/png");
    expect(connected).toEqual([{ url: `https://${PUBLIC}:${tlsHost.port}/cat.png`, host: `img.example.com:${tlsHost.port}`, serverName: "img.example.com" }]);
  });

  test("another name on the same address does not verify: the server name is really checked", async () => {
    answers["other.example.com"] = [[PUBLIC]];
    await expect(loadImage(`https://other.example.com:${tlsHost.port}/cat.png`, { ...options, fetch: trusting })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining("could not be fetched"),
    });
  });
});
