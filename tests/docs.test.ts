// The API reference: `/` → `/docs`, a page that needs no internet (Scalar served by the gateway),
// an OpenAPI document built from the schemas, and — where /usr/bin/chromium exists — a real
// headless render proving Scalar's JS ran and loaded /docs/json with every other host unreachable.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SEED_MESSAGES, startTestGateway, type TestGateway } from "./helpers/gateway.ts";

const CHROMIUM = "/usr/bin/chromium";

let gw: TestGateway;
let html: string;
let spec: Record<string, any>;

beforeAll(async () => {
  gw = await startTestGateway();
  html = await (await fetch(`${gw.url}/docs`)).text();
  spec = (await (await fetch(`${gw.url}/docs/json`)).json()) as Record<string, any>;
});

afterAll(async () => {
  await gw?.close();
});

/** Every URL the page would load by itself: script/img/iframe src, link href, CSS url() and @import. */
function loadedUrls(page: string): string[] {
  const urls: string[] = [];
  for (const m of page.matchAll(/<(?:script|img|iframe|source|embed)\b[^>]*\ssrc\s*=\s*["']?([^"'\s>]+)/gi)) urls.push(m[1]!);
  for (const m of page.matchAll(/<link\b[^>]*\shref\s*=\s*["']?([^"'\s>]+)/gi)) urls.push(m[1]!);
  for (const m of page.matchAll(/url\(\s*["']?([^"')]+)/gi)) urls.push(m[1]!);
  for (const m of page.matchAll(/@import\s+["']([^"']+)/gi)) urls.push(m[1]!);
  return urls;
}

const isRemote = (url: string) => /^(?:[a-z][a-z0-9+.-]*:)?\/\//i.test(url) && !/^data:/i.test(url);

describe("docs routes", () => {
  test("/ redirects a browser to /docs", async () => {
    const response = await fetch(`${gw.url}/`, { redirect: "manual", headers: { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" } });
    expect([301, 302, 303, 307, 308]).toContain(response.status);
    expect(response.headers.get("location")).toBe("/docs");
  });

  test("the page's description meta tags are escaped text (the description has quotes)", () => {
    const description = spec.info.description as string;
    expect(description).toContain('"');
    const metas = [...html.matchAll(/<meta\s+name="(description|og:description)"\s+content="([^"]*)"\s*\/>/g)];
    expect(metas.map((m) => m[1])).toEqual(["description", "og:description"]);
    const unescape = (text: string) => text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
    for (const meta of metas) expect(unescape(meta[2]!)).toBe(description);
  });

  test("/docs is HTML that loads Scalar from docs/scalar.js and nothing from the internet", async () => {
    const response = await fetch(`${gw.url}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const urls = loadedUrls(html);
    expect(urls).toContain("docs/scalar.js");
    expect(urls.filter(isRemote)).toEqual([]);
    // No remote script/style/font anywhere in the page (fonts.scalar.com, jsdelivr, …).
    expect(html).not.toMatch(/<script\b[^>]*\ssrc\s*=\s*["']?https?:/i);
    expect(html).not.toMatch(/<link\b[^>]*\shref\s*=\s*["']?https?:/i);
    expect(html).not.toMatch(/url\(\s*["']?https?:/i);
    expect(html).not.toMatch(/https?:\/\/[^"'\s)]*\.(?:woff2?|ttf|otf|css|m?js)\b/i);
    expect(html).not.toMatch(/fonts\.(?:scalar\.com|googleapis\.com|gstatic\.com)/i);

    // Scalar's own configuration: local bundle, no default (remote) fonts, no proxy host.
    const configAttr = html.match(/data-configuration\s*=\s*'([^']*)'/)?.[1];
    expect(configAttr).toBeDefined();
    const config = JSON.parse(configAttr!) as Record<string, unknown>;
    expect(config.url).toBe("docs/json");
    expect(config.cdn).toBe("docs/scalar.js");
    expect(config.withDefaultFonts).toBe(false);
    expect(config.proxyUrl ?? "").toBe("");
  });

  test("/docs/scalar.js is the self-contained bundle", async () => {
    const response = await fetch(`${gw.url}/docs/scalar.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/javascript/);
    expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(1_000_000);
  });

  test("/docs/json is OpenAPI 3.x with the gateway's paths and tags", () => {
    expect(spec.openapi).toMatch(/^3\./);
    expect(spec.info.title).toBe("Ollaix API");
    const paths = spec.paths as Record<string, Record<string, any>>;
    expect(paths["/v1/chat/completions"]?.post).toBeDefined();
    expect(paths["/v1/models"]?.get).toBeDefined();
    // The retrieve route is a wildcard in the router (ids contain `/`); the document names its parameter.
    expect(paths["/v1/models/*"]).toBeUndefined();
    const retrieve = paths["/v1/models/{id}"]!.get;
    expect(retrieve.parameters).toEqual([expect.objectContaining({ name: "id", in: "path", required: true })]);
    expect(Object.keys(retrieve.responses)).toEqual(expect.arrayContaining(["200", "404"]));
    expect(paths["/v1/embeddings"]?.post).toBeDefined();
    expect(paths["/health"]?.get).toBeDefined();
    // Routes that are not API: hidden.
    expect(paths["/"]).toBeUndefined();
    expect(paths["/docs/scalar.js"]).toBeUndefined();

    const tagNames = (spec.tags as { name: string }[]).map((t) => t.name);
    for (const tag of ["Chat", "Models", "Health"]) expect(tagNames).toContain(tag);
    expect(paths["/v1/chat/completions"]!.post.tags).toContain("Chat");
    expect(paths["/v1/models"]!.get.tags).toContain("Models");
    expect(paths["/health"]!.get.tags).toContain("Health");
  });

  test("/docs/json says how a key is sent (Bearer, or x-api-key as Anthropic's SDKs do), and that none is needed without keys", () => {
    expect(spec.security).toEqual([{ bearer: [] }, { apiKey: [] }, {}]);
    const schemes = (spec.components as { securitySchemes: Record<string, Record<string, string>> }).securitySchemes;
    expect(schemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    expect(schemes.apiKey).toMatchObject({ type: "apiKey", in: "header", name: "x-api-key" });
  });

  test("the chat completion request body has a JSON schema whose example is the seed conversation", () => {
    const requestBody = spec.paths["/v1/chat/completions"].post.requestBody as Record<string, any> | undefined;
    expect(requestBody).toBeDefined();
    const media = requestBody!.content?.["application/json"] as Record<string, any> | undefined;
    expect(media).toBeDefined(); // a body schema the page can show and "Try it" can fill in
    const schema = media!.schema as Record<string, any>;
    expect(schema.type).toBe("object");
    expect(schema.required).toEqual(expect.arrayContaining(["model", "messages"]));
    // The example may sit on the media type or on the schema, in either OpenAPI spelling.
    const examples: unknown[] = [
      media!.example,
      ...Object.values((media!.examples ?? {}) as Record<string, { value?: unknown }>).map((e) => e?.value),
      schema.example,
      ...((schema.examples as unknown[] | undefined) ?? []),
    ].filter((e) => e !== undefined);
    const seed = examples.find((e) => (e as { model?: string })?.model === "dummy-model:1.0") as Record<string, unknown> | undefined;
    expect(seed).toBeDefined();
    expect(seed!.messages).toEqual(SEED_MESSAGES as unknown as unknown[]);
  });
});

describe.skipIf(!existsSync(CHROMIUM))("docs page in headless Chromium", () => {
  test(
    "Scalar renders the operations from /docs/json, with every host but 127.0.0.1 unreachable",
    async () => {
      // Only shows up once Scalar's JS ran and read /docs/json: not in the static HTML.
      expect(html).not.toContain("Create a chat completion");
      const profile = mkdtempSync(join(tmpdir(), "ollaix-chromium-"));
      try {
        const proc = Bun.spawn(
          [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            `--user-data-dir=${profile}`,
            // Offline for real: no name but the loopback address resolves.
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            "--window-size=1280,900",
            "--virtual-time-budget=10000",
            "--dump-dom",
            `${gw.url}/docs`,
          ],
          { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: profile } },
        );
        const timer = setTimeout(() => proc.kill("SIGKILL"), 60_000);
        const [dom, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
        clearTimeout(timer);
        if (exitCode !== 0 || !dom.includes("Create a chat completion")) {
          console.error(`chromium exit ${exitCode}; stderr tail:\n${stderr.split("\n").slice(-15).join("\n")}\nDOM head:\n${dom.slice(0, 2000)}`);
        }
        expect(exitCode).toBe(0);
        expect(dom).toContain("Create a chat completion"); // summary of POST /v1/chat/completions
        expect(dom).toContain("/v1/chat/completions");
        expect(dom).toContain("Ollaix API");
        expect(dom).toMatch(/Chat completions, with and without streaming/); // the Chat tag's description
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
    90_000,
  );
});
