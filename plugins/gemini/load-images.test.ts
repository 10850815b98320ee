import { afterAll, describe, expect, test } from "bun:test";
import type { Message } from "../../src/kit.ts";
import { startFakeServer } from "../../tests/helpers/fake-server.ts";
import { loadMessageImages } from "./load-images.ts";

const PNG = Buffer.from("89504e470d0a1a0a", "hex");
const images = startFakeServer((request) =>
  request.path === "/cat.png" ? new Response(PNG, { headers: { "content-type": "image/png" } }) : new Response("<html></html>", { headers: { "content-type": "text/html" } }),
);
afterAll(() => images.close());

const userWith = (...urls: string[]): Message => ({
  role: "user",
  content: [{ type: "text", text: "look" }, ...urls.map((url) => ({ type: "image_url" as const, image_url: { url } }))],
});
const load = (messages: Message[], allowPrivate = true) => loadMessageImages(messages, { allowPrivate, signal: new AbortController().signal });

describe("loadMessageImages", () => {
  test("data: and http URLs, keyed by their part", async () => {
    const loaded = await load([{ role: "system", content: "s" }, userWith("data:image/jpeg;base64,/9j/4AAQ", `${images.url}/cat.png`)]);
    expect([...loaded]).toEqual([
      ["messages[1].content[1]", { mimeType: "image/jpeg", data: "/9j/4AAQ" }],
      ["messages[1].content[2]", { mimeType: "image/png", data: PNG.toString("base64") }],
    ]);
  });

  test("no images, no work", async () => {
    expect((await load([{ role: "user", content: "hi" }])).size).toBe(0);
  });

  test("a URL that is not an image is a 400 naming the part", async () => {
    await expect(load([userWith(`${images.url}/page.html`)])).rejects.toMatchObject({
      status: 400,
      param: "messages[0].content[1].image_url.url",
      message: `Invalid image in 'messages[0].content[1].image_url.url': the URL did not return an image (content-type "text/html").`,
    });
  });

  test("loopback is refused unless IMAGE_FETCH_ALLOW_PRIVATE", async () => {
    await expect(load([userWith(`${images.url}/cat.png`)], false)).rejects.toMatchObject({ status: 400, param: "messages[0].content[1].image_url.url" });
  });

  test("a data URL that is not an image is a 400", async () => {
    await expect(load([userWith("data:text/plain;base64,aGk=")])).rejects.toMatchObject({ status: 400, param: "messages[0].content[1].image_url.url" });
  });
});
