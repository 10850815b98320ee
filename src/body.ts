import { InvalidRequestError, PayloadTooLargeError } from "./errors.ts";

function tooLarge(limit: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`Request body too large: the limit is ${limit} bytes (MAX_BODY_BYTES).`);
}

/**
 * Reads a JSON request body with the size limit applied before and while reading, so a huge or
 * endless body never sits in memory. Errors are 400 (not JSON, wrong content type) or 413.
 */
export async function readJsonBody(request: Request, limit: number): Promise<unknown> {
  const type = request.headers.get("content-type");
  if (!type || !/^application\/(?:[\w.+-]*\+)?json\b/i.test(type)) {
    throw new InvalidRequestError(
      `Invalid Content-Type header (${type ? JSON.stringify(type) : "none"}): send the body as application/json.`,
      { param: null },
    );
  }
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    const size = Number(declared);
    if (size > limit) throw tooLarge(limit);
    if (size === 0) throw emptyBody();
    // Parsed natively from the bytes (no intermediate string): the common case.
    try {
      return await request.json();
    } catch {
      throw notJson();
    }
  }
  const text = await readCapped(request, limit);
  if (text.length === 0) throw emptyBody();
  try {
    return JSON.parse(text);
  } catch {
    throw notJson();
  }
}

const emptyBody = () => new InvalidRequestError("The request body is empty: send a JSON object.");
const notJson = () =>
  new InvalidRequestError(
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)",
  );

async function readCapped(request: Request, limit: number): Promise<string> {
  if (!request.body) return "";
  const decoder = new TextDecoder();
  let size = 0;
  let text = "";
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) throw tooLarge(limit);
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

/**
 * Route `parse` hooks for JSON endpoints: our reader first (content type, size limit, 400/413
 * envelopes); the string entry only tells the OpenAPI generator the body is `application/json`
 * (Elysia stops at the first parser that returns a value, so it never runs).
 */
export function jsonBodyParsers(limit: number): [(context: { request: Request }) => Promise<unknown>, "application/json"] {
  return [
    function readJson({ request }) {
      return readJsonBody(request, limit);
    },
    "application/json",
  ];
}
