import { afterAll, describe, expect, test } from "bun:test";
import { startFakeServer } from "../tests/helpers/fake-server.ts";
import { IMAGES_BUDGET_BYTES, loadImage, loadMessageImages, MAX_FETCHED_IMAGES, parseDataUrl } from "./image-fetch.ts";
import type { Message } from "./schemas/chat.ts";

const PNG = Buffer.from("89504e470d0a1a0a", "hex");
const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/cat.png") return new Response(PNG, { headers: { "content-type": "image/png" } });
    if (path === "/page.html") return new Response("<html>", { headers: { "content-type": "text/html" } });
    if (path === "/big.png") return new Response(new Uint8Array(2048), { headers: { "content-type": "image/png" } });
    if (path === "/moved") return Response.redirect("/cat.png", 302);
    return new Response("missing", { status: 404 });
  },
});
afterAll(() => server.stop(true));
const base = `http://127.0.0.1:${server.port}`;
const param = "messages[0].content[1].image_url.url";

describe("parseDataUrl", () => {
  test.each([
    ["data:image/png;base64,iVBORw0K", { mimeType: "image/png", data: "iVBORw0K" }],
    ["data:IMAGE/JPEG;base64,/9j/ 4AAQ", { mimeType: "image/jpeg", data: "/9j/4AAQ" }],
    ["data:image/svg+xml,%3Csvg%3E", { mimeType: "image/svg+xml", data: Buffer.from("<svg>").toString("base64") }],
    ["https://example.com/x.png", undefined],
    // A malformed %-escape threw URIError (a 500 through the gateway); it is just not readable.
    ["data:image/svg+xml,%E0%A4%A", undefined],
    // Parameters, a charset among them; base64 only last; no media type is text/plain.
    ["data:text/plain;charset=ISO-8859-1;name=a.txt;base64,aGk=", { mimeType: "text/plain", data: "aGk=", charset: "iso-8859-1" }],
    ["data:;base64,aGk=", { mimeType: "text/plain", data: "aGk=" }],
    ["data:text/plain;base64;charset=utf-8,aGk=", undefined],
    ["data:not a type,hi", undefined],
    ["data:text/plain;=x,hi", undefined],
    ["data:image/png;base64", undefined],
    [`data:image/png;${"a=b;".repeat(300)}base64,AAAA`, undefined], // a header over 1 KB
  ])("%s", (url, expected) => expect(parseDataUrl(url)).toEqual(expected));

  test("a long header without a comma is read once: no pattern backtracks over it (it held the event loop for seconds)", () => {
    // `;a=` 4 million times (12 MB): the pattern took ~3.5 s for a third of this.
    expect(parseDataUrl(`data:image/png${";a=".repeat(4_000_000)}`)).toBeUndefined();
    expect(parseDataUrl(`data:image/png${";a=".repeat(4_000_000)},x`)).toBeUndefined();
  });
});

describe("loadImage", () => {
  test("a data URL is decoded without a fetch; a non-image data URL is a 400 naming the part", async () => {
    expect(await loadImage("data:image/png;base64,AAAA", { allowPrivate: false, param })).toEqual({ mimeType: "image/png", data: "AAAA" });
    await expect(loadImage("data:text/plain;base64,AAAA", { allowPrivate: false, param })).rejects.toMatchObject({ status: 400, param });
  });

  test("loopback is refused unless allowed (SSRF), also behind a redirect", async () => {
    await expect(loadImage(`${base}/cat.png`, { allowPrivate: false, param })).rejects.toMatchObject({
      status: 400,
      param,
      message: expect.stringContaining("private"),
    });
    const ok = await loadImage(`${base}/moved`, { allowPrivate: true, param });
    expect(ok).toEqual({ mimeType: "image/png", data: PNG.toString("base64") });
  });

  test("not an image, too large, HTTP errors, bad schemes: each a clear 400", async () => {
    const o = { allowPrivate: true, param };
    await expect(loadImage(`${base}/page.html`, o)).rejects.toMatchObject({ status: 400, message: expect.stringContaining("did not return an image") });
    await expect(loadImage(`${base}/big.png`, { ...o, maxBytes: 1024 })).rejects.toMatchObject({ status: 400, message: expect.stringContaining("larger than 1024") });
    await expect(loadImage(`${base}/nothing.png`, o)).rejects.toMatchObject({ status: 400, message: expect.stringContaining("HTTP 404") });
    await expect(loadImage("ftp://example.com/x.png", o)).rejects.toMatchObject({ status: 400, message: expect.stringContaining("http(s)") });
  });
});

const PNG64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const images = startFakeServer((request) =>
  request.path === "/cat.png"
    ? new Response(Buffer.from(PNG64, "base64"), { headers: { "content-type": "image/png" } })
    : new Response("not an image", { headers: { "content-type": "text/html" } }),
);
afterAll(() => images.close());

