import { InvalidRequestError, ServerBusyError } from "./errors.ts";
import type { FetchHold } from "./fetch-memory.ts";
import { AddressRefused, checkedAddresses, fetchPinned, imageNetwork, type ImageNetwork } from "./image-network.ts";
import type { Message } from "./schemas/chat.ts";

/** An image as providers take it inline: a MIME type and base64 data (no `data:` prefix). */
export interface InlineImage {
  mimeType: string;
  data: string;
  /** A `data:` URL's declared `charset` (lowercased), when it gave one. */
  charset?: string;
}

export interface ImageFetchOptions {
  /** IMAGE_FETCH_ALLOW_PRIVATE: allow loopback, private and link-local addresses. */
  allowPrivate: boolean;
  signal?: AbortSignal;
  /** Largest image accepted; default 20 MiB (OpenAI's limit for image inputs). */
  maxBytes?: number;
  /** Default 15 s. */
  timeoutMs?: number;
  /** Names the part in error messages and `param`, e.g. `messages[2].content[1].image_url.url`. */
  param: string;
  /** Connects to the checked address (tests serve "public" addresses from loopback with it). */
  fetch?: typeof fetch;
  /** Every address of a host name; default the system resolver (getaddrinfo), asked once per hop. */
  resolve?: ImageNetwork["resolve"];
  /** Bytes several fetches share (one request's files): each takes what it reads from `left`. */
  budget?: { left: number; readonly total: number };
  /** The request's share of the bytes fetched by URL for all requests in flight (fetch-memory.ts): a 503 when spent. */
  held?: FetchHold;
}

/** A media type (`image/png`). */
const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+$/;
/** A parameter's name (`charset`). */
const PARAMETER_NAME = /^[\w-]+$/;
/** The longest header (what comes before the comma) a data URL may have: a media type and a few parameters. */
const MAX_DATA_URL_HEADER = 1024;

/**
 * `data:image/png;base64,AAAA` → `{ mimeType, data }`; anything else → undefined. Read by hand, not
 * with one pattern: `data:image/png;a=;a=;a=…` without a comma (megabytes of it) made the pattern's
 * repeated parameter group backtrack for seconds, a blocked event loop per request.
 */
/** Whether `url` is a data URL: its scheme in any case (`DATA:`, `Data:`), as URL schemes are (RFC 3986 §3.1). */
export const isDataUrl = (url: string): boolean => url.length >= 5 && (url.startsWith("data:") || url.slice(0, 5).toLowerCase() === "data:");

export function parseDataUrl(url: string): InlineImage | undefined {
  if (!isDataUrl(url)) return undefined;
  const comma = url.indexOf(",", 5);
  if (comma < 0 || comma - 5 > MAX_DATA_URL_HEADER) return undefined;
  const parts = url.slice(5, comma).split(";");
  const first = parts[0]!;
  if (first !== "" && !MEDIA_TYPE.test(first)) return undefined;
  let isBase64 = false;
  let charset: string | undefined;
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    // `;base64` comes last, right before the comma.
    if (i === parts.length - 1 && part.toLowerCase() === "base64") {
      isBase64 = true;
      continue;
    }
    const eq = part.indexOf("=");
    if (eq <= 0 || !PARAMETER_NAME.test(part.slice(0, eq))) return undefined;
    if (charset === undefined && part.slice(0, eq).toLowerCase() === "charset" && eq < part.length - 1) charset = part.slice(eq + 1).trim().toLowerCase();
  }
  const mimeType = first === "" ? "text/plain" : first;
  const payload = url.slice(comma + 1);
  let data: string;
  try {
    data = isBase64 ? payload.replace(/\s+/g, "") : Buffer.from(decodeURIComponent(payload), "utf8").toString("base64");
  } catch {
    return undefined; // a malformed %-escape (URIError): not a data URL we can read
  }
  return charset ? { mimeType: mimeType.toLowerCase(), data, charset } : { mimeType: mimeType.toLowerCase(), data };
}

