import { loadImage, type Message } from "../../src/kit.ts";
import { imageKey, type LoadedImages } from "./convert-messages.ts";
import type { GeminiInlineData } from "./wire.ts";

export interface LoadImagesOptions {
  /** IMAGE_FETCH_ALLOW_PRIVATE. */
  allowPrivate: boolean;
  signal: AbortSignal;
  fetch?: typeof fetch;
}

/**
 * Every `image_url` of the request as Gemini `inlineData`, through the core's shared loader: `data:`
 * URLs decoded, http(s) URLs fetched with its size cap, time-out and address rules, any failure a
 * 400 naming the part. Gemini's `fileData` only takes Google-hosted URIs, so the gateway fetches.
 */
export async function loadMessageImages(messages: readonly Message[], o: LoadImagesOptions): Promise<LoadedImages> {
  const pending: Promise<[string, GeminiInlineData]>[] = [];
  messages.forEach((message, i) => {
    if (!Array.isArray(message.content)) return;
    message.content.forEach((part, j) => {
      if (part.type !== "image_url" || !part.image_url) return;
      const param = `${imageKey(i, j)}.image_url.url`;
      pending.push(
        loadImage(part.image_url.url, { allowPrivate: o.allowPrivate, signal: o.signal, param, fetch: o.fetch }).then(
          (image): [string, GeminiInlineData] => [imageKey(i, j), { mimeType: image.mimeType, data: image.data }],
        ),
      );
    });
  });
  return new Map(await Promise.all(pending));
}
