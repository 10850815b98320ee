// The console in real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core; no
// browser is ever downloaded). Every request to a host other than the gateway's loopback address
// is blocked and counted. Screenshots land in tests/.artifacts/console/ (git-ignored).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import type { KeysSource } from "../src/console/keys.ts";
import { createGateway, type Gateway } from "../src/server.ts";

// page.evaluate() callbacks run in the browser; the tests' tsconfig has no DOM lib, so its names are declared loosely.
// biome-ignore lint: browser globals
declare const document: any, window: any, sessionStorage: any;

const CHROMIUM = "/usr/bin/chromium";
const ADMIN_KEY = "browser-admin-key-9876543210";
const SHOTS = resolve(import.meta.dir, ".artifacts", "console");
const ACCENT = [0x25, 0x63, 0xeb]; // the first chart series' colour (charts.ts)

describe.skipIf(!existsSync(CHROMIUM))("console in headless Chromium", () => {
  let gateway: Gateway;
  let url: string;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const external: string[] = [];
  /** Another site's page that frames the console (clickjacking). */
  let framer: ReturnType<typeof Bun.serve> | undefined;
  const consoleErrors: string[] = [];
  const keyUse = { rpm: 0, tpm: 0 };

  const outsideChat = async (stream: boolean) => {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "dummy-model:1.0", messages: [{ role: "user", content: "from outside" }], stream }),
    });
    await response.text();
    return response.headers.get("x-request-id")!;
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const keys: KeysSource = () => [
      { name: "team-a", models: ["dummy-*", "ollama/*"], limits: { rpm: 60, tpm: 100_000, tokens_per_day: 2_000_000 }, usage: { rpm: keyUse.rpm, tpm: keyUse.tpm, tokens_per_day: 1234 } },
      { name: "ci-bot", limits: {}, usage: {} },
    ];
    gateway = await createGateway({ env: { PORT: "0", LOG_LEVEL: "warn", OLLAIX_ADMIN_KEY: ADMIN_KEY, OLLAMA_BASE_URL: "http://127.0.0.1:9" }, keyUsage: keys, write: () => undefined, discoveryTimeoutMs: 2000 });
    url = gateway.listen();
    await gateway.registry.ready;

    const { chromium } = await import("playwright-core");
    profile = mkdtempSync(join(tmpdir(), "ollaix-console-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
      ],
    });
    const origin = new URL(url).origin;
    await context.route("**/*", (route) => {
      const target = route.request().url();
      if (target.startsWith(`${origin}/`) || (framer !== undefined && target.startsWith(`${framer.url.origin}/`))) return route.continue();
      external.push(target);
      return route.abort("blockedbyclient");
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(`pageerror: ${error.message}`));
  }, 60_000);

  afterAll(async () => {
    framer?.stop(true);
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await gateway?.shutdown();
  });

  test("sign in with the admin key (a wrong key is refused), then providers and models are listed", async () => {
    await page.goto(`${url}/console`);
    await page.locator("#signin").waitFor({ state: "visible" });
    await page.fill("#signin-key", "not-the-key");
    await page.click("#signin button[type=submit]");
    await page.locator("#signin-error", { hasText: "refused" }).waitFor();
    // A key no HTTP header can carry (a pasted "€"): refused as well, and a reload asks again (not stuck on a fetch error).
    await page.fill("#signin-key", "key-with-€");
    await page.click("#signin button[type=submit]");
    await page.locator("#signin-error", { hasText: "refused" }).waitFor();
    await page.reload();
    await page.locator("#signin").waitFor({ state: "visible" });
    await page.fill("#signin-key", ADMIN_KEY);
    await page.click("#signin button[type=submit]");
    await page.locator("#tabs").waitFor({ state: "visible" });
    expect(await page.locator("#signin").isVisible()).toBe(false);
    await page.locator('[data-model="dummy-model:1.0"]').waitFor();
    expect(await page.locator('[data-provider="dummy"]').textContent()).toContain("no health check");
    expect(await page.locator('[data-provider="ollama"]').textContent()).toContain("unhealthy");
    expect(await page.locator("#summary").textContent()).toContain("0.1.0");
    expect(await page.evaluate(() => sessionStorage.getItem("ollaix.console.adminKey"))).toBe(ADMIN_KEY);
  }, 30_000);

  test("the live table shows requests made from outside the page, newest first; a click shows details", async () => {
    await page.click('a[data-tab="requests"]');
    await page.locator("#status", { hasText: "live" }).waitFor();
    const plain = await outsideChat(false);
    const streamed = await outsideChat(true);
    await page.locator(`tr[data-id="${streamed}"]`).waitFor();
    const ids = await page.locator("#requests-table tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-id")));
    expect(ids.indexOf(streamed)).toBeLessThan(ids.indexOf(plain));
    expect(ids.indexOf(plain)).toBeGreaterThanOrEqual(0);
    const cells = await page.locator(`tr[data-id="${streamed}"] td`).allTextContents();
    expect(cells.slice(2, 6)).toEqual(["chat", "dummy-model:1.0", "dummy/dummy-model:1.0", "200"]);
    expect(cells[7]).toMatch(/\d+ ms/); // TTFT of a stream
    await page.click(`tr[data-id="${streamed}"]`);
    const detail = await page.locator("#request-detail").textContent();
    expect(detail).toContain(streamed);
    expect(detail).toContain("POST /v1/chat/completions (stream)");
    expect(detail).toContain("time to first token");
    await page.screenshot({ path: join(SHOTS, "requests.png") });
  }, 30_000);

  test("the charts draw the traffic (the requests/s line is on the canvas)", async () => {
    for (let i = 0; i < 5; i++) await outsideChat(i % 2 === 0);
    await page.click('a[data-tab="overview"]');
    const accentPixels = () =>
      page.evaluate((rgb) => {
        const canvas = document.querySelector('[data-chart="rps"] canvas');
        if (!canvas) return -1;
        const { data } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
        let n = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3]! > 200 && Math.abs(data[i]! - rgb[0]!) < 40 && Math.abs(data[i + 1]! - rgb[1]!) < 40 && Math.abs(data[i + 2]! - rgb[2]!) < 40) n++;
        }
        return n;
      }, ACCENT);
    // A tick closes the second; the line then rises off the zero baseline.
    let pixels = 0;
    for (let i = 0; i < 50 && pixels < 20; i++) {
      await page.waitForTimeout(200);
      pixels = await accentPixels();
    }
    expect(pixels).toBeGreaterThanOrEqual(20);
    expect(await page.locator(".chart canvas").count()).toBe(5);
    await page.screenshot({ path: join(SHOTS, "overview.png"), fullPage: true });
    await page.check("#split");
    await page.locator('[data-chart="rps"] .u-legend', { hasText: "dummy-model:1.0 requests/s" }).waitFor();
    await page.uncheck("#split");
  }, 30_000);

  test("the last minute's tiles count every request, not the live table's newest 200 rows", async () => {
    await page.click('a[data-tab="overview"]');
    const before = await page.locator("#summary").textContent();
    const sent = 260;
    for (let i = 0; i < sent; i += 20) await Promise.all(Array.from({ length: 20 }, () => outsideChat(false)));
    const tile = () => page.evaluate(() => Number([...document.querySelectorAll("#summary .card")].find((c) => c.textContent?.startsWith("requests, last min"))?.querySelector("b")?.textContent));
    let shown = 0;
    for (let i = 0; i < 100 && shown < sent; i++) {
      await page.waitForTimeout(200);
      shown = await tile();
    }
    expect(before).toContain("requests, last min");
    expect(shown).toBeGreaterThanOrEqual(sent);
  }, 30_000);

  test("signing in again (a key the gateway stopped taking) builds nothing twice: five charts, one table", async () => {
    await page.evaluate(() => (document.getElementById("signin") as unknown as { requestSubmit(): void }).requestSubmit());
    await page.locator("#status", { hasText: "live" }).waitFor();
    await page.waitForTimeout(300);
    expect(await page.locator(".chart canvas").count()).toBe(5);
    expect(await page.locator("#charts .uplot").count()).toBe(5);
  }, 30_000);

  test("framed by another site's page, the console runs nothing and says why; its policy rides in the page", async () => {
    framer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(`<!doctype html><iframe id="f" src="${url}/console" width="800" height="600"></iframe>`, { headers: { "content-type": "text/html" } }) });
    const other = await context.newPage();
    try {
      await other.goto(framer.url.href);
      const frame = other.frameLocator("#f");
      await frame.locator("#status", { hasText: "does not run inside another page" }).waitFor();
      expect(await frame.locator("#signin").isVisible()).toBe(false);
      expect(await frame.locator("#tabs").isVisible()).toBe(false);
    } finally {
      await other.close();
    }
    const html = await (await fetch(`${url}/console`)).text();
    expect(html).toContain(`http-equiv="Content-Security-Policy"`);
    expect(html).toContain("default-src 'self'");
  }, 30_000);

  test("keys: names, allowed models, limits and their use", async () => {
    keyUse.rpm = 3;
    keyUse.tpm = 420;
    await page.click('a[data-tab="keys"]');
    await page.locator('tr[data-key="team-a"]').waitFor();
    const teamA = await page.locator('tr[data-key="team-a"] td').allTextContents();
    expect(teamA[0]).toBe("team-a");
    expect(teamA[1]).toBe("dummy-*, ollama/*");
    expect(teamA[2]).toBe("3 / 60");
    expect(teamA[3]).toBe("420 / 100,000");
    expect(teamA[4]).toBe("1,234 / 2,000,000");
    expect(await page.locator('tr[data-key="ci-bot"] td').allTextContents()).toEqual(["ci-bot", "all models", "no limit", "no limit", "no limit"]);
  }, 30_000);

  test("keys from OLLAIX_API_KEYS alone are said so, not 'No keys configured' (a probe)", async () => {
    await page.route("**/console/api/keys", (route) => route.fulfill({ json: { configured: true, shortFormKeys: 2, data: [] } }));
    try {
      await page.click('a[data-tab="overview"]');
      await page.click('a[data-tab="keys"]');
      await page.locator("#keys-body p", { hasText: "2 key(s) from OLLAIX_API_KEYS: every model, no limits." }).waitFor();
      expect(await page.locator("#keys-body").textContent()).not.toContain("No keys");
    } finally {
      await page.unroute("**/console/api/keys");
    }
  }, 30_000);

  test("playground: a chat with dummy-model:1.0 streams in, with usage and time to first token", async () => {
    await page.click('a[data-tab="playground"]');
    expect(await page.locator("#play-surface option").allTextContents()).toEqual(["Chat Completions (/v1/chat/completions)", "Responses (/v1/responses)", "Anthropic Messages (/v1/messages)"]);
    await page.selectOption("#play-model", "dummy-model:1.0");
    await page.fill("#play-system", "You are terse.");
    await page.fill("#play-temperature", "0.7");
    await page.fill("#play-message", "Tell me something.");
    const answered = page.waitForResponse((r) => r.url().endsWith("/v1/chat/completions"));
    await page.click("#play-send");
    // The page asked for a stream and read it: an event stream of many chunks, then [DONE].
    const response = await answered;
    expect(response.headers()["content-type"]).toContain("text/event-stream");
    const request = JSON.parse(response.request().postData()!);
    expect(request).toMatchObject({ model: "dummy-model:1.0", stream: true, temperature: 0.7, messages: [{ role: "system", content: "You are terse." }, { role: "user", content: "Tell me something." }] });
    const events = (await response.text()).split("\n\n").filter((e) => e.startsWith("data: "));
    expect(events.length).toBeGreaterThan(3);
    expect(events.at(-1)).toBe("data: [DONE]");
    await page.locator('[data-answer][data-done="ok"]').waitFor({ timeout: 15_000 });
    const answer = await page.locator("[data-answer] .answer-text").textContent();
    expect(answer!.length).toBeGreaterThan(10);
    const stats = await page.locator("#play-stats").textContent();
    expect(stats).toMatch(/TTFT \d+ ms · total \d+ ms · tokens in \d+ \/ out \d+/);
    await page.screenshot({ path: join(SHOTS, "playground.png") });
    // The playground's own call shows up in the live table too.
    await page.click('a[data-tab="requests"]');
    await page.locator("#requests-table tbody tr").first().waitFor();
    expect((await page.locator("#requests-table tbody tr").first().locator("td").allTextContents()).slice(2, 6)).toEqual(["chat", "dummy-model:1.0", "dummy/dummy-model:1.0", "200"]);
  }, 30_000);

  test.each([
    ["responses", "/v1/responses", "response.completed"],
    ["messages", "/v1/messages", "message_stop"],
  ])("playground on the %s surface: the answer streams in from %s, with usage", async (surface, path, lastEvent) => {
    await page.click('a[data-tab="playground"]');
    await page.selectOption("#play-surface", surface);
    await page.selectOption("#play-model", "dummy-model:1.0");
    await page.fill("#play-message", `Say something on ${surface}.`);
    const answered = page.waitForResponse((r) => r.url().endsWith(path));
    await page.click("#play-send");
    const response = await answered;
    expect(response.status()).toBe(200);
    expect(response.headers()["content-type"]).toContain("text/event-stream");
    expect(JSON.parse(response.request().postData()!)).toMatchObject({ model: "dummy-model:1.0", stream: true });
    const events = [...(await response.text()).matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
    expect(events.length).toBeGreaterThan(3);
    expect(events.at(-1)).toBe(lastEvent);
    // Each answer stays in the conversation: this one is the last.
    const answer = page.locator("[data-answer]").last();
    await answer.and(page.locator('[data-done="ok"]')).waitFor({ timeout: 15_000 });
    expect(await answer.textContent()).toContain(`dummy-model:1.0 · ${surface}`);
    expect((await answer.locator(".answer-text").textContent())!.length).toBeGreaterThan(10);
    expect(await page.locator("#play-stats").textContent()).toMatch(/TTFT \d+ ms · total \d+ ms · tokens in \d+ \/ out \d+/);
    await page.screenshot({ path: join(SHOTS, `playground-${surface}.png`) });
  }, 30_000);

  test("readable on a phone-sized screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.click('a[data-tab="overview"]');
    await page.waitForTimeout(1200);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0); // no sideways scrolling of the page itself
    await page.screenshot({ path: join(SHOTS, "overview-phone.png"), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 30_000);

  test("no console errors and no request left the machine", () => {
    expect(consoleErrors).toEqual([]);
    expect(external).toEqual([]);
  });
});