/**
 * An `image_url` as inline data: `data:` URLs are decoded, http(s) URLs fetched by the gateway with
 * a size cap, a time-out and an image content-type check. Unless allowed, every address that is not
 * global unicast is refused (SSRF; see address-policy.ts), the host name is resolved once and the
 * connection goes to the address that was checked (image-network.ts), and each redirect hop is
 * checked the same way. Every failure is a 400 naming the part.
 */
export async function loadImage(url: string, o: ImageFetchOptions): Promise<InlineImage> {
  if (isDataUrl(url)) {
    const inline = parseDataUrl(url);
    if (!inline || !inline.mimeType.startsWith("image/")) {
      throw new InvalidRequestError(`Invalid image in '${o.param}': a data URL must be \`data:image/<type>;base64,<data>\`.`, { param: o.param });
    }
    return inline;
  }
  return fetchInline(url, o, IMAGE);
}

/** What a fetch is for: its noun in messages, the types it takes, its default size cap. */
export interface FetchKind {
  noun: string;
  /** The media type of the answer (its content-type, lower case, no parameters) and the final URL: the type to keep, or a reason to refuse. */
  typeOf(contentType: string, url: URL): string | { refused: string };
  maxBytes: number;
}

const IMAGE: FetchKind = {
  noun: "image",
  typeOf: (type) => (type.startsWith("image/") ? type : { refused: `the URL did not return an image (content-type ${JSON.stringify(type || "none")}).` }),
  // OpenAI's limit for image inputs.
  maxBytes: 20 * 1024 * 1024,
};

/**
 * An http(s) URL fetched as inline data under the image loader's rules (`loadImage`): the address
 * guard on every hop, a size cap, a time-out; every failure a 400 naming `o.param`.
 */
export async function fetchInline(url: string, o: ImageFetchOptions, kind: FetchKind): Promise<InlineImage> {
  const fail = (why: string): never => {
    throw new InvalidRequestError(`Invalid ${kind.noun} in '${o.param}': ${why}`, { param: o.param });
  };
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return fail("not a valid URL.");
  }
  if (!isHttp(target)) fail(kind === IMAGE ? "only http(s) and data: URLs are supported." : "only http(s) URLs are supported.");
  const network = imageNetwork(o);
  const maxBytes = o.maxBytes ?? kind.maxBytes;
  const timeout = AbortSignal.timeout(o.timeoutMs ?? 15_000);
  const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
  let redirected = false;
  const fetchChecked = async (url: URL) =>
    fetchPinned(url, await checkedAddresses(url, { allowPrivate: o.allowPrivate, network, signal, redirected }), network, { signal, redirect: "manual" });
  let response: Response;
  try {
    response = await fetchChecked(target);
    // Redirects are followed by hand so every hop gets the same check (and its own single lookup).
    for (let hops = 0; response.status >= 300 && response.status < 400 && response.headers.get("location"); hops++) {
      await response.body?.cancel().catch(() => undefined);
      if (hops >= 5) fail("too many redirects.");
      redirected = true;
      const next = URL.parse(response.headers.get("location")!, target.href);
      if (!next || !isHttp(next)) fail("a redirect leaves http(s).");
      target = next!;
      response = await fetchChecked(target);
    }
  } catch (error) {
    if (error instanceof AddressRefused) fail(error.message);
    if ((error as { status?: unknown }).status === 400) throw error;
    if (o.signal?.aborted) throw o.signal.reason ?? error;
    return fail(timeout.aborted ? `fetching the ${kind.noun} timed out.` : `the ${kind.noun} could not be fetched.`);
  }
  if (!response.ok) fail(`fetching the ${kind.noun} answered HTTP ${response.status}.`);
  const typed = kind.typeOf((response.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase(), target);
  if (typeof typed !== "string") {
    await response.body?.cancel().catch(() => undefined);
    return fail(typed.refused);
  }
  const budget = o.budget;
  const overBudget = () => `the request's ${kind.noun}s are larger than ${budget!.total} bytes together.`;
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBytes) fail(`the ${kind.noun} is larger than ${maxBytes} bytes.`);
  if (budget && declared > budget.left) {
    await response.body?.cancel().catch(() => undefined);
    fail(overBudget());
  }
  const held = o.held;
  // A declared length that is no number (NaN) says nothing: the body is counted as it is read.
  if (held && declared > 0 && !held.fits(declared)) {
    await response.body?.cancel().catch(() => undefined);
    throw held.busy();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > maxBytes || (budget && (budget.left -= chunk.byteLength) < 0)) {
        await response.body?.cancel().catch(() => undefined);
        fail(size > maxBytes ? `the ${kind.noun} is larger than ${maxBytes} bytes.` : overBudget());
      }
      if (held && !held.take(chunk.byteLength)) {
        await response.body?.cancel().catch(() => undefined);
        throw held.busy();
      }
      chunks.push(chunk);
    }
  } catch (error) {
    // The body broke off or the time-out fired while it was read: still the client's 400.
    if ((error as { status?: unknown }).status === 400 || error instanceof ServerBusyError) throw error;
    if (o.signal?.aborted) throw o.signal.reason ?? error;
    return fail(timeout.aborted ? `fetching the ${kind.noun} timed out.` : `the ${kind.noun} could not be fetched.`);
  }
  return { mimeType: typed, data: Buffer.concat(chunks).toString("base64") };
}

