import { loadImage, type Message } from "../../src/kit.ts";
import { partPath, type LoadedImages } from "./convert-messages.ts";

export interface ImageLoadOptions {
  /** IMAGE_FETCH_ALLOW_PRIVATE (`ctx.config.imageFetchAllowPrivate`). */
  allowPrivate: boolean;
  signal: AbortSignal;
  fetch?: typeof fetch;
}

/**
 * Every `image_url` part as bare base64, fetched in parallel through the core's `loadImage`:
 * `data:` URLs lose their prefix, http(s) URLs are fetched by the gateway (Ollama takes no URLs).
 * A failure is the core's 400 naming the part (`messages[1].content[2].image_url.url`).
 */
export async function loadMessageImages(messages: readonly Message[], options: ImageLoadOptions): Promise<LoadedImages> {
  const jobs: Promise<[string, string]>[] = [];
  messages.forEach((message, i) => {
    if (!Array.isArray(message.content)) return;
    message.content.forEach((part, j) => {
      if (part.type !== "image_url" || !part.image_url) return;
      const path = partPath(i, j);
      jobs.push(
        loadImage(part.image_url.url, {
          allowPrivate: options.allowPrivate,
          signal: options.signal,
          param: `${path}.image_url.url`,
          fetch: options.fetch,
        }).then((image) => [path, image.data]),
      );
    });
  });
  return new Map(await Promise.all(jobs));
}