const messageOptions = { allowPrivate: true, signal: new AbortController().signal };
const user = (...urls: string[]): Message => ({
  role: "user",
  content: [{ type: "text", text: "look" }, ...urls.map((url) => ({ type: "image_url" as const, image_url: { url } }))],
});

describe("loadMessageImages: every image part of a conversation", () => {
  test("data: URLs lose their prefix; http URLs are fetched; keys name the part", async () => {
    const loaded = await loadMessageImages(
      [{ role: "system", content: "Describe." }, user(`data:image/png;base64,${PNG64}`), { role: "assistant", content: "ok" }, user(`${images.url}/cat.png`)],
      messageOptions,
    );
    expect([...loaded]).toEqual([
      ["messages[1].content[1]", { mimeType: "image/png", data: PNG64 }],
      ["messages[3].content[1]", { mimeType: "image/png", data: PNG64 }],
    ]);
  });

  test(`at most ${MAX_FETCHED_IMAGES} images fetched by URL per request: the next is a 400 naming it, and nothing is fetched`, async () => {
    const before = images.requests.length;
    const parts = Array.from({ length: MAX_FETCHED_IMAGES + 1 }, (_, k) => `${images.url}/cat-${k}.png`);
    const failure = loadMessageImages([user(...parts)], messageOptions);
    const param = `messages[0].content[${MAX_FETCHED_IMAGES + 1}].image_url.url`;
    await expect(failure).rejects.toMatchObject({ status: 400, param });
    expect(images.requests.length).toBe(before);
    // Data URLs do not count: the body's size bounds them.
    const inline = Array.from({ length: MAX_FETCHED_IMAGES + 4 }, () => `data:image/png;base64,${PNG64}`);
    expect((await loadMessageImages([user(...inline)], messageOptions)).size).toBe(MAX_FETCHED_IMAGES + 4);
  });

  test(`the request's fetched images share one byte budget (${IMAGES_BUDGET_BYTES} bytes by default): past it, a 400 naming an image`, async () => {
    const one = Buffer.from(PNG64, "base64").byteLength;
    const parts = Array.from({ length: 4 }, (_, k) => `${images.url}/cat.png?${k}`);
    // Three fit in three images' bytes; four do not.
    expect((await loadMessageImages([user(...parts.slice(0, 3))], { ...messageOptions, budgetBytes: 3 * one })).size).toBe(3);
    await expect(loadMessageImages([user(...parts)], { ...messageOptions, budgetBytes: 3 * one })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining(`larger than ${3 * one} bytes together`),
    });
  });

  test("when one image fails the request, the others' fetches stop at once (not at their next chunk)", async () => {
    let cancelled = false;
    const slow = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () =>
        new Response(
          new ReadableStream({
            async pull(controller) {
              await Bun.sleep(1000);
              controller.enqueue(new Uint8Array(8));
            },
            cancel() {
              cancelled = true;
            },
          }),
          { headers: { "content-type": "image/png" } },
        ),
    });
    try {
      const failure = loadMessageImages([user(`http://127.0.0.1:${slow.port}/slow.png`, `${images.url}/not-an-image`)], messageOptions);
      await expect(failure).rejects.toMatchObject({ status: 400 });
      for (let i = 0; i < 50 && !cancelled; i++) await Bun.sleep(10);
      expect(cancelled).toBe(true);
    } finally {
      slow.stop(true);
    }
  });

  test("no image parts, no work", async () => {
    expect((await loadMessageImages([{ role: "user", content: "Hi" }], messageOptions)).size).toBe(0);
  });

  test.each([
    [`${images.url}/page.html`, "Invalid image in 'messages[0].content[2].image_url.url': the URL did not return an image (content-type \"text/html\")."],
    ["data:text/plain;base64,SGk=", "Invalid image in 'messages[0].content[2].image_url.url': a data URL must be `data:image/<type>;base64,<data>`."],
    ["ftp://example.com/a.png", "Invalid image in 'messages[0].content[2].image_url.url': only http(s) and data: URLs are supported."],
  ])("%s is a 400 naming the message and part", async (url, message) => {
    const failure = loadMessageImages([user(`data:image/png;base64,${PNG64}`, url)], messageOptions);
    await expect(failure).rejects.toMatchObject({ status: 400, param: "messages[0].content[2].image_url.url", message });
  });

  test("loopback URLs are refused unless IMAGE_FETCH_ALLOW_PRIVATE", async () => {
    const failure = loadMessageImages([user(`${images.url}/cat.png`)], { ...messageOptions, allowPrivate: false });
    await expect(failure).rejects.toMatchObject({ status: 400, param: "messages[0].content[1].image_url.url" });
  });
});