const isHttp = (url: URL) => url.protocol === "http:" || url.protocol === "https:";

/** How many `image_url`s one request may have the gateway fetch (each up to the image size limit). */
export const MAX_FETCHED_IMAGES = 16;

/**
 * The bytes one request's fetched images may take together (as files have FILES_BUDGET_BYTES):
 * without it, 16 images of 20 MiB each held ~800 MB for one 1.3 KB request (a security probe).
 */
export const IMAGES_BUDGET_BYTES = 32 * 1024 * 1024;

/** The key of one content part in `loadMessageImages`' map, and the prefix of its error `param`. */
export const imagePartKey = (message: number, part: number) => `messages[${message}].content[${part}]`;

export interface MessageImagesOptions {
  allowPrivate: boolean;
  /** The bytes the request's fetched images may take together (IMAGES_BUDGET_BYTES). */
  budgetBytes?: number;
  /** The request's share of the bytes fetched by URL for all requests in flight (fetch-memory.ts). */
  held?: FetchHold;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  resolve?: ImageNetwork["resolve"];
}

/**
 * Every `image_url` part of a conversation loaded in parallel (the only I/O of translating a
 * request for providers that take images inline), keyed by `imagePartKey(i, j)`. A failure is a
 * 400 naming the part (`messages[1].content[2].image_url.url`).
 */
export async function loadMessageImages(messages: readonly Message[], o: MessageImagesOptions): Promise<Map<string, InlineImage>> {
  const parts: { key: string; param: string; url: string }[] = [];
  let remote = 0;
  messages.forEach((message, i) => {
    if (!Array.isArray(message.content)) return;
    message.content.forEach((part, j) => {
      if (part.type !== "image_url" || !part.image_url) return;
      const key = imagePartKey(i, j);
      const param = `${key}.image_url.url`;
      const url = part.image_url.url;
      // Data URLs are bounded by the body's size; fetched images are not: a cap per request,
      // checked before anything is fetched.
      if (!isDataUrl(url) && ++remote > MAX_FETCHED_IMAGES) {
        throw new InvalidRequestError(
          `Invalid '${param}': at most ${MAX_FETCHED_IMAGES} images are fetched by URL per request; send the others as data URLs.`,
          { param },
        );
      }
      parts.push({ key, param, url });
    });
  });
  const budget = { left: o.budgetBytes ?? IMAGES_BUDGET_BYTES, total: o.budgetBytes ?? IMAGES_BUDGET_BYTES };
  // One failure fails the request: the other fetches stop then, as files' do (not at their next chunk).
  const failed = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, failed.signal]) : failed.signal;
  const jobs = parts.map(({ key, param, url }) =>
    loadImage(url, { allowPrivate: o.allowPrivate, signal, param, fetch: o.fetch, resolve: o.resolve, budget, held: o.held }).then(
      (image): [string, InlineImage] => [key, image],
      (error: unknown) => {
        failed.abort();
        throw error;
      },
    ),
  );
  return new Map(await Promise.all(jobs));
}
