import { InvalidRequestError } from "./errors.ts";
import { fileNameFor, type InlineFile, typeByName } from "./file-parts.ts";
import { fetchInline, type FetchKind, type MessageImagesOptions } from "./image-fetch.ts";
import type { ChatRequest, ContentPart, Message } from "./schemas/chat.ts";

/** Content types that say nothing of a file's kind: its name's extension says more. */
const GENERIC = new Set(["", "application/octet-stream", "binary/octet-stream", "application/x-download", "application/force-download"]);

/** What one request's files may weigh together: a whole request's limit at Anthropic and OpenAI (32 MB). */
export const FILES_BUDGET_BYTES = 32 * 1024 * 1024;

const FILE: FetchKind = {
  noun: "file",
  typeOf: (type, url) => (GENERIC.has(type) ? (typeByName(url.pathname) ?? "application/octet-stream") : type),
  maxBytes: FILES_BUDGET_BYTES,
};

/**
 * How many files one request may have the gateway fetch, the conversation's earlier ones included
 * (a provider is sent them all again each turn): a bound on the fetches one request starts.
 */
export const MAX_FETCHED_FILES = 32;

/** Whether a conversation has file parts named by URL (a loop over the messages; nothing is allocated). */
export function hasFileUrls(messages: readonly Message[]): boolean {
  for (const message of messages) {
    const content = message.content;
    if (!Array.isArray(content)) continue;
    for (const part of content) if (part.type === "file" && part.file?.file_url) return true;
  }
  return false;
}

/**
 * The request with each file part named by URL (`file.file_url`: Responses' `input_file.file_url`,
 * an Anthropic `url` document) holding its data instead, as a data URL with a file name (the one
 * given, else the URL's last segment, else `document.<ext>`), fetched in parallel under the image
 * loader's rules (the address guard on every hop, 15 s) and 32 MiB for all of them together. A
 * failure is a 400 naming the part (`messages[i].content[j].file.file_url`), or the 503 of `o.held`
 * when the gateway's memory for fetched bytes is spent, and stops the other fetches. Messages
 * without such parts are the same objects.
 */
export async function loadFileUrls(chat: ChatRequest, o: MessageImagesOptions & { budgetBytes?: number }): Promise<ChatRequest> {
  const targets: { i: number; j: number; url: string }[] = [];
  chat.messages.forEach((message, i) => {
    if (!Array.isArray(message.content)) return;
    message.content.forEach((part, j) => {
      const url = part.type === "file" ? part.file?.file_url : undefined;
      if (!url) return;
      if (targets.length >= MAX_FETCHED_FILES) {
        const param = `messages[${i}].content[${j}].file.file_url`;
        throw new InvalidRequestError(`Invalid '${param}': at most ${MAX_FETCHED_FILES} files are fetched by URL for one request, the conversation's earlier ones included.`, { param });
      }
      targets.push({ i, j, url });
    });
  });
  const failed = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, failed.signal]) : failed.signal;
  const total = o.budgetBytes ?? FILES_BUDGET_BYTES;
  const budget = { left: total, total };
  const messages = chat.messages.slice();
  await Promise.all(
    targets.map(async ({ i, j, url }) => {
      const param = `messages[${i}].content[${j}].file.file_url`;
      let file: InlineFile;
      try {
        file = await fetchInline(url, { allowPrivate: o.allowPrivate, signal, param, fetch: o.fetch, resolve: o.resolve, budget, held: o.held }, FILE);
      } catch (error) {
        failed.abort(); // the request fails with this error: the other fetches stop
        throw error;
      }
      const message = messages[i]!;
      // The message's own copy, made once (its parts may load in any order).
      const parts = (message === chat.messages[i] ? (messages[i] = { ...message, content: (message.content as ContentPart[]).slice() }) : message).content as ContentPart[];
      const { file_url: _url, ...given } = parts[j]!.file!;
      parts[j] = { ...parts[j]!, file: { ...given, file_data: `data:${file.mimeType};base64,${file.data}`, filename: given.filename ?? lastSegment(url) ?? fileNameFor(file.mimeType) } };
    }),
  );
  return { ...chat, messages };
}

/** A URL's last path segment, decoded (`…/q3%20report.pdf` → `q3 report.pdf`), if it has one. */
function lastSegment(url: string): string | undefined {
  const path = URL.parse(url)?.pathname ?? "";
  const segment = path.slice(path.lastIndexOf("/") + 1);
  if (segment === "") return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // a malformed escape: the name as it is written
  }
}

const FILE_DATA_PARAM = /^messages\[(\d+)\]\.content\[(\d+)\]\.file\.file_data$/;

/**
 * A refusal of a file the gateway fetched (`loadFileUrls`) named as the client sent it: a provider
 * that cannot read it names `file.file_data`, the field the fetch filled, where the client gave
 * `file.file_url`. Changes the error in place.
 */
export function namedAsSent(error: unknown, sent: ChatRequest): void {
  if (!(error instanceof InvalidRequestError) || typeof error.param !== "string") return;
  const match = FILE_DATA_PARAM.exec(error.param);
  if (!match) return;
  const part = sent.messages[Number(match[1])]?.content;
  const file = Array.isArray(part) ? part[Number(match[2])] : undefined;
  if (file?.type !== "file" || !file.file?.file_url) return;
  const asSent = error.param.replace(/file_data$/, "file_url");
  error.message = error.message.split(error.param).join(asSent);
  error.param = asSent;
}
