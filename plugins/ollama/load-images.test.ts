import { afterAll, describe, expect, test } from "bun:test";
import type { Message } from "../../src/kit.ts";
import { startFakeServer } from "../../tests/helpers/fake-server.ts";
import { loadMessageImages } from "./load-images.ts";

const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const server = startFakeServer((request) =>
  request.path === "/cat.png"
    ? new Response(Buffer.from(PNG, "base64"), { headers: { "content-type": "image/png" } })
    : new Response("not an image", { headers: { "content-type": "text/html" } }),
);
afterAll(() => server.close());

const options = { allowPrivate: true, signal: new AbortController().signal };
const user = (...urls: string[]): Message => ({
  role: "user",
  content: [{ type: "text", text: "look" }, ...urls.map((url) => ({ type: "image_url" as const, image_url: { url } }))],
});

describe("loadMessageImages", () => {
  test("data: URLs lose their prefix; http URLs are fetched; keys name the part", async () => {
    const images = await loadMessageImages(
      [{ role: "system", content: "Describe." }, user(`data:image/png;base64,${PNG}`), { role: "assistant", content: "ok" }, user(`${server.url}/cat.png`)],
      options,
    );
    expect([...images]).toEqual([
      ["messages[1].content[1]", PNG],
      ["messages[3].content[1]", PNG],
    ]);
  });

  test("no image parts, no work", async () => {
    expect((await loadMessageImages([{ role: "user", content: "Hi" }], options)).size).toBe(0);
  });

  test.each([
    [`${server.url}/page.html`, "Invalid image in 'messages[0].content[2].image_url.url': the URL did not return an image (content-type \"text/html\")."],
    ["data:text/plain;base64,SGk=", "Invalid image in 'messages[0].content[2].image_url.url': a data URL must be `data:image/<type>;base64,<data>`."],
    ["ftp://example.com/a.png", "Invalid image in 'messages[0].content[2].image_url.url': only http(s) and data: URLs are supported."],
  ])("%s is a 400 naming the message and part", async (url, message) => {
    const failure = loadMessageImages([user(`data:image/png;base64,${PNG}`, url)], options);
    await expect(failure).rejects.toMatchObject({ status: 400, param: "messages[0].content[2].image_url.url", message });
  });

  test("loopback URLs are refused unless IMAGE_FETCH_ALLOW_PRIVATE", async () => {
    const failure = loadMessageImages([user(`${server.url}/cat.png`)], { ...options, allowPrivate: false });
    await expect(failure).rejects.toMatchObject({ status: 400, param: "messages[0].content[1].image_url.url" });
  });
});
