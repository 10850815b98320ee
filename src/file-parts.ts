import { InvalidRequestError } from "./errors.ts";
import { isDataUrl, parseDataUrl, type InlineImage } from "./image-fetch.ts";
import type { ContentPart } from "./schemas/chat.ts";

/** A file as providers take it inline: a media type and base64 data (no `data:` prefix). */
export type InlineFile = InlineImage;

/**
 * Media types by file name extension, for `file_data` sent as bare base64 (OpenAI's document calls
 * it "the base64 encoded file data"; the SDKs send a `data:` URL, which says its type itself).
 */
const BY_EXTENSION: Record<string, string> = {
  pdf: "application/pdf",
  txt: "text/plain",
  md: "text/markdown",
  csv: "text/csv",
  html: "text/html",
  htm: "text/html",
  json: "application/json",
  xml: "text/xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
};

/** "%PDF-" in base64: a PDF sent without a type or a telling name. */
const PDF_MAGIC = "JVBERi0";

/** Base64 once whitespace is gone (checked after removing it: no pattern that can backtrack). */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const WHITESPACE = /\s+/g;

/**
 * The data of a chat `file` part (`{type: "file", file: {file_data, filename}}`) as a media type
 * and base64: a `data:` URL as it says, bare base64 by the file name's extension (or a PDF's first
 * bytes). A part that names an uploaded file (`file_id`) has no data here; neither has one whose
 * type cannot be told: both are a 400 naming `param` (the part, e.g. `messages[0].content[1]`).
 */
export function inlineFile(part: ContentPart, param: string): InlineFile {
  const file = part.file;
  if (!file?.file_data) {
    if (file?.file_id) {
      throw new InvalidRequestError(
        `Invalid '${param}.file.file_id': files uploaded to a provider cannot be read through this gateway; send the file's content as file_data.`,
        { param: `${param}.file.file_id` },
      );
    }
    throw new InvalidRequestError(`Missing required parameter: '${param}.file.file_data'.`, { param: `${param}.file.file_data` });
  }
  return fileFromData(file.file_data, file.filename ?? undefined, `${param}.file.file_data`);
}

/**
 * `file_data` as a media type and base64 (see `inlineFile`); `param` names the field itself in the
 * 400 for data that is not a base64 data URL, or bare base64 of a type that cannot be told.
 */
export function fileFromData(data: string, filename: string | undefined, param: string): InlineFile {
  if (isDataUrl(data)) {
    const inline = parseDataUrl(data);
    if (inline && BASE64.test(inline.data)) return inline.charset === undefined ? inline : inUtf8(inline);
  } else {
    const bare = data.replace(WHITESPACE, "");
    if (BASE64.test(bare)) {
      const mimeType = typeByName(filename) ?? (bare.startsWith(PDF_MAGIC) ? "application/pdf" : undefined);
      if (mimeType) return { mimeType, data: bare };
    }
  }
  throw new InvalidRequestError(
    `Invalid '${param}': expected a base64 data URL (\`data:<media type>;base64,<data>\`), or base64 with a filename whose extension gives its type.`,
    { param },
  );
}

/** A file's media type by its name's extension (`report.pdf` → `application/pdf`), if known. */
export const typeByName = (filename: string | undefined): string | undefined => {
  const extension = /\.([A-Za-z0-9]+)$/.exec(filename ?? "")?.[1]?.toLowerCase();
  return extension === undefined ? undefined : BY_EXTENSION[extension];
};

/** A data URL's media type, read from its head only (the data is not looked at). */
export function dataUrlType(url: string): string | undefined {
  const head = /^data:([\w.+-]+\/[\w.+-]+)?[;,]/.exec(url.slice(0, 256));
  return head ? (head[1]?.toLowerCase() ?? "text/plain") : undefined;
}

/** A name for a file that came without one (OpenAI wants one beside `file_data`): `document.pdf`. */
export function fileNameFor(mimeType: string): string {
  const extension = Object.keys(BY_EXTENSION).find((ext) => BY_EXTENSION[ext] === mimeType) ?? "bin";
  return `document.${extension}`;
}

/**
 * A chat `input_audio` part (`{data, format: "wav" | "mp3"}`, OpenAI's) as a media type and base64;
 * data that is not base64 is a 400 naming `${param}.input_audio.data`.
 */
export function inlineAudio(part: ContentPart, param: string): InlineFile {
  const audio = part.input_audio;
  if (!audio) throw new InvalidRequestError(`Missing required parameter: '${param}.input_audio'.`, { param: `${param}.input_audio` });
  const data = audio.data.replace(WHITESPACE, "");
  if (data === "" || !BASE64.test(data)) {
    throw new InvalidRequestError(`Invalid '${param}.input_audio.data': expected base64 audio.`, { param: `${param}.input_audio.data` });
  }
  return { mimeType: audio.format === "mp3" ? "audio/mp3" : "audio/wav", data };
}

/** A text file's content (`text/*`, JSON, XML) as a string; undefined for other types. */
/**
 * A text file that declares another charset (`data:text/plain;charset=iso-8859-1;base64,…`) as
 * UTF-8, what providers read text in (Ollama got "h\uFFFDllo" for a Latin-1 "héllo", Gemini the
 * bytes with the charset left out). A charset no decoder knows leaves the file as sent.
 */
function inUtf8(file: InlineFile): InlineFile {
  const { charset, ...plain } = file;
  if (!isText(plain.mimeType) || charset === "utf-8" || charset === "utf8") return plain;
  try {
    const text = new TextDecoder(charset as ConstructorParameters<typeof TextDecoder>[0]).decode(Buffer.from(plain.data, "base64"));
    return { mimeType: plain.mimeType, data: Buffer.from(text, "utf8").toString("base64") };
  } catch {
    return plain;
  }
}

const isText = (type: string): boolean => type.startsWith("text/") || type === "application/json" || type === "application/xml";

export function textOfFile(file: InlineFile): string | undefined {
  const type = file.mimeType;
  if (!isText(type)) return undefined;
  return Buffer.from(file.data, "base64").toString("utf8");
}
