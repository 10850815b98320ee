/**
 * A property-based fuzzer for one HTTP surface on a real port (issue 9). A surface is a few lines of
 * description; every answer must be a 2xx that passes the surface's own check, or one of its
 * statuses with its error envelope, with an `x-request-id`, and never a stack trace or a file path.
 * A connection the server drops fails the property. Seeded: the same seed replays the same cases.
 */
import fc from "fast-check";
import { bodyText, requestHeaders } from "./fuzz-inputs.ts";

export interface FuzzSurface {
  name: string;
  method: string;
  /** The path, or paths to draw from (e.g. `/v1/models/{id}` with random ids). */
  path: string | fc.Arbitrary<string>;
  /** For endpoints with a body: a valid one, which the fuzzer mutates. */
  validBody?: () => unknown;
  /** Methods to draw from instead of `method` (wrong-method surfaces). */
  methods?: readonly string[];
  /** Non-2xx statuses this surface may answer (its contract's 4xx, any 5xx it prescribes; a 3xx must stay on the gateway). */
  statuses: readonly number[];
  /** What is wrong with an error body (undefined: it is the surface's envelope with a type that fits the status). */
  checkError(body: unknown, status: number): string | undefined;
  /** Headers drawn for each case on top of the random ones (e.g. Anthropic's `x-api-key`). */
  extraHeaders?: fc.Arbitrary<Record<string, string>>;
  /** What is wrong with a 2xx answer (undefined: fine). */
  checkSuccess?(response: Response, text: string): string | undefined;
}

export interface FuzzOptions {
  baseUrl: string;
  seed: number;
  numRuns: number;
  /** A valid `Authorization` value (the fuzzer sends it most of the time), when keys are on. */
  validAuth?: string;
  /** Status counts, by surface name then status; filled in place. */
  stats: Record<string, Record<number, number>>;
}

/**
 * Stack frames (`at fn (file.ts:12:5)`), source positions and paths of this checkout: none may
 * reach a client. (Error messages echo client values such as a model id, so plain URLs are fine.)
 */
const LEAKS = [/\bat\s+\S+.*:\d+:\d+/, /\.[cm]?[jt]sx?:\d+:\d+/, new RegExp(process.cwd().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), /\/work\//, /node_modules\//];

/** The OpenAI error envelope: `{"error":{"message","type","param","code"}}` and nothing else. */
export function checkOpenAIError(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return "not a JSON object";
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== "error") return `top-level keys ${JSON.stringify(keys)}`;
  const error = (body as { error: Record<string, unknown> }).error;
  if (typeof error !== "object" || error === null) return "error is not an object";
  if (Object.keys(error).sort().join() !== "code,message,param,type") return `error keys ${JSON.stringify(Object.keys(error))}`;
  if (typeof error.message !== "string" || error.message === "") return "message is not a non-empty string";
  if (typeof error.type !== "string") return "type is not a string";
  if (error.param !== null && typeof error.param !== "string") return "param is neither string nor null";
  if (error.code !== null && typeof error.code !== "string") return "code is neither string nor null";
  return undefined;
}

export interface Answer {
  status: number;
  problem?: string;
}

/** Sends one case and judges the answer; a dropped connection or a bad answer is a `problem`. */
export async function sendCase(
  surface: FuzzSurface,
  baseUrl: string,
  request: { method: string; path: string; headers: Record<string, string>; body?: string },
): Promise<Answer> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${baseUrl}${request.path}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "manual",
    });
    text = await response.text();
  } catch (error) {
    return { status: 0, problem: `connection failed or dropped: ${(error as Error).message}` };
  }
  const status = response.status;
  const fail = (why: string): Answer => ({ status, problem: `${why} (status ${status}, body ${JSON.stringify(text.slice(0, 300))})` });
  const leak = LEAKS.find((pattern) => pattern.test(text));
  if (leak) return fail(`the body leaks internals (${leak})`);
  if (!response.headers.get("x-request-id")) return fail("no x-request-id");
  if (status >= 200 && status < 300) {
    const problem = surface.checkSuccess?.(response, text);
    return problem ? fail(problem) : { status };
  }
  if (!surface.statuses.includes(status)) return fail(`status ${status} is not in the surface's contract`);
  if (status >= 300 && status < 400) {
    // `/` (and what the router reads as `/`, like `//`) redirects to the docs: never off the gateway.
    const location = response.headers.get("location") ?? "";
    return /^\/(?![/\\])/.test(location) ? { status } : fail(`a redirect to ${JSON.stringify(location)}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return fail("the error body is not JSON");
  }
  const problem = surface.checkError(body, status);
  return problem ? fail(`not the surface's error envelope: ${problem}`) : { status };
}

/** Runs `numRuns` random cases against one surface; throws (with fast-check's replay data) on the first bad answer. */
export async function fuzzSurface(surface: FuzzSurface, o: FuzzOptions): Promise<void> {
  const counts = (o.stats[surface.name] ??= {});
  const path = typeof surface.path === "string" ? fc.constant(surface.path) : surface.path;
  const method = surface.methods ? fc.constantFrom(...surface.methods) : fc.constant(surface.method);
  const body = surface.validBody ? bodyText(surface.validBody as () => never).map((text): string | undefined => text) : fc.constant(undefined);
  const headerSets = surface.extraHeaders
    ? fc.tuple(requestHeaders(o.validAuth), surface.extraHeaders).map(([random, extra]) => ({ ...random, ...extra }))
    : requestHeaders(o.validAuth);
  const property = fc.asyncProperty(path, method, headerSets, body, async (path, method, headers, body) => {
    const sent = method === "GET" || method === "HEAD" ? undefined : body;
    const answer = await sendCase(surface, o.baseUrl, { method, path, headers, body: sent });
    counts[answer.status] = (counts[answer.status] ?? 0) + 1;
    if (answer.problem) throw new Error(`${surface.name}: ${method} ${path}: ${answer.problem}`);
  });
  // Shrinking replays cases against the live server; a handful of steps is enough to read a failure.
  await fc.assert(property, { seed: o.seed, numRuns: o.numRuns, endOnFailure: false, maxSkipsPerRun: 0, interruptAfterTimeLimit: 30_000 });
}

/** `data: …\n\n` events, each JSON or `[DONE]`; the last is `[DONE]` or an error event. */
export function checkSseBody(response: Response, text: string, checkChunk?: (chunk: unknown) => string | undefined): string | undefined {
  if (!response.headers.get("content-type")?.startsWith("text/event-stream")) return `content-type ${response.headers.get("content-type")}`;
  if (!text.endsWith("\n\n")) return "the stream does not end with a blank line";
  const events = text.slice(0, -2).split("\n\n");
  for (const [i, event] of events.entries()) {
    if (!event.startsWith("data: ") || event.includes("\n")) return `bad SSE event ${JSON.stringify(event.slice(0, 80))}`;
    const data = event.slice(6);
    if (data === "[DONE]") return i === events.length - 1 ? undefined : "[DONE] before the end";
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      return `an event is not JSON: ${JSON.stringify(data.slice(0, 80))}`;
    }
    if ((chunk as { error?: unknown }).error !== undefined) return i === events.length - 1 ? checkOpenAIError(chunk) : "events after an error event";
    const problem = checkChunk?.(chunk);
    if (problem) return problem;
  }
  return "the stream ends without [DONE] or an error event";
}

/** The shape of a JSON value: its keys and the types of its leaves (values ignored). */
export function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shapeOf(value[0])];
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, shapeOf((value as Record<string, unknown>)[key])]));
  }
  return value === null ? "null" : typeof value;
}
