// Background responses (`background: true`) end to end with the official `openai` SDK on a real
// port: the create answers before the model does, the call outlives its client, `retrieve` polls it,
// `cancel` stops it (the provider's call is aborted), and a streamed one can be followed again with
// `retrieve(id, { stream: true, starting_after })`. Every answer and event is checked against
// OpenAI's own document.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import dummy from "../plugins/dummy/index.ts";
import { definePlugin, type ChatResult, type RequestContext } from "../src/kit.ts";
import { UpstreamError, UpstreamUnavailableError } from "../src/errors.ts";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { startRedis, type TestRedis } from "./helpers/redis.ts";
import { tcpProxy, type TcpProxy } from "./helpers/tcp-proxy.ts";
import { RedisResponseStore } from "../src/surfaces/openai-responses/store/redis-store.ts";
import { RedisRunChannel } from "../src/surfaces/openai-responses/store/redis-run-channel.ts";
import type { StoredResponse } from "../src/surfaces/openai-responses/store/response-store.ts";
import { expectOpenAI } from "./helpers/openai-schema.ts";

/** A call of the `gated-model`: it answers when the test says, or fails when its signal aborts. */
interface GatedCall {
  signal: AbortSignal;
  answer(text: string): void;
  fail(error: Error): void;
}

const calls: GatedCall[] = [];
const streamSignals: AbortSignal[] = [];

const answerOf = (text: string): ChatResult => ({
  choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: text } }],
  usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
});

/**
 * `gated-model` answers when the test says; `words-model` streams 40 words (`slow-words`: one
 * every 75 ms rather than 15); `deaf-model` and
 * `deaf-words` do the same as a provider that ignores its signal (answering after 600 ms, or
 * streaming a word every 15 ms to the end).
 */
const gated = definePlugin({
  name: "gated",
  models: [{ id: "gated-model" }, { id: "words-model" }, { id: "slow-words" }, { id: "deaf-model" }, { id: "deaf-words" }, { id: "late-words" }, { id: "huge-words" }],
  chat: (request, ctx: RequestContext) =>
    request.model === "deaf-model" ? Bun.sleep(600).then(() => answerOf("deaf")) : new Promise<ChatResult>((resolve, reject) => {
      const signal = ctx.signal;
      signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")), { once: true });
      calls.push({
        signal,
        answer: (text) => resolve(answerOf(text)),
        fail: reject,
      });
    }),
  /** `words-model`: `w0 … w39`, a word every 15 ms, stopping when its signal aborts. */
  async *chatStream(request, ctx: RequestContext) {
    streamSignals.push(ctx.signal);
    // `huge-words`: one answer of 1.2 MB, at once.
    if (request.model === "huge-words") {
      yield { choices: [{ index: 0, delta: { content: "x".repeat(1_200_000) } }] };
      yield { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] };
      return;
    }
    // `late-words`: thinks 10 s before its first word, unless stopped.
    if (request.model === "late-words") await new Promise<void>((resolve) => (ctx.signal.addEventListener("abort", () => resolve(), { once: true }), setTimeout(resolve, 10_000)));
    const deaf = request.model === "deaf-words";
    for (let i = 0; i < 40 && (deaf || !ctx.signal.aborted); i++) {
      yield { choices: [{ index: 0, delta: { content: `${i === 0 ? "" : " "}w${i}` } }] };
      await Bun.sleep(request.model === "slow-words" ? 75 : 15);
    }
    if (deaf || !ctx.signal.aborted) yield { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] };
  },
});

let gw: TestGateway;
let client: OpenAI;
beforeAll(async () => {
  gw = await startTestGateway({ LOG_LEVEL: "info" }, [dummy, gated]);
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(() => gw?.close());

const FULL_TEXT = Array.from({ length: 40 }, (_, i) => `w${i}`).join(" ");

/** The next call the gated model receives. */
async function nextCall(seen: number): Promise<GatedCall> {
  for (let i = 0; i < 200 && calls.length <= seen; i++) await Bun.sleep(5);
  expect(calls.length).toBeGreaterThan(seen);
  return calls[seen]!;
}

/** `retrieve` until the response leaves `queued` / `in_progress`, as OpenAI's guide polls. */
async function poll(id: string): Promise<OpenAI.Responses.Response> {
  for (let i = 0; i < 400; i++) {
    const response = await client.responses.retrieve(id);
    if (response.status !== "queued" && response.status !== "in_progress") return response;
    await Bun.sleep(10);
  }
  throw new Error(`${id} did not finish`);
}

/** A response's text, from its output (`output_text` is the SDK's, on what `create` and `retrieve` return only). */
const textOf = (response: OpenAI.Responses.Response) =>
  response.output.flatMap((item) => (item.type === "message" ? item.content.map((part) => (part.type === "output_text" ? part.text : "")) : [])).join("");

/** The gateway's request log lines for a model. */
const requestLines = (model: string) =>
  gw.logs.map((line) => JSON.parse(line)).filter((line) => line.msg === "request" && line.model === model);

test("a background response is answered `queued` before the model answers, runs on, and is polled to `completed`", async () => {
  const seen = calls.length;
  const created = await client.responses.create({ model: "gated-model", input: "Hello", background: true, metadata: { job: "1" } });
  expectOpenAI("Response", created);
  expect(created).toMatchObject({ status: "queued", background: true, output: [], completed_at: null, error: null, metadata: { job: "1" } });
  const call = await nextCall(seen);

  const running = await client.responses.retrieve(created.id);
  expectOpenAI("Response", running);
  expect(running).toMatchObject({ id: created.id, status: "in_progress", background: true, output: [] });
  // Not finished: it cannot be continued yet.
  const early = await client.responses.create({ model: "dummy-model:1.0", previous_response_id: created.id, input: "And?" }).catch((e) => e);
  expect(early).toMatchObject({ status: 400, param: "previous_response_id" });

  call.answer("Hi there!");
  const done = await poll(created.id);
  expectOpenAI("Response", done);
  expect(done).toMatchObject({ id: created.id, status: "completed", background: true, output_text: "Hi there!", usage: { input_tokens: 5, output_tokens: 2 } });
  expect(done.completed_at).toBeNumber();
  expect(call.signal.aborted).toBe(false);
  const items = await client.responses.inputItems.list(created.id);
  expect(items.data).toMatchObject([{ type: "message", role: "user", content: [{ type: "input_text", text: "Hello" }] }]);
  // Cancelling a finished one changes nothing.
  const { _request_id: _, ...afterCancel } = (await client.responses.cancel(created.id)) as OpenAI.Responses.Response & { _request_id?: string };
  expect(afterCancel.status).toBe("completed");
  // It continues a conversation as any stored response does.
  const next = await client.responses.create({ model: "dummy-model:1.0", previous_response_id: created.id, input: "And?" });
  expect(next.status).toBe("completed");
  expect(requestLines("gated-model").at(-1)).toMatchObject({ status: 200, surface: "responses" });
});

test("cancel stops a running background response: the provider's call is aborted, and it stays `cancelled`", async () => {
  const seen = calls.length;
  const created = await client.responses.create({ model: "gated-model", input: "Write a novel", background: true });
  const call = await nextCall(seen);
  const cancelled = await client.responses.cancel(created.id);
  expectOpenAI("Response", cancelled);
  expect(cancelled).toMatchObject({ id: created.id, status: "cancelled", background: true, error: null, output: [] });
  for (let i = 0; i < 100 && !call.signal.aborted; i++) await Bun.sleep(10); // the scope links to the run's signal on its first tick
  expect(call.signal.aborted).toBe(true);
  expect((await client.responses.retrieve(created.id)).status).toBe("cancelled");
  expect((await client.responses.cancel(created.id)).status).toBe("cancelled");
  // Answering after the cancel changes nothing.
  call.answer("too late");
  await Bun.sleep(30);
  expect((await client.responses.retrieve(created.id)).status).toBe("cancelled");
  let line: Record<string, unknown> | undefined;
  for (let i = 0; i < 100 && !(line = requestLines("gated-model").find((l) => l.status === 499)); i++) await Bun.sleep(10);
  expect(line).toMatchObject({ status: 499, error: "response_cancelled" });
});

test("a provider failure after the create is the response's `failed` status with the error, never a hang", async () => {
  const seen = calls.length;
  const created = await client.responses.create({ model: "gated-model", input: "Hello", background: true });
  (await nextCall(seen)).fail(new UpstreamError("The provider gated returned HTTP 502"));
  const failed = await poll(created.id);
  expectOpenAI("Response", failed);
  expect(failed).toMatchObject({ status: "failed", error: { code: "server_error" }, output: [] });
  expect(failed.error?.message).toContain("HTTP 502");
});

test("refusals before the model is reached are the create's own errors, and nothing is stored", async () => {
  const logged = gw.logs.length;
  const unknown = await client.responses.create({ model: "no-such-model", input: "Hello", background: true }).catch((e) => e);
  expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
  // The pipeline's refusal is the request's one outcome (it comes before the start, which never waits on it).
  await Bun.sleep(20);
  const lines = gw.logs.slice(logged).map((line) => JSON.parse(line) as { msg: string; status?: number; model?: string });
  expect(lines.filter((line) => line.msg === "request").map((line) => line.status)).toEqual([404]);
  const unstored = await client.responses.create({ model: "gated-model", input: "Hello", background: true, store: false }).catch((e) => e);
  expect(unstored).toMatchObject({ status: 400, param: "background", error: { type: "invalid_request_error" } });
  const foreground = await client.responses.create({ model: "dummy-model:1.0", input: "Hello" });
  for (const query of ["stream=true", "stream=true&starting_after=2"]) {
    const refused = await fetch(`${gw.url}/v1/responses/${foreground.id}?${query}`);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: unknown }).error).toMatchObject({ type: "invalid_request_error", param: "stream" });
  }
  for (const [query, param] of [
    ["stream=yes", "stream"],
    ["stream=true&starting_after=x", "starting_after"],
    ["stream=true&starting_after=-2", "starting_after"],
    ["stream=true&starting_after=1e0", "starting_after"],
    ["stream=true&starting_after=%201", "starting_after"],
  ] as const) {
    const refused = await fetch(`${gw.url}/v1/responses/${foreground.id}?${query}`);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { param: string } }).error.param).toBe(param);
  }
  const negative = await fetch(`${gw.url}/v1/responses/${foreground.id}?stream=true&starting_after=-5`);
  expect(((await negative.json()) as { error: { message: string } }).error.message).toBe("Invalid 'starting_after': expected a sequence number (an integer, -1 or more), got '-5'.");
});

test("`background_options` as OpenAI takes it: the 2h and 8h windows need background and no stream, and every window runs at once", async () => {
  for (const [body, param] of [
    [{ background_options: { completion_window: "2h" } }, "background_options.completion_window"],
    [{ background: false, background_options: { completion_window: "8h" } }, "background_options.completion_window"],
    [{ background: true, stream: true, background_options: { completion_window: "2h" } }, "background_options.completion_window"],
    [{ background: true, background_options: { completion_window: "1d" } }, "background_options.completion_window"],
    [{ background: true, background_options: { continuation_id: 7 } }, "background_options.continuation_id"],
  ] as const) {
    const refused = await client.responses.create({ model: "gated-model", input: "Hello", ...(body as object) }).catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect(refused).toMatchObject({ status: 400, param, error: { type: "invalid_request_error" } });
    expectOpenAI("ErrorResponse", { error: refused.error });
  }
  // `soonest` (the default) alone asks for nothing of the rest, as OpenAI's document says.
  const plain = await client.responses.create({ model: "dummy-model:1.0", input: "Hello", background_options: { completion_window: "soonest" } });
  expect(plain.status).toBe("completed");

  const seen = calls.length;
  const created = await client.responses.create({
    model: "gated-model",
    input: "Hello",
    background: true,
    background_options: { completion_window: "8h", continuation_id: "batch-42" },
  });
  expect(created).toMatchObject({ status: "queued", background: true });
  (await nextCall(seen)).answer("At once.");
  expect(await poll(created.id)).toMatchObject({ status: "completed", output_text: "At once." });
});

/** Reads a stream's events until `stop` says so (the client then leaves) or it ends. */
async function readEvents(stream: AsyncIterable<ResponseStreamEvent>, stop: (events: ResponseStreamEvent[]) => boolean = () => false) {
  const events: ResponseStreamEvent[] = [];
  for await (const event of stream) {
    expectOpenAI("ResponseStreamEvent", event);
    events.push(event);
    if (stop(events)) break;
  }
  return events;
}

test("a streamed background response goes on when its client leaves, and is followed again from `starting_after`", async () => {
  const seenStreams = streamSignals.length;
  const stream = await client.responses.create({ model: "words-model", input: "Count", stream: true, background: true });
  const first = await readEvents(stream, (events) => events.length === 6);
  expect(first.map((e) => e.sequence_number)).toEqual([0, 1, 2, 3, 4, 5]);
  const id = (first[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
  expect((first[0] as OpenAI.Responses.ResponseCreatedEvent).response.background).toBe(true);
  await Bun.sleep(60);
  const signal = streamSignals[seenStreams]!;
  expect(signal.aborted).toBe(false); // the client left; the call did not
  expect((await client.responses.retrieve(id)).status).toBe("in_progress");

  // Back from after event 5: every later event once, in order, to the end.
  const rest = await readEvents(await client.responses.retrieve(id, { stream: true, starting_after: 5 }));
  expect(rest.map((e) => e.sequence_number)).toEqual(rest.map((_, i) => 6 + i));
  const last = rest.at(-1)!;
  expect(last.type).toBe("response.completed");
  const completed = (last as OpenAI.Responses.ResponseCompletedEvent).response;
  expect(textOf(completed)).toBe(FULL_TEXT);
  const stored = await client.responses.retrieve(id);
  expect(stored).toMatchObject({ status: "completed", background: true, output_text: FULL_TEXT });
  expect(signal.aborted).toBe(false);

  // After the end: the whole stream again, the same events.
  const again = await readEvents(await client.responses.retrieve(id, { stream: true }));
  expect(again.map((e) => e.sequence_number)).toEqual(again.map((_, i) => i));
  expect(again.slice(6)).toEqual(rest);
});

test("cancelling a streamed background response aborts its call and ends its followers' stream with the `cancelled` response", async () => {
  const seenStreams = streamSignals.length;
  const stream = await client.responses.create({ model: "words-model", input: "Count", stream: true, background: true });
  const first = await readEvents(stream, (events) => events.length === 5);
  const id = (first[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
  const follower = readEvents(await client.responses.retrieve(id, { stream: true, starting_after: 4 }));
  await Bun.sleep(50);
  const cancelled = await client.responses.cancel(id);
  expectOpenAI("Response", cancelled);
  expect(cancelled.status).toBe("cancelled");
  // What was written before the cancel is kept.
  expect(textOf(cancelled).startsWith("w0 w1")).toBe(true);
  expect(streamSignals[seenStreams]!.aborted).toBe(true);
  const followed = await follower;
  const end = followed.at(-1) as OpenAI.Responses.ResponseFailedEvent;
  expect(end.type).toBe("response.failed");
  expect(end.response).toMatchObject({ id, status: "cancelled", error: null });
  expect(followed.map((e) => e.sequence_number)).toEqual(followed.map((_, i) => 5 + i));
  expect((await client.responses.retrieve(id)).status).toBe("cancelled");
});

test("a provider that ignores the abort does not hold a cancel: it ends `cancelled` at once, streamed or not", async () => {
  const created = await client.responses.create({ model: "deaf-model", input: "Hello", background: true });
  let started = performance.now();
  expect((await client.responses.cancel(created.id)).status).toBe("cancelled");
  expect(performance.now() - started).toBeLessThan(400); // the provider answers at 600 ms
  let line: Record<string, unknown> | undefined;
  for (let i = 0; i < 100 && !(line = requestLines("deaf-model")[0]); i++) await Bun.sleep(10);
  expect(line).toMatchObject({ status: 499, error: "response_cancelled" }); // not the provider's late 200
  await Bun.sleep(700);
  expect((await client.responses.retrieve(created.id)).status).toBe("cancelled");
  expect(requestLines("deaf-model")).toHaveLength(1);

  const stream = await client.responses.create({ model: "deaf-words", input: "Count", stream: true, background: true });
  const first = await readEvents(stream, (events) => events.length === 5);
  const id = (first[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
  const follower = readEvents(await client.responses.retrieve(id, { stream: true, starting_after: 4 }));
  started = performance.now();
  const cancelled = await client.responses.cancel(id);
  expect(performance.now() - started).toBeLessThan(300); // the provider goes on for ~600 ms
  expect(cancelled.status).toBe("cancelled");
  const followed = await follower;
  expect(followed.at(-1)).toMatchObject({ type: "response.failed", response: { status: "cancelled" } });
  await Bun.sleep(700);
  // Nothing the provider wrote after the cancel reached the followers or the stored response.
  const stored = await client.responses.retrieve(id);
  expect(stored.status).toBe("cancelled");
  expect(textOf(stored)).toBe(textOf(cancelled));
  expect(textOf(stored).split(" ").length).toBeLessThan(30);
});

test("a stored foreground stream is read in_progress while it runs (GET, input_items; a cancel is OpenAI's 400), then as it ended; one whose client left is not kept", async () => {
  const stream = await client.responses.create({ model: "words-model", input: "Count", stream: true });
  const iterator = stream[Symbol.asyncIterator]();
  const created = (await iterator.next()).value as OpenAI.Responses.ResponseCreatedEvent;
  const id = created.response.id;
  const running = await client.responses.retrieve(id);
  expectOpenAI("Response", running);
  expect(running).toMatchObject({ id, status: "in_progress", output: [] });
  const items = await client.responses.inputItems.list(id);
  expect(items.data.map((item) => (item as { content: { text: string }[] }).content[0]!.text)).toEqual(["Count"]);
  expect(await client.responses.cancel(id).catch((e) => e)).toMatchObject({ status: 400, error: { message: "Cannot cancel a synchronous response." } });
  for (let next = await iterator.next(); !next.done; next = await iterator.next());
  let ended = await client.responses.retrieve(id);
  for (let i = 0; i < 100 && ended.status === "in_progress"; i++, await Bun.sleep(10)) ended = await client.responses.retrieve(id);
  expect(ended.status).toBe("completed");
  expect(textOf(ended)).toBe(FULL_TEXT);

  // A client that leaves ends the call; nothing is kept of it, here or in the store.
  const leaving = new AbortController();
  const left = await client.responses.create({ model: "words-model", input: "Count", stream: true }, { signal: leaving.signal });
  const leftId = ((await left[Symbol.asyncIterator]().next()).value as OpenAI.Responses.ResponseCreatedEvent).response.id;
  expect((await client.responses.retrieve(leftId)).status).toBe("in_progress");
  leaving.abort();
  let gone: unknown;
  for (let i = 0; i < 100 && !(gone instanceof OpenAI.NotFoundError); i++, await Bun.sleep(10)) gone = await client.responses.retrieve(leftId).catch((e) => e);
  expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
});

test("deleting a stored foreground stream while it runs: deleted (not a 404), its stream goes on to its client, its end is not stored (a probe)", async () => {
  const stream = await client.responses.create({ model: "words-model", input: "Count", stream: true });
  const iterator = stream[Symbol.asyncIterator]();
  const id = ((await iterator.next()).value as OpenAI.Responses.ResponseCreatedEvent).response.id;
  expect((await client.responses.retrieve(id)).status).toBe("in_progress");
  expect(await client.responses.delete(id)).toMatchObject({ id, object: "response", deleted: true });
  expect(await client.responses.retrieve(id).catch((e) => e)).toBeInstanceOf(OpenAI.NotFoundError);
  let last: unknown;
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) last = next.value;
  expect(last).toMatchObject({ type: "response.completed" });
  await Bun.sleep(50);
  expect(await client.responses.retrieve(id).catch((e) => e)).toBeInstanceOf(OpenAI.NotFoundError);
  expect(await client.responses.delete(id).catch((e) => e)).toBeInstanceOf(OpenAI.NotFoundError);
});

test("deleting a running background response stops it, and its end is not stored", async () => {
  const seen = calls.length;
  const created = await client.responses.create({ model: "gated-model", input: "Hello", background: true });
  const call = await nextCall(seen);
  expect(await client.responses.delete(created.id)).toMatchObject({ id: created.id, deleted: true });
  for (let i = 0; i < 100 && !call.signal.aborted; i++) await Bun.sleep(10);
  expect(call.signal.aborted).toBe(true);
  await Bun.sleep(30);
  expect(await client.responses.retrieve(created.id).catch((e) => e)).toBeInstanceOf(OpenAI.NotFoundError);
});

test("a running background response the memory store's bounds drop (newer responses filled it) is still read, and its end is stored", async () => {
  const small = await startTestGateway({ LOG_LEVEL: "error", RESPONSES_MEMORY_MB: "1" }, [dummy, gated]);
  try {
    const smallClient = new OpenAI({ baseURL: `${small.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const seen = calls.length;
    const created = await smallClient.responses.create({ model: "gated-model", input: "Hello", background: true });
    const call = await nextCall(seen);
    // Six responses of ~300 KB each pass the 1 MiB bound: the oldest entries (the running one's among them) go.
    const big = "x".repeat(300_000);
    const fillers: string[] = [];
    for (let i = 0; i < 6; i++) fillers.push((await smallClient.responses.create({ model: "dummy-model:1.0", input: `${i} ${big}` })).id);
    let first: unknown;
    for (let i = 0; i < 200; i++) {
      first = await smallClient.responses.retrieve(fillers[0]!).catch((e) => e);
      if (first instanceof OpenAI.NotFoundError) break;
      await Bun.sleep(10);
    }
    expect(first).toBeInstanceOf(OpenAI.NotFoundError); // the store did drop what came before
    const running = await smallClient.responses.retrieve(created.id);
    expectOpenAI("Response", running);
    expect(running.status).toBe("in_progress");
    call.answer("Late but whole.");
    let ended: OpenAI.Responses.Response | undefined;
    for (let i = 0; i < 200 && ended?.status !== "completed"; i++) {
      await Bun.sleep(10);
      ended = await smallClient.responses.retrieve(created.id).catch(() => undefined);
    }
    expect(ended).toMatchObject({ status: "completed", output_text: "Late but whole." });
  } finally {
    small.close();
  }
});

test("an answer larger than the memory store holds ends `failed` at once, saying so, streamed or not (not read as a lost run a lease later)", async () => {
  const small = await startTestGateway({ LOG_LEVEL: "error", RESPONSES_MEMORY_MB: "1" }, [dummy, gated]);
  try {
    const smallClient = new OpenAI({ baseURL: `${small.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const seen = calls.length;
    const created = await smallClient.responses.create({ model: "gated-model", input: "Hello", background: true });
    (await nextCall(seen)).answer("x".repeat(1_200_000));
    let ended: OpenAI.Responses.Response | undefined;
    for (let i = 0; i < 300 && (ended === undefined || ended.status === "in_progress" || ended.status === "queued"); i++) {
      await Bun.sleep(10);
      ended = await smallClient.responses.retrieve(created.id);
    }
    expectOpenAI("Response", ended);
    expect(ended).toMatchObject({ status: "failed", output: [], error: { code: "server_error" } });
    expect(ended!.error!.message).toContain("more than the response store holds (RESPONSES_MEMORY_MB)");
    // Streamed: its last event is that failure, without the wait of a lease.
    const stream = await smallClient.responses.create({ model: "huge-words", input: "Hello", background: true, stream: true });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const last = events.at(-1)!;
    expect(last.type).toBe("response.failed");
    expect((last as { response: OpenAI.Responses.Response }).response.error!.message).toContain("more than the response store holds");
  } finally {
    small.close();
  }
}, 20_000);

describe("two gateways sharing one Redis", () => {
  let redis: TestRedis;
  let a: TestGateway;
  let b: TestGateway;
  beforeAll(async () => {
    redis = await startRedis();
    // Short leases, so renewals happen within a test; long enough that a pause of this process (the
    // OpenAPI validator's first compile takes ~1 s) does not make a run stop itself (start-background.ts).
    const backgroundLease = { leaseMs: 1500, renewMs: 100 };
    a = await startTestGateway({ REDIS_URL: redis.url }, [dummy, gated], { backgroundLease });
    b = await startTestGateway({ REDIS_URL: redis.url }, [dummy, gated], { backgroundLease });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  test("a cancel on the other replica answers the run's own end: the text it streamed so far, as a cancel where it runs does", async () => {
    const onA = new OpenAI({ baseURL: `${a.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const onB = new OpenAI({ baseURL: `${b.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const stream = await onA.responses.create({ model: "slow-words", input: "Count", stream: true, background: true });
    const first = await readEvents(stream, (events) => events.filter((e) => e.type === "response.output_text.delta").length >= 3);
    const id = (first[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    const cancelled = await onB.responses.cancel(id);
    expectOpenAI("Response", cancelled);
    expect(cancelled.status).toBe("cancelled");
    expect(textOf(cancelled)).toStartWith("w0 w1 w2");
    expect(textOf(cancelled).split(" ").length).toBeLessThan(40);
    expect(textOf(await onB.responses.retrieve(id))).toBe(textOf(cancelled));
  });

  test("a delete on the other replica stops the run, and nothing brings the response back", async () => {
    const onA = new OpenAI({ baseURL: `${a.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const onB = new OpenAI({ baseURL: `${b.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const seen = calls.length;
    const created = await onA.responses.create({ model: "gated-model", input: "Hello", background: true });
    const call = await nextCall(seen);
    expect(await onB.responses.delete(created.id)).toMatchObject({ deleted: true });
    for (let i = 0; i < 100 && !call.signal.aborted; i++) await Bun.sleep(10);
    expect(call.signal.aborted).toBe(true); // told at once (and A's next renewal would find it gone)
    await Bun.sleep(250); // more renewals' worth
    expect(await onA.responses.retrieve(created.id).catch((e) => e)).toBeInstanceOf(OpenAI.NotFoundError);
  });

  test("a delete while a follower on the other replica reads the stream: it ends with an error event saying so, not silently", async () => {
    const onA = new OpenAI({ baseURL: `${a.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const onB = new OpenAI({ baseURL: `${b.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const stream = await onA.responses.create({ model: "slow-words", input: "Count", stream: true, background: true });
    const first = await readEvents(stream, (events) => events.filter((e) => e.type === "response.output_text.delta").length >= 2);
    const id = (first[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    const following = fetch(`${b.url}/v1/responses/${id}?stream=true&starting_after=0`).then((response) => response.text());
    await Bun.sleep(150);
    expect(await onB.responses.delete(id)).toMatchObject({ deleted: true });
    const events = (await following).split("\n\n").filter((block) => block.startsWith("event: "));
    const last = JSON.parse(events.at(-1)!.split("\ndata: ")[1]!) as { type: string; code: string; message: string; sequence_number: number };
    expect(last).toMatchObject({ type: "error", code: "not_found" });
    expect(last.message).toContain(id);
    expectOpenAI("ResponseStreamEvent", last);
  });

  test("an end that comes after a cancel on the other replica does not replace it; a streamed run keeps its text so far", async () => {
    const onA = new OpenAI({ baseURL: `${a.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const onB = new OpenAI({ baseURL: `${b.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const seen = calls.length;
    const created = await onA.responses.create({ model: "gated-model", input: "Hello", background: true });
    const call = await nextCall(seen);
    expect((await onB.responses.cancel(created.id)).status).toBe("cancelled");
    call.answer("answered before A saw the cancel");
    await Bun.sleep(150);
    expect((await onA.responses.retrieve(created.id)).status).toBe("cancelled");

    const stream = await onA.responses.create({ model: "words-model", input: "Count", stream: true, background: true });
    const first = await readEvents(stream, (events) => events.length === 6);
    const id = (first[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    const follower = readEvents(await onA.responses.retrieve(id, { stream: true, starting_after: 5 }));
    expect((await onB.responses.cancel(id)).status).toBe("cancelled");
    const end = (await follower).at(-1) as OpenAI.Responses.ResponseFailedEvent;
    expect(end.response.status).toBe("cancelled");
    const stored = await onB.responses.retrieve(id);
    expect(stored.status).toBe("cancelled");
    expect(textOf(stored)).toBe(textOf(end.response));
    expect(textOf(stored)).toStartWith("w0 w1");
  });

  test("a delete whose stop never reached the running replica: its renewal finds it gone, stops the run, and its events stay gone", async () => {
    const onA = new OpenAI({ baseURL: `${a.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const seenStreams = streamSignals.length;
    const stream = await onA.responses.create({ model: "words-model", input: "Count", stream: true, background: true });
    const first = await readEvents(stream, (events) => events.length === 3);
    const id = (first[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    // What another replica's delete does, without its message.
    await redis.command(["DEL", `ollaix:responses:${id}`, `ollaix:responses:events:${id}`]);
    for (let i = 0; i < 100 && !streamSignals[seenStreams]!.aborted; i++) await Bun.sleep(10);
    expect(streamSignals[seenStreams]!.aborted).toBe(true);
    await Bun.sleep(300); // what A would still send
    expect(Number(await redis.command(["EXISTS", `ollaix:responses:events:${id}`, `ollaix:responses:${id}`]))).toBe(0);
  });

  test("a run whose entry the store lost before its end was stored (Redis flushed, restarted empty): its stream ends failed, not completed", async () => {
    // The default lease: no renewal comes before the end, which is what finds the entry gone.
    const c = await startTestGateway({ REDIS_URL: redis.url }, [dummy, gated]);
    try {
      const onC = new OpenAI({ baseURL: `${c.url}/v1`, apiKey: "unused", maxRetries: 0 });
      const stream = await onC.responses.create({ model: "words-model", input: "Count", stream: true, background: true });
      let id: string | undefined;
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const event of stream) {
        events.push(event);
        if (event.type === "response.created") id = event.response.id;
        if (events.length === 4) await redis.command(["DEL", `ollaix:responses:${id}`]);
      }
      const last = events.at(-1)!;
      expect(last.type).toBe("response.failed");
      expectOpenAI("ResponseStreamEvent", last);
      expect((last as OpenAI.Responses.ResponseFailedEvent).response.error?.message).toContain("store lost it");
      expect(events.some((event) => event.type === "response.completed")).toBe(false);
      // No replica reads it: the end was not stored again.
      expect(await onC.responses.retrieve(id!).catch((e) => e)).toBeInstanceOf(OpenAI.NotFoundError);
    } finally {
      await c.close();
    }
  });

  test("leases are Redis's time: a replica whose clock is minutes off still reads a live run as running", async () => {
    const onB = new OpenAI({ baseURL: `${b.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const seen = calls.length;
    const created = await new OpenAI({ baseURL: `${a.url}/v1`, apiKey: "unused", maxRetries: 0 }).responses.create({ model: "gated-model", input: "Hello", background: true });
    const call = await nextCall(seen);
    const realNow = Date.now;
    try {
      // Both gateways run in this process: the skew is everyone's, Redis's clock is not.
      for (const skew of [10 * 60_000, -10 * 60_000]) {
        Date.now = () => realNow() + skew;
        expect((await onB.responses.retrieve(created.id)).status).toBe("in_progress");
        await Bun.sleep(250); // renewals written meanwhile, with the clock off
        expect((await onB.responses.retrieve(created.id)).status).toBe("in_progress");
      }
    } finally {
      Date.now = realNow;
    }
    call.answer("done");
    let read = await onB.responses.retrieve(created.id);
    for (let i = 0; i < 100 && read.status !== "completed"; i++, await Bun.sleep(10)) read = await onB.responses.retrieve(created.id);
    expect(read.status).toBe("completed");
  });

  test("a running response carries a lease its replica renews; one whose replica died (lease lapsed) reads `failed` everywhere", async () => {
    const onB = new OpenAI({ baseURL: `${b.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const seen = calls.length;
    const created = await new OpenAI({ baseURL: `${a.url}/v1`, apiKey: "unused", maxRetries: 0 }).responses.create({ model: "gated-model", input: "Hello", background: true });
    const call = await nextCall(seen);
    const leaseOf = async () => JSON.parse(String(await redis.command(["GET", `ollaix:responses:${created.id}`]))) as { lease?: number; response: { status: string } };
    const raw = await leaseOf();
    expect(raw.response.status).toBe("in_progress");
    expect(raw.lease!).toBeGreaterThan(Date.now());
    await Bun.sleep(1700); // past the first lease: renewed all along, so it still reads running
    expect((await leaseOf()).lease!).toBeGreaterThan(raw.lease!);
    expect((await onB.responses.retrieve(created.id)).status).toBe("in_progress");
    call.answer("done");
    for (let i = 0; i < 100 && (await onB.responses.retrieve(created.id)).status !== "completed"; i++) await Bun.sleep(10);
    expect(JSON.parse(String(await redis.command(["GET", `ollaix:responses:${created.id}`]))).lease).toBeUndefined();

    // A replica that died mid-run left this behind: running, its lease past.
    const store = new RedisResponseStore(redis.url, 600);
    const orphan = { ...created, id: "resp_0123456789abcdef01234567", status: "in_progress" as const };
    await store.put({ response: orphan as never, input: [], requestInput: "Hello", lease: Date.now() - 1 });
    store.close();
    const read = await onB.responses.retrieve(orphan.id);
    expectOpenAI("Response", read);
    expect(read).toMatchObject({ status: "failed", error: { code: "server_error" } });
    expect((await onB.responses.cancel(orphan.id)).status).toBe("failed");
    const next = await onB.responses.create({ model: "dummy-model:1.0", previous_response_id: orphan.id, input: "again" });
    expect(next.status).toBe("completed");
  });

  test("a background response running on one replica is polled on the other; a cancel there stops it on the first", async () => {
    const onA = new OpenAI({ baseURL: `${a.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const onB = new OpenAI({ baseURL: `${b.url}/v1`, apiKey: "unused", maxRetries: 0 });
    let seen = calls.length;
    const finished = await onA.responses.create({ model: "gated-model", input: "Hello", background: true });
    expect((await onB.responses.retrieve(finished.id)).status).toBe("in_progress");
    (await nextCall(seen)).answer("From A");
    let polled = await onB.responses.retrieve(finished.id);
    for (let i = 0; i < 100 && polled.status === "in_progress"; i++, await Bun.sleep(10)) polled = await onB.responses.retrieve(finished.id);
    expect(polled).toMatchObject({ status: "completed", output_text: "From A" });

    seen = calls.length;
    const created = await onA.responses.create({ model: "gated-model", input: "Hello", background: true });
    const call = await nextCall(seen);
    // B does not run it: it marks it cancelled in the shared store, and tells A, which stops its call.
    const cancelled = await onB.responses.cancel(created.id);
    expect(cancelled).toMatchObject({ id: created.id, status: "cancelled" });
    for (let i = 0; i < 100 && !call.signal.aborted; i++) await Bun.sleep(10);
    expect(call.signal.aborted).toBe(true);
    await Bun.sleep(50);
    expect((await onA.responses.retrieve(created.id)).status).toBe("cancelled");
    expect((await onB.responses.retrieve(created.id)).status).toBe("cancelled");
    // Not streamed: it has no events to follow, here or there.
    const elsewhere = await fetch(`${b.url}/v1/responses/${created.id}?stream=true`);
    expect(elsewhere.status).toBe(400);
  });
});

test("a Redis that refuses TIME (an ACL without @fast): leases fall back to each replica's clock, and background responses are stored as ever", async () => {
  const redis = await startRedis();
  try {
    await redis.command(["ACL", "SETUSER", "gw", "on", ">secret-pw", "~*", "&*", "+@all", "-time"]);
    const env = { REDIS_URL: `redis://gw:secret-pw@127.0.0.1:${redis.port}` };
    const first = await startTestGateway(env, [dummy, gated]);
    const second = await startTestGateway(env, [dummy, gated]);
    try {
      const seen = calls.length;
      const created = await new OpenAI({ baseURL: `${first.url}/v1`, apiKey: "unused", maxRetries: 0 }).responses.create({ model: "gated-model", input: "Hello", background: true });
      const onSecond = new OpenAI({ baseURL: `${second.url}/v1`, apiKey: "unused", maxRetries: 0 });
      expect((await onSecond.responses.retrieve(created.id)).status).toBe("in_progress");
      (await nextCall(seen)).answer("stored");
      let read = await onSecond.responses.retrieve(created.id);
      for (let i = 0; i < 100 && read.status === "in_progress"; i++, await Bun.sleep(10)) read = await onSecond.responses.retrieve(created.id);
      expect(read).toMatchObject({ status: "completed", output_text: "stored" });
      expect([...first.logs, ...second.logs].join("\n")).not.toContain("secret-pw");
    } finally {
      await first.close();
      await second.close();
    }
  } finally {
    await redis.stop();
  }
});

/**
 * Two replicas on one Redis, the runner through a proxy that holds every command while `cut` (a
 * Redis frozen for it alone, or a path that drops packets; its commands time out after 150 ms), the
 * reader directly. A background response is created on the runner; `test` gets its provider call.
 */
async function withCutOffRunner(
  backgroundLease: { leaseMs: number; renewMs: number },
  test: (t: { created: OpenAI.Responses.Response; call: GatedCall; onReader: OpenAI; onRunner: OpenAI; cut: (isCut: boolean) => void; dropHeld: () => void }) => Promise<void>,
): Promise<void> {
  const redis = await startRedis();
  let isCut = false;
  const proxy = await tcpProxy(redis.port, { holdMs: 60_000, holdOn: () => isCut });
  const runner = await startTestGateway({ REDIS_URL: `redis://${proxy.address}`, REDIS_TIMEOUT_MS: "150" }, [dummy, gated], { backgroundLease });
  const reader = await startTestGateway({ REDIS_URL: redis.url }, [dummy, gated], { backgroundLease });
  try {
    const onRunner = new OpenAI({ baseURL: `${runner.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const seen = calls.length;
    const created = await onRunner.responses.create({ model: "gated-model", input: "Hello", background: true });
    const call = await nextCall(seen);
    await test({
      created,
      call,
      onReader: new OpenAI({ baseURL: `${reader.url}/v1`, apiKey: "unused", maxRetries: 0 }),
      onRunner,
      cut: (value) => void (isCut = value),
      // The held commands are never delivered; the runner opens new connections.
      dropHeld: () => proxy.drop(() => true),
    });
  } finally {
    await runner.close();
    await reader.close();
    proxy.stop();
    await redis.stop();
  }
}

test("a replica cut off from a hung Redis stops its run before its lease lapses: read `failed` elsewhere, it stays failed once the link is back", async () => {
  await withCutOffRunner({ leaseMs: 800, renewMs: 200 }, async ({ created, call, onReader, onRunner, cut, dropHeld }) => {
    cut(true); // every command from here on hangs, as on a Redis frozen or a path that drops packets
    let read = await onReader.responses.retrieve(created.id);
    for (let i = 0; i < 300 && read.status === "in_progress"; i++, await Bun.sleep(10)) read = await onReader.responses.retrieve(created.id);
    expect(read).toMatchObject({ status: "failed", error: { code: "server_error" } });
    // The runner stopped its call itself (before the lapse), rather than finishing a response others read as failed.
    for (let i = 0; i < 100 && !call.signal.aborted; i++) await Bun.sleep(10);
    expect(call.signal.aborted).toBe(true);
    cut(false);
    dropHeld();
    call.answer("too late");
    await Bun.sleep(800);
    for (const client of [onReader, onRunner]) {
      const again = await client.responses.retrieve(created.id);
      expectOpenAI("Response", again);
      expect(again).toMatchObject({ status: "failed", error: { code: "server_error", message: read.error!.message } });
    }
  });
}, 20_000);

test("at shutdown a running background response gets the grace period, then ends `failed` (another replica reads it so)", async () => {
  const redis = await startRedis();
  try {
    const env = { REDIS_URL: redis.url, SHUTDOWN_GRACE_MS: "200" };
    const first = await startTestGateway(env, [dummy, gated]);
    const seen = calls.length;
    const created = await new OpenAI({ baseURL: `${first.url}/v1`, apiKey: "unused", maxRetries: 0 }).responses.create({ model: "gated-model", input: "Hello", background: true });
    const call = await nextCall(seen);
    const started = performance.now();
    await first.close();
    expect(performance.now() - started).toBeGreaterThanOrEqual(150); // it waited for the run
    expect(call.signal.aborted).toBe(true);
    const second = await startTestGateway(env, [dummy, gated]);
    try {
      const ended = await new OpenAI({ baseURL: `${second.url}/v1`, apiKey: "unused", maxRetries: 0 }).responses.retrieve(created.id);
      expectOpenAI("Response", ended);
      expect(ended).toMatchObject({ status: "failed", error: { code: "server_error", message: "The gateway stopped before the response finished." } });
    } finally {
      await second.close();
    }
  } finally {
    await redis.stop();
  }
});

describe("two gateways sharing one Redis, leases as in production (renewed every 20 s)", () => {
  let redis: TestRedis;
  let a: TestGateway;
  let b: TestGateway;
  let onA: OpenAI;
  let onB: OpenAI;
  beforeAll(async () => {
    redis = await startRedis();
    a = await startTestGateway({ REDIS_URL: redis.url, LOG_LEVEL: "info" }, [dummy, gated]);
    b = await startTestGateway({ REDIS_URL: redis.url }, [dummy, gated]);
    onA = new OpenAI({ baseURL: `${a.url}/v1`, apiKey: "unused", maxRetries: 0 });
    onB = new OpenAI({ baseURL: `${b.url}/v1`, apiKey: "unused", maxRetries: 0 });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  /** Waits (up to 3 s, far less than a renewal) for a call's signal to abort. */
  const abortedSoon = async (signal: AbortSignal) => {
    for (let i = 0; i < 300 && !signal.aborted; i++) await Bun.sleep(10);
    return signal.aborted;
  };

  test("a streamed background response running on one replica is followed on the other from `starting_after`, to its end, and again after it", async () => {
    const stream = await onA.responses.create({ model: "words-model", input: "Count", stream: true, background: true });
    const first = await readEvents(stream, (events) => events.length === 6);
    const id = (first[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;

    const rest = await readEvents(await onB.responses.retrieve(id, { stream: true, starting_after: 5 }));
    expect(rest.map((e) => e.sequence_number)).toEqual(rest.map((_, i) => 6 + i));
    expect(rest.length).toBeGreaterThan(40); // a delta a word, and the ends
    const last = rest.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    expect(last.type).toBe("response.completed");
    expect(textOf(last.response)).toBe(FULL_TEXT);

    // After the end, either replica serves the whole stream, the same events.
    const onAItself = await readEvents(await onA.responses.retrieve(id, { stream: true }));
    const onBAgain = await readEvents(await onB.responses.retrieve(id, { stream: true }));
    expect(onBAgain).toEqual(onAItself);
    expect(onBAgain.slice(0, 6)).toEqual(first);
    expect(onBAgain.slice(6)).toEqual(rest);
    // From past the end: nothing, and the stream ends.
    expect(await readEvents(await onB.responses.retrieve(id, { stream: true, starting_after: onBAgain.length - 1 }))).toEqual([]);
  });

  test("a follower on the other replica that leaves takes its subscription with it; the run goes on", async () => {
    const seenStreams = streamSignals.length;
    const stream = await onA.responses.create({ model: "words-model", input: "Count", stream: true, background: true });
    const first = await readEvents(stream, (events) => events.length === 3);
    const id = (first[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    const subscribers = async () => Number(((await redis.command(["PUBSUB", "NUMSUB", `ollaix:responses:events:${id}`])) as [string, number])[1]);
    const leaving = new AbortController();
    const response = await fetch(`${b.url}/v1/responses/${id}?stream=true&starting_after=2`, { signal: leaving.signal });
    expect(response.headers.get("content-type")).toStartWith("text/event-stream");
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toStartWith("event: ");
    expect(await subscribers()).toBe(1);
    leaving.abort();
    for (let i = 0; i < 200 && (await subscribers()) > 0; i++) await Bun.sleep(10);
    expect(await subscribers()).toBe(0);
    expect(streamSignals[seenStreams]!.aborted).toBe(false);
    let ended = await onB.responses.retrieve(id);
    for (let i = 0; i < 200 && ended.status === "in_progress"; i++, await Bun.sleep(10)) ended = await onB.responses.retrieve(id);
    expect(ended.status).toBe("completed");
  });

  test("a replica that stops ends the streams it follows for other replicas with the `error` event at once, and they go on elsewhere", async () => {
    const c = await startTestGateway({ REDIS_URL: redis.url, SHUTDOWN_GRACE_MS: "10000" }, [dummy, gated]);
    const onC = new OpenAI({ baseURL: `${c.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const stream = await onA.responses.create({ model: "words-model", input: "Count", stream: true, background: true });
    const first = await readEvents(stream, (events) => events.length === 3);
    const id = (first[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    const followed: ResponseStreamEvent[] = [];
    // The SDK raises OpenAI's `error` event as an APIError carrying the event.
    const failure = (async () => {
      try {
        for await (const event of await onC.responses.retrieve(id, { stream: true, starting_after: 2 })) followed.push(event);
      } catch (error) {
        return error;
      }
    })();
    await Bun.sleep(60);
    const started = performance.now();
    await c.close();
    expect(performance.now() - started).toBeLessThan(5000); // not the 10 s grace
    const thrown = await failure;
    expect(thrown).toBeInstanceOf(OpenAI.APIError);
    const end = (thrown as InstanceType<typeof OpenAI.APIError>).error as OpenAI.Responses.ResponseErrorEvent;
    expectOpenAI("ResponseStreamEvent", end);
    expect(end).toMatchObject({ type: "error", code: "server_shutting_down" });
    expect(followed.length).toBeGreaterThan(0);
    expect([...followed.map((e) => e.sequence_number), end.sequence_number]).toEqual([...followed, end].map((_, i) => 3 + i));
    const rest = await readEvents(await onB.responses.retrieve(id, { stream: true, starting_after: end.sequence_number - 1 }));
    expect(rest[0]!.sequence_number).toBe(end.sequence_number);
    expect(rest.at(-1)!.type).toBe("response.completed");
  });

  test("a cancel on the other replica stops the run at once, not at its renewal 20 s away; followers there end with the cancelled response", async () => {
    const seen = calls.length;
    const created = await onA.responses.create({ model: "gated-model", input: "Hello", background: true });
    const call = await nextCall(seen);
    expect((await onB.responses.cancel(created.id)).status).toBe("cancelled");
    expect(await abortedSoon(call.signal)).toBe(true);
    expect((await onA.responses.retrieve(created.id)).status).toBe("cancelled");

    const seenStreams = streamSignals.length;
    const stream = await onA.responses.create({ model: "words-model", input: "Count", stream: true, background: true });
    const first = await readEvents(stream, (events) => events.length === 5);
    const id = (first[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    const follower = readEvents(await onB.responses.retrieve(id, { stream: true, starting_after: 4 }));
    expect((await onB.responses.cancel(id)).status).toBe("cancelled");
    expect(await abortedSoon(streamSignals[seenStreams]!)).toBe(true);
    const followed = await follower;
    expect(followed.map((e) => e.sequence_number)).toEqual(followed.map((_, i) => 5 + i));
    const end = followed.at(-1) as OpenAI.Responses.ResponseFailedEvent;
    expect(end.type).toBe("response.failed");
    expect(end.response).toMatchObject({ id, status: "cancelled", error: null });
    const stored = await onB.responses.retrieve(id);
    expect(stored.status).toBe("cancelled");
    expect(textOf(stored)).toBe(textOf(end.response));
    expect(textOf(stored).split(" ").length).toBeLessThan(40);
  });

  test("a replica's first background run: a cancel sent elsewhere the moment the create answers stops it at once", async () => {
    const stopListeners = async () => Number(((await redis.command(["PUBSUB", "NUMSUB", "ollaix:responses:stops"])) as [string, number])[1]);
    const listening = await stopListeners(); // a and b, once they ran one
    // Its subscriptions reach Redis 400 ms late (its store's writes do not).
    const lagging = await tcpProxy(redis.port, { holdMs: 400, holdOn: (text) => /SUBSCRIBE/i.test(text) });
    const fresh = await startTestGateway({ REDIS_URL: `redis://${lagging.address}` }, [dummy, gated]);
    const seen = calls.length;
    try {
      const onFresh = new OpenAI({ baseURL: `${fresh.url}/v1`, apiKey: "unused", maxRetries: 0 });
      const created = await onFresh.responses.create({ model: "gated-model", input: "Hello", background: true });
      // It hears the stops before any client holds the id (it subscribes with its first run).
      expect(await stopListeners()).toBe(listening + 1);
      const call = await nextCall(seen);
      expect((await onA.responses.cancel(created.id)).status).toBe("cancelled");
      expect(await abortedSoon(call.signal)).toBe(true);
      expect((await onFresh.responses.retrieve(created.id)).status).toBe("cancelled");
    } finally {
      calls[seen]?.answer("late"); // a run left running would hold the gateway's stop
      await fresh.close();
      lagging.stop();
    }
  });

  test("a delete on the replica running it ends the followers elsewhere with `not_found` (its events go after the response, never read as lost)", async () => {
    const stream = await onA.responses.create({ model: "words-model", input: "Count", stream: true, background: true });
    const first = await readEvents(stream, (events) => events.length === 3);
    const id = (first[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    const following = fetch(`${b.url}/v1/responses/${id}?stream=true&starting_after=2`).then((r) => r.text());
    await Bun.sleep(60);
    // A slower store widens the time between the run's stop and the response's delete.
    const remove = RedisResponseStore.prototype.delete;
    RedisResponseStore.prototype.delete = async function (this: RedisResponseStore, responseId: string) {
      await Bun.sleep(40);
      return remove.call(this, responseId);
    };
    try {
      expect(await onA.responses.delete(id)).toMatchObject({ deleted: true });
    } finally {
      RedisResponseStore.prototype.delete = remove;
    }
    const text = await following;
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toContain("events_lost");
    expect(text).not.toContain("response.failed");
    expect(text.trimEnd().split("\n\n").at(-1)).toStartWith('event: error\ndata: {"type":"error","code":"not_found"');
  });

  test("a run that ends after its response was deleted elsewhere (the stop not heard) does not bring its events back", async () => {
    const stream = await onA.responses.create({ model: "words-model", input: "Count", stream: true, background: true });
    const first = await readEvents(stream, (events) => events.length === 3);
    const id = (first[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    // Another replica's delete whose stop never came; the renewal is 20 s away, the run ends first.
    await redis.command(["DEL", `ollaix:responses:${id}`, `ollaix:responses:events:${id}`]);
    for (let i = 0; i < 200; i++) {
      await Bun.sleep(20);
      if ((await fetch(`${a.url}/v1/responses/${id}?stream=true`)).status === 404 && i > 50) break;
    }
    await Bun.sleep(100);
    expect(Number(await redis.command(["EXISTS", `ollaix:responses:events:${id}`, `ollaix:responses:${id}`]))).toBe(0);
  });

  test("a run's start must reach the store: refused once it is tried again; refused twice the create is a 503 and the call stops", async () => {
    const put = RedisResponseStore.prototype.put;
    let starts = 0;
    RedisResponseStore.prototype.put = function (this: RedisResponseStore, entry, json) {
      if (entry.response.status === "in_progress" && starts++ === 0) return Promise.reject(new UpstreamUnavailableError("The response store (Redis) is unreachable.", { code: "state_unavailable" }));
      return put.call(this, entry, json);
    };
    const seen = calls.length;
    let created: OpenAI.Responses.Response;
    try {
      created = await onA.responses.create({ model: "gated-model", input: "Hello", background: true });
    } finally {
      RedisResponseStore.prototype.put = put;
    }
    expect(starts).toBe(2); // refused, then tried again
    (await nextCall(seen)).answer("kept");
    let read = await onB.responses.retrieve(created.id).catch(() => undefined);
    for (let i = 0; i < 100 && read?.status !== "completed"; i++, await Bun.sleep(10)) read = await onB.responses.retrieve(created.id).catch(() => undefined);
    expect(read).toMatchObject({ status: "completed", output_text: "kept" });

    // The store never takes it (each write's answer lost, say): no client is handed an id the store may not have.
    RedisResponseStore.prototype.put = function (this: RedisResponseStore, entry, json) {
      if (entry.response.status === "in_progress") return Promise.reject(new UpstreamUnavailableError("The response store (Redis) is unreachable.", { code: "state_unavailable" }));
      return put.call(this, entry, json);
    };
    const before = calls.length;
    const streamsBefore = streamSignals.length;
    const logged = a.logs.length;
    let refusal: unknown;
    let streamRefusal: unknown;
    let instantRefusal: unknown;
    try {
      refusal = await onA.responses.create({ model: "gated-model", input: "Hello", background: true }).catch((error) => error);
      streamRefusal = await onA.responses.create({ model: "words-model", input: "Count", stream: true, background: true }).catch((error) => error);
      // The dummy answers before the store has refused the start twice: its answer is not a second outcome.
      instantRefusal = await onA.responses.create({ model: "dummy-model:1.0", input: "Hello", background: true }).catch((error) => error);
    } finally {
      RedisResponseStore.prototype.put = put;
    }
    expect((instantRefusal as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((streamRefusal as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect(refusal).toBeInstanceOf(OpenAI.APIError);
    expect((refusal as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expectOpenAI("ErrorResponse", { error: (refusal as InstanceType<typeof OpenAI.APIError>).error });
    const call = await nextCall(before);
    for (let i = 0; i < 100 && !call.signal.aborted; i++) await Bun.sleep(10);
    expect(call.signal.aborted).toBe(true);
    for (let i = 0; i < 100 && !streamSignals[streamsBefore]?.aborted; i++) await Bun.sleep(10);
    expect(streamSignals[streamsBefore]!.aborted).toBe(true);
    await Bun.sleep(100);
    // One outcome a request, the client's 503; the provider is not blamed for the store.
    const lines = a.logs.slice(logged).map((line) => JSON.parse(line) as { msg: string; status?: number; error?: string });
    expect(lines.filter((line) => line.msg === "request").map((line) => [line.status, line.error])).toEqual([
      [503, "state_unavailable"],
      [503, "state_unavailable"],
      [503, "state_unavailable"],
    ]);
    expect(lines.filter((line) => line.msg === "upstream failed")).toEqual([]);
    const stream = await onA.responses.create({ model: "words-model", input: "Count", stream: true, background: true }).catch((error) => error);
    expect(stream).not.toBeInstanceOf(OpenAI.APIError); // the store is back
  });

  test("a subscription Redis never answers (a stalled connection) holds a create REDIS_TIMEOUT_MS (here 2 s) at most; the stops are tried again on a new connection", async () => {
    let held = true;
    const stalled = await tcpProxy(redis.port, { holdMs: 60_000, holdOn: (text) => held && /SUBSCRIBE/i.test(text) });
    const fresh = await startTestGateway({ REDIS_URL: `redis://${stalled.address}`, REDIS_TIMEOUT_MS: "2000" }, [dummy, gated]);
    const seen = calls.length;
    try {
      const onFresh = new OpenAI({ baseURL: `${fresh.url}/v1`, apiKey: "unused", maxRetries: 0 });
      const started = performance.now();
      const created = await onFresh.responses.create({ model: "gated-model", input: "Hello", background: true });
      const waited = performance.now() - started;
      expect(waited).toBeGreaterThan(1500);
      expect(waited).toBeLessThan(4000);
      expect(created.status).toBe("queued");
      const warnings = fresh.logs.map((line) => JSON.parse(line)).filter((line) => line.level === "warn" && /listen for stops/.test(line.msg));
      expect(warnings).toHaveLength(1);
      expect(JSON.stringify(warnings[0])).toContain("did not answer SUBSCRIBE");
      // The next try (1 s on, a new connection) is answered: the replica hears stops again.
      held = false;
      const stopListeners = async () => Number(((await redis.command(["PUBSUB", "NUMSUB", "ollaix:responses:stops"])) as [string, number])[1]);
      const before = await stopListeners();
      for (let i = 0; i < 300 && (await stopListeners()) === before; i++) await Bun.sleep(10);
      expect(await stopListeners()).toBe(before + 1);
      const call = await nextCall(seen);
      expect((await onA.responses.cancel(created.id)).status).toBe("cancelled");
      expect(await abortedSoon(call.signal)).toBe(true);
    } finally {
      calls[seen]?.answer("late");
      await fresh.close();
      stalled.stop();
    }
  });

  test("a follower whose notices' SUBSCRIBE goes unanswered still follows a running run to its end, by reading on its own", async () => {
    const stalled = await tcpProxy(redis.port, { holdMs: 60_000, holdOn: (text) => /SUBSCRIBE/i.test(text) && text.includes("ollaix:responses:events:") });
    const follower = await startTestGateway({ REDIS_URL: `redis://${stalled.address}`, REDIS_TIMEOUT_MS: "2000" }, [dummy, gated]);
    try {
      // A word every 75 ms: the run goes on ~1 s after the follower's SUBSCRIBE is given up (at REDIS_TIMEOUT_MS, 2 s).
      const stream = await onA.responses.create({ model: "slow-words", input: "Count", stream: true, background: true });
      const first = await readEvents(stream, (events) => events.length === 3);
      const id = (first[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
      const onFollower = new OpenAI({ baseURL: `${follower.url}/v1`, apiKey: "unused", maxRetries: 0 });
      const started = performance.now();
      const arrivals: number[] = [];
      const rest = await readEvents(await onFollower.responses.retrieve(id, { stream: true, starting_after: 2 }), (events) => {
        arrivals[events.length - 1] = performance.now() - started;
        return false;
      });
      expect(rest.map((e) => e.sequence_number)).toEqual(rest.map((_, i) => 3 + i));
      const last = rest.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
      expect(last.type).toBe("response.completed");
      expect(textOf(last.response)).toBe(FULL_TEXT);
      // Events that came after the SUBSCRIBE was given up were read while the run went on, not in one read at its end.
      const afterGivingUp = arrivals.filter((at) => at > 2100);
      expect(new Set(afterGivingUp.map((at) => Math.round(at / 50))).size).toBeGreaterThan(3);
    } finally {
      await follower.close();
      stalled.stop();
    }
  }, 15_000);

  test("a follower whose notices' connection drops mid-stream goes on reading on its own, not once a second, and subscribes again", async () => {
    const proxy = await tcpProxy(redis.port, { holdMs: 0, holdOn: () => false });
    const follower = await startTestGateway({ REDIS_URL: `redis://${proxy.address}` }, [dummy, gated]);
    try {
      const stream = await onA.responses.create({ model: "slow-words", input: "Count", stream: true, background: true });
      const first = await readEvents(stream, (events) => events.length === 3);
      const id = (first[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
      const onFollower = new OpenAI({ baseURL: `${follower.url}/v1`, apiKey: "unused", maxRetries: 0 });
      let droppedAt = Infinity;
      const arrivals: number[] = [];
      // Who listens to the run's notices, sampled while it streams: the follower alone.
      const subscribers: { at: number; count: number }[] = [];
      let isReading = true;
      const sampling = (async () => {
        while (isReading) {
          const [, count] = (await redis.command(["PUBSUB", "NUMSUB", `ollaix:responses:events:${id}`])) as [string, number];
          subscribers.push({ at: performance.now(), count: Number(count) });
          await Bun.sleep(20);
        }
      })();
      const rest = await readEvents(await onFollower.responses.retrieve(id, { stream: true, starting_after: 2 }), (events) => {
        arrivals.push(performance.now());
        if (events.length === 5) {
          proxy.drop((sent) => /SUBSCRIBE/i.test(sent)); // the notices' connection, not the one reads go on
          droppedAt = performance.now();
        }
        return false;
      });
      isReading = false;
      await sampling;
      expect(droppedAt).toBeLessThan(Infinity);
      // Unsubscribed by the drop, then subscribed again on a new connection while the run went on (a
      // second after its first subscription: the drop comes sooner than that here).
      const afterDrop = subscribers.filter((sample) => sample.at > droppedAt + 50);
      expect(afterDrop.some((sample) => sample.count === 0)).toBe(true);
      const renewed = afterDrop.find((sample) => sample.count === 1);
      expect(renewed).toBeDefined();
      expect(renewed!.at - droppedAt).toBeLessThan(2000);
      expect(rest.at(-1)!.type).toBe("response.completed");
      expect(rest.map((e) => e.sequence_number)).toEqual(rest.map((_, i) => 3 + i));
      // ~2 s of words after the drop, a word every 75 ms: read in many reads (once a second would be 2 or 3).
      const reads = new Set(arrivals.filter((at) => at > droppedAt + 100).map((at) => Math.round(at / 50)));
      expect(reads.size).toBeGreaterThan(8);
    } finally {
      await follower.close();
      proxy.stop();
    }
  }, 15_000);

  test("a shutdown that begins while a start is being stored is not held by it once the store refuses it", async () => {
    const c = await startTestGateway({ REDIS_URL: redis.url, SHUTDOWN_GRACE_MS: "10000" }, [dummy, gated]);
    const onC = new OpenAI({ baseURL: `${c.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const put = RedisResponseStore.prototype.put;
    let tries = 0;
    // Each try of the start's write takes 300 ms, then fails.
    RedisResponseStore.prototype.put = function (this: RedisResponseStore, entry, json) {
      if (entry.response.status !== "in_progress") return put.call(this, entry, json);
      tries++;
      return Bun.sleep(300).then(() => Promise.reject(new UpstreamUnavailableError("The response store (Redis) is unreachable.", { code: "state_unavailable" })));
    };
    const seen = calls.length;
    try {
      const refusal = onC.responses.create({ model: "gated-model", input: "Hello", background: true }).catch((error) => error);
      const call = await nextCall(seen);
      for (let i = 0; i < 100 && tries === 0; i++) await Bun.sleep(5);
      expect(tries).toBe(1);
      const started = performance.now();
      await c.close(); // the run is still starting: the stop counts it among the running ones
      expect(performance.now() - started).toBeLessThan(3000); // not the 10 s grace (and 2 s more)
      expect(((await refusal) as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
      expect(tries).toBe(2);
      expect(call.signal.aborted).toBe(true);
    } finally {
      RedisResponseStore.prototype.put = put;
      await c.close();
    }
  });

  test("a delete whose store write fails still drops the events of the run it stopped (503, the response kept)", async () => {
    const stream = await onA.responses.create({ model: "words-model", input: "Count", stream: true, background: true });
    const first = await readEvents(stream, (events) => events.length === 3);
    const id = (first[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    const remove = RedisResponseStore.prototype.delete;
    RedisResponseStore.prototype.delete = () => Promise.reject(new UpstreamUnavailableError("The response store (Redis) is unreachable.", { code: "state_unavailable" }));
    try {
      expect((await fetch(`${a.url}/v1/responses/${id}`, { method: "DELETE" })).status).toBe(503);
    } finally {
      RedisResponseStore.prototype.delete = remove;
    }
    await Bun.sleep(100);
    expect(Number(await redis.command(["EXISTS", `ollaix:responses:events:${id}`]))).toBe(0);
    expect(Number(await redis.command(["EXISTS", `ollaix:responses:${id}`]))).toBe(1);
  });

  test("a delete on the other replica stops the run at once, and its events go with it", async () => {
    const seen = calls.length;
    const created = await onA.responses.create({ model: "gated-model", input: "Hello", background: true });
    const call = await nextCall(seen);
    expect(await onB.responses.delete(created.id)).toMatchObject({ id: created.id, deleted: true });
    expect(await abortedSoon(call.signal)).toBe(true);
    await Bun.sleep(50);
    expect(await onA.responses.retrieve(created.id).catch((e) => e)).toBeInstanceOf(OpenAI.NotFoundError);

    const seenStreams = streamSignals.length;
    const stream = await onA.responses.create({ model: "words-model", input: "Count", stream: true, background: true });
    const first = await readEvents(stream, (events) => events.length === 5);
    const id = (first[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    expect(Number(await redis.command(["ZCARD", `ollaix:responses:events:${id}`]))).toBeGreaterThanOrEqual(5);
    expect(await onB.responses.delete(id)).toMatchObject({ deleted: true });
    expect(await abortedSoon(streamSignals[seenStreams]!)).toBe(true);
    await Bun.sleep(100); // A's own end of the run, which sends nothing more
    expect(Number(await redis.command(["EXISTS", `ollaix:responses:events:${id}`]))).toBe(0);
    for (const gateway of [a, b]) expect((await fetch(`${gateway.url}/v1/responses/${id}?stream=true`)).status).toBe(404);
  });
});

describe("the run channel over a real Redis", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  const frame = (i: number) => `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":${i}}\n\n`;
  const readAll = async (stream: ReadableStream<Uint8Array>) => new Response(stream).text();
  const entry = (status: string): StoredResponse => ({ response: { id: "resp_x", status } as never, input: [] });

  test("frames appended while a write is under way go together, in order; a follower reads them to the end; an unknown run has none", async () => {
    const errors: string[] = [];
    const channel = new RedisRunChannel(redis.url, (message) => errors.push(message));
    const id = `resp_${crypto.randomUUID().replaceAll("-", "")}`;
    const zadds = async () => Number(/cmdstat_zadd:calls=(\d+)/.exec(String(await redis.command(["INFO", "commandstats"])))?.[1] ?? 0);
    const before = await zadds();
    for (let i = 0; i < 100; i += 4) channel.append(id, i, [frame(i), frame(i + 1), frame(i + 2), frame(i + 3)]);
    channel.end(id, 100);
    await channel.close(); // waits for what was appended
    // The first append's write, then everything that came meanwhile in one more: not 26 round trips.
    expect((await zadds()) - before).toBe(2);
    const listed = (await redis.command(["ZRANGE", `ollaix:responses:events:${id}`, "0", "-1", "WITHSCORES"])) as [string, number][];
    expect(listed).toEqual([...Array.from({ length: 100 }, (_, i) => [frame(i), i] as [string, number]), ["", 100]]);
    expect(Number(await redis.command(["TTL", `ollaix:responses:events:${id}`]))).toBeGreaterThan(200);

    const reader = new RedisRunChannel(redis.url);
    try {
      const all = await reader.follow(id, -1, async () => entry("completed"));
      expect(await readAll(all!)).toBe(Array.from({ length: 100 }, (_, i) => frame(i)).join(""));
      const tail = await reader.follow(id, 97, async () => entry("completed"));
      expect(await readAll(tail!)).toBe(frame(98) + frame(99));
      // From the last event, or past it: nothing, at once (not after the store checks, 20 s apart here).
      expect(await readAll((await reader.follow(id, 99, async () => entry("completed")))!)).toBe("");
      expect(await readAll((await reader.follow(id, 150, async () => entry("completed")))!)).toBe("");
      expect(await reader.follow("resp_unknown", -1, async () => undefined)).toBeUndefined();
    } finally {
      await reader.close();
    }
    expect(errors).toEqual([]);
  });

  test("a follower of a run whose replica died (its lease lapsed, no end sent) ends with `response.failed`; of one deleted, with `not_found`", async () => {
    const writer = new RedisRunChannel(redis.url);
    const dead = `resp_${crypto.randomUUID().replaceAll("-", "")}`;
    writer.append(dead, 0, [frame(0), frame(1), frame(2)]);
    await writer.close();
    const reader = new RedisRunChannel(redis.url, () => {}, { checkMs: 30 });
    try {
      const failed = {
        response: { id: dead, object: "response", created_at: 1, status: "failed", error: { code: "server_error", message: "The gateway running this background response stopped before it finished." }, incomplete_details: null, instructions: null, max_output_tokens: null, model: "m", output: [], parallel_tool_calls: true, previous_response_id: null, reasoning: { effort: null, summary: null }, store: true, temperature: null, text: { format: { type: "text" } }, tool_choice: "auto", tools: [], top_p: null, truncation: "disabled", metadata: {}, background: true, completed_at: null },
        input: [],
      } as unknown as StoredResponse;
      const text = await readAll((await reader.follow(dead, 1, async () => failed))!);
      const frames = text.split("\n\n").filter(Boolean);
      expect(frames[0]).toBe(frame(2).trimEnd());
      expect(frames).toHaveLength(2);
      expect(frames[1]).toStartWith("event: response.failed\ndata: ");
      const event = JSON.parse(frames[1]!.slice(frames[1]!.indexOf("data: ") + 6));
      expectOpenAI("ResponseStreamEvent", event);
      expect(event).toMatchObject({ type: "response.failed", sequence_number: 3, response: { id: dead, status: "failed" } });

      // Read as failed while it still holds its lease (the lease lapsed: GET already says failed): the follower ends at its
      // first look at the store, not a second one a check later (a probe: 20 s after GET did). A stored end without a
      // lease may still have its last events on their way: looked at twice. (Each ending reads the entry once more.)
      let looks = 0;
      await readAll((await reader.follow(dead, 2, async () => (looks++, { ...failed, lease: 1 })))!);
      expect(looks).toBe(2);
      looks = 0;
      await readAll((await reader.follow(dead, 2, async () => (looks++, failed)))!);
      expect(looks).toBe(3);

      // Deleted meanwhile with nothing more sent: the follower is told so, with nothing made up.
      const gone = await readAll((await reader.follow(dead, 2, async () => undefined))!);
      expect(JSON.parse(gone.slice(gone.indexOf("data: ") + 6))).toMatchObject({ type: "error", code: "not_found", sequence_number: 3 });
    } finally {
      await reader.close();
    }
  });

  test("events lost on their way (a failed write, a Redis that lost its data) are never skipped silently: the follower that reaches the gap gets the `error` event", async () => {
    const id = `resp_${crypto.randomUUID().replaceAll("-", "")}`;
    const key = `ollaix:responses:events:${id}`;
    // Events 2 and 3 never arrived.
    await redis.command(["ZADD", key, "0", frame(0), "1", frame(1), "4", frame(4), "5", frame(5), "6", ""]);
    const reader = new RedisRunChannel(redis.url);
    try {
      const text = await readAll((await reader.follow(id, -1, async () => entry("completed")))!);
      expect(text.startsWith(frame(0) + frame(1) + "event: error\n")).toBe(true);
      const event = JSON.parse(text.slice(text.indexOf("data: ", (frame(0) + frame(1)).length) + 6));
      expectOpenAI("ResponseStreamEvent", event);
      expect(event).toMatchObject({ type: "error", code: "events_lost", sequence_number: 2 });
      // A follower past the gap reads on as usual.
      expect(await readAll((await reader.follow(id, 3, async () => entry("completed")))!)).toBe(frame(4) + frame(5));
    } finally {
      await reader.close();
    }
  });

  test("a stream cut short (its last events lost, or its events gone while it runs) ends with `events_lost`, never as if complete", async () => {
    const writer = new RedisRunChannel(redis.url);
    const reader = new RedisRunChannel(redis.url, () => {}, { checkMs: 30 });
    try {
      const id = `resp_${crypto.randomUUID().replaceAll("-", "")}`;
      writer.append(id, 0, [frame(0), frame(1)]); // then the writes of its last events failed
      await writer.close();
      const text = await readAll((await reader.follow(id, -1, async () => entry("completed")))!);
      expect(text.startsWith(frame(0) + frame(1) + "event: error\n")).toBe(true);
      expect(JSON.parse(text.slice(text.lastIndexOf("data: ") + 6))).toMatchObject({ type: "error", code: "events_lost", sequence_number: 2 });

      // Evicted (or flushed) while the run goes on.
      const followed = readAll((await reader.follow(id, 1, async () => entry("in_progress")))!);
      await Bun.sleep(50);
      await redis.command(["DEL", `ollaix:responses:events:${id}`]);
      expect(JSON.parse((await followed).slice((await followed).indexOf("data: ") + 6))).toMatchObject({ code: "events_lost", sequence_number: 2 });
    } finally {
      await reader.close();
    }
  });

  test("followers that start while the gateway is stopping end at once with `server_shutting_down`; one that leaves is not a warning", async () => {
    const writer = new RedisRunChannel(redis.url);
    const errors: string[] = [];
    const reader = new RedisRunChannel(redis.url, (message) => errors.push(message));
    try {
      const id = `resp_${crypto.randomUUID().replaceAll("-", "")}`;
      writer.append(id, 0, [frame(0), frame(1)]);
      await Bun.sleep(20);
      const leaving = (await reader.follow(id, -1, async () => entry("in_progress")))!.getReader();
      expect(new TextDecoder().decode((await leaving.read()).value)).toBe(frame(0) + frame(1));
      const pending = leaving.read();
      await Bun.sleep(30);
      await leaving.cancel();
      await pending;
      await Bun.sleep(30);
      expect(errors).toEqual([]);

      reader.endFollowers();
      const late = await readAll((await reader.follow(id, 0, async () => entry("in_progress")))!);
      const event = JSON.parse(late.slice(late.indexOf("data: ") + 6));
      expectOpenAI("ResponseStreamEvent", event);
      expect(event).toMatchObject({ type: "error", code: "server_shutting_down", sequence_number: 1 });
      expect(event.message).toContain("starting_after=0");
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  test("a deleted response's stream ends with `not_found` (no event it wrote after the delete, never `events_lost`), even where its replica wrote on before it heard of the delete; a cancelled run cut short ends with its `response.failed`", async () => {
    const id = `resp_${crypto.randomUUID().replaceAll("-", "")}`;
    const key = `ollaix:responses:events:${id}`;
    await redis.command(["ZADD", key, "0", frame(0), "1", frame(1), "2", frame(2)]);
    let current: StoredResponse | undefined = entry("in_progress");
    const reader = new RedisRunChannel(redis.url, () => {}, { checkMs: 30 });
    try {
      const followed = (await reader.follow(id, -1, async () => current))!.getReader();
      expect(new TextDecoder().decode((await followed.read()).value)).toBe(frame(0) + frame(1) + frame(2));
      // Another replica deletes it (the response, then its events); the running one, not told yet, writes on.
      current = undefined;
      await redis.command(["DEL", key]);
      await redis.command(["ZADD", key, "5", frame(5), "6", frame(6)]);
      await redis.command(["PUBLISH", key, "1"]);
      const rest = await new Response(new ReadableStream({ pull: async (c) => { const r = await followed.read(); if (r.done) c.close(); else c.enqueue(r.value); } })).text();
      expect(rest).toStartWith("event: error\n");
      expect(JSON.parse(rest.slice(rest.indexOf("data: ") + 6))).toMatchObject({ type: "error", code: "not_found", sequence_number: 3 });

      const cancelled = `resp_${crypto.randomUUID().replaceAll("-", "")}`;
      await redis.command(["ZADD", `ollaix:responses:events:${cancelled}`, "0", frame(0)]);
      const stored = { ...entry("cancelled"), response: { ...entry("cancelled").response, id: cancelled, error: null } } as StoredResponse;
      const text = await readAll((await reader.follow(cancelled, 0, async () => stored))!);
      expect(text).toStartWith("event: response.failed\n");
      expect(JSON.parse(text.slice(text.indexOf("data: ") + 6))).toMatchObject({ type: "response.failed", sequence_number: 1, response: { id: cancelled, status: "cancelled" } });
    } finally {
      await reader.close();
    }
  });

  test("a discard ends the followers at once, and a follower of a running run that has no events yet waits for its first ones", async () => {
    const writer = new RedisRunChannel(redis.url);
    const reader = new RedisRunChannel(redis.url); // store checks 20 s apart: the follower ends on finding the events gone
    try {
      const id = `resp_${crypto.randomUUID().replaceAll("-", "")}`;
      writer.append(id, 0, [frame(0)]);
      await Bun.sleep(20);
      let current: StoredResponse | undefined = entry("in_progress");
      const followed = (await reader.follow(id, -1, async () => current))!;
      const text = readAll(followed);
      await Bun.sleep(50);
      current = undefined; // a delete: the response goes, then its events
      writer.discard(id);
      const ended = await text;
      expect(ended).toStartWith(frame(0) + "event: error\n");
      expect(JSON.parse(ended.slice(ended.indexOf("data: ", frame(0).length) + 6))).toMatchObject({ type: "error", code: "not_found", sequence_number: 1 });

      const late = `resp_${crypto.randomUUID().replaceAll("-", "")}`;
      const following = reader.follow(late, -1, async () => entry("in_progress"));
      await Bun.sleep(200);
      writer.append(late, 0, [frame(0), frame(1)]);
      writer.end(late, 2);
      expect(await readAll((await following)!)).toBe(frame(0) + frame(1));
      // Not running and no events: nothing to follow, at once.
      expect(await reader.follow(`resp_${crypto.randomUUID().replaceAll("-", "")}`, -1, async () => entry("completed"))).toBeUndefined();
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  test("a follower whose notices' connection drops is woken, subscribes again at once and hears notices again; refused connections are tried once a second for all followers", async () => {
    const proxy = await tcpProxy(redis.port, { holdMs: 0, holdOn: () => false });
    const writer = new RedisRunChannel(redis.url);
    const reader = new RedisRunChannel(`redis://${proxy.address}`);
    const ids = Array.from({ length: 5 }, () => `resp_${crypto.randomUUID().replaceAll("-", "")}`);
    const [id] = ids as [string];
    const late = Array.from({ length: 5 }, () => `resp_${crypto.randomUUID().replaceAll("-", "")}`);
    const listeners = async (run: string) => Number(((await redis.command(["PUBSUB", "NUMSUB", `ollaix:responses:events:${run}`])) as [string, number])[1]);
    const until = async (check: () => Promise<boolean>, ms: number) => {
      const started = performance.now();
      while (!(await check()) && performance.now() - started < ms) await Bun.sleep(10);
      return performance.now() - started;
    };
    const decoder = new TextDecoder();
    try {
      for (const run of ids) writer.append(run, 0, [frame(0)]);
      const streams = await Promise.all(ids.map(async (run) => (await reader.follow(run, -1, async () => entry("in_progress")))!));
      const first = streams[0]!.getReader();
      const next = async () => decoder.decode((await first.read()).value);
      // The other four read on their own: a stream not read waits for nothing, and subscribes to nothing again.
      const others = streams.slice(1).map((stream) => readAll(stream));
      expect(await next()).toBe(frame(0));
      expect(await until(async () => (await Promise.all(ids.map(listeners))).every((n) => n === 1), 2000)).toBeLessThan(2000);
      // Two rounds, the better counted: a machine busy with other work may delay one frame of a round.
      const fastest = async (round: () => Promise<number[]>) => {
        const slowest = Math.max(...(await round()));
        return slowest < 50 ? slowest : Math.max(...(await round()));
      };
      // A notice brings each frame within milliseconds; reading every 100 ms would, 5 times in a row, seldom do.
      let sequence = 1;
      const latencies = async () => {
        const found: number[] = [];
        for (let i = 0; i < 5; i++, sequence++) {
          await Bun.sleep(250);
          const sent = performance.now();
          writer.append(id, sequence, [frame(sequence)]);
          expect(await next()).toBe(frame(sequence));
          found.push(performance.now() - sent);
        }
        return found;
      };
      expect(await fastest(latencies)).toBeLessThan(50);

      // Dropped while the follower waits for the next frame (a second, with notices): woken, it subscribes again at once.
      await Bun.sleep(1100);
      writer.append(id, sequence, [frame(sequence)]);
      expect(await next()).toBe(frame(sequence++));
      const reading = next(); // the follower waits (for up to a second) for what comes next
      await Bun.sleep(200);
      const pubsubClients = async () => [...String(await redis.command(["CLIENT", "LIST", "TYPE", "pubsub"])).matchAll(/\bid=(\d+)/g)].map((m) => m[1]);
      const before = new Set(await pubsubClients());
      proxy.drop((sent) => /SUBSCRIBE/i.test(sent));
      const dropped = performance.now();
      await until(async () => (await pubsubClients()).some((client) => !before.has(client)) && (await listeners(id)) === 1, 2000);
      expect(performance.now() - dropped).toBeLessThan(400);
      writer.append(id, sequence, [frame(sequence)]);
      expect(await reading).toBe(frame(sequence++));
      expect(await fastest(latencies)).toBeLessThan(50);

      // Connections refused (a Redis at maxclients): followers that begin meanwhile, each at its own
      // moment, try with the others once a second, not each once a second.
      proxy.refusing = true;
      const opened = proxy.opened;
      proxy.drop((sent) => /SUBSCRIBE/i.test(sent));
      for (const run of late) {
        writer.append(run, 0, [frame(0)]);
        others.push(readAll((await reader.follow(run, -1, async () => entry("in_progress")))!));
        await Bun.sleep(200);
      }
      await Bun.sleep(2000);
      expect(proxy.opened - opened).toBeGreaterThanOrEqual(2);
      expect(proxy.opened - opened).toBeLessThanOrEqual(6);
      // Meanwhile the followers read on their own, every 100 ms.
      writer.append(id, sequence, [frame(sequence)]);
      const sent = performance.now();
      expect(await next()).toBe(frame(sequence++));
      expect(performance.now() - sent).toBeLessThan(300);
      proxy.refusing = false;
      expect(await until(async () => (await Promise.all([...ids, ...late].map(listeners))).every((n) => n === 1), 3000)).toBeLessThan(3000);

      // Ended, the followers leave their subscriptions with them.
      for (const run of [...ids, ...late]) writer.end(run, run === id ? sequence : 1);
      expect((await first.read()).done).toBe(true);
      expect(await Promise.all(others)).toEqual(Array(9).fill(frame(0)));
      expect(await until(async () => (await Promise.all([...ids, ...late].map(listeners))).every((n) => n === 0), 2000)).toBeLessThan(2000);
    } finally {
      await reader.close();
      await writer.close();
      proxy.stop();
    }
  }, 20_000);

  test("subscriber connections that end as soon as they subscribe are opened once a second for all followers, who read on their own meanwhile", async () => {
    const proxy = await tcpProxy(redis.port, { holdMs: 0, holdOn: () => false });
    const writer = new RedisRunChannel(redis.url);
    const reader = new RedisRunChannel(`redis://${proxy.address}`);
    const ids = Array.from({ length: 9 }, () => `resp_${crypto.randomUUID().replaceAll("-", "")}`);
    const listeners = async () => Promise.all(ids.map(async (id) => Number(((await redis.command(["PUBSUB", "NUMSUB", `ollaix:responses:events:${id}`])) as [string, number])[1])));
    try {
      proxy.ending = (text) => /\nSUBSCRIBE\r/i.test(text);
      const opened = proxy.opened;
      const reads: Promise<string>[] = [];
      for (const id of ids) {
        writer.append(id, 0, [frame(0)]);
        reads.push(readAll((await reader.follow(id, -1, async () => entry("in_progress")))!));
        await Bun.sleep(100); // each at its own moment
      }
      await Bun.sleep(3000);
      // ~4 s: about one opening a second (each follower alone, at its own second, would be ~35).
      expect(proxy.opened - opened).toBeGreaterThanOrEqual(2);
      expect(proxy.opened - opened).toBeLessThanOrEqual(7);
      // Meanwhile every follower reads on its own.
      for (const id of ids) writer.append(id, 1, [frame(1)]);
      await Bun.sleep(400);
      proxy.ending = undefined;
      for (let i = 0; i < 300 && (await listeners()).some((n) => n !== 1); i++) await Bun.sleep(10);
      expect(await listeners()).toEqual(ids.map(() => 1));
      for (const id of ids) writer.end(id, 2);
      expect(await Promise.all(reads)).toEqual(ids.map(() => frame(0) + frame(1)));
    } finally {
      proxy.ending = undefined;
      await reader.close();
      await writer.close();
      proxy.stop();
    }
  }, 15_000);

  test("a follower that leaves while subscribing again leaves no subscription behind once the SUBSCRIBE is answered", async () => {
    let isHolding = false;
    let held = 0;
    const proxy = await tcpProxy(redis.port, {
      holdMs: 1000,
      holdOn: (text) => {
        const isHeld = isHolding && /\nSUBSCRIBE\r/i.test(text) && text.includes("ollaix:responses:events:");
        if (isHeld) held++;
        return isHeld;
      },
    });
    const writer = new RedisRunChannel(redis.url);
    const reader = new RedisRunChannel(`redis://${proxy.address}`);
    const id = `resp_${crypto.randomUUID().replaceAll("-", "")}`;
    const listeners = async () => Number(((await redis.command(["PUBSUB", "NUMSUB", `ollaix:responses:events:${id}`])) as [string, number])[1]);
    try {
      writer.append(id, 0, [frame(0)]);
      const stream = (await reader.follow(id, -1, async () => entry("in_progress")))!.getReader();
      expect(new TextDecoder().decode((await stream.read()).value)).toBe(frame(0));
      expect(await listeners()).toBe(1);
      const reading = stream.read(); // the follower waits for its next frame
      await Bun.sleep(1100); // a second after its subscription: a drop renews at once
      isHolding = true;
      proxy.drop((sent) => /SUBSCRIBE/i.test(sent));
      await Bun.sleep(300); // the new SUBSCRIBE is held
      expect(held).toBe(1);
      expect(await listeners()).toBe(0);
      await stream.cancel();
      await reading;
      await Bun.sleep(1200); // answered by now
      expect(await listeners()).toBe(0);
    } finally {
      await reader.close();
      await writer.close();
      proxy.stop();
    }
  });

  test("a subscriber connection the network left half-open is found out (its PING unanswered within REDIS_TIMEOUT_MS) and replaced: a stop from another replica is heard again, not only at the lease renewal", async () => {
    const proxy = await tcpProxy(redis.port);
    const sender = new RedisRunChannel(redis.url);
    const runner = new RedisRunChannel(`redis://${proxy.address}`, () => {}, { timeoutMs: 200, subscriberCheckMs: 200 });
    const heard: string[] = [];
    try {
      await runner.onStop((id, kind) => heard.push(`${kind}:${id}`));
      await sender.stop("resp_before", "cancel");
      for (let i = 0; i < 100 && heard.length === 0; i++) await Bun.sleep(10);
      expect(heard).toEqual(["cancel:resp_before"]);
      proxy.freeze(); // the subscriber connection stays open and hears nothing more; new connections work
      // A stop published while nobody hears it is lost (the lease renewal finds it): sent again until heard.
      for (let i = 0; i < 100 && heard.length === 1; i++) {
        await sender.stop("resp_after", "cancel");
        await Bun.sleep(50);
      }
      expect(heard).toContain("cancel:resp_after");
    } finally {
      await runner.close();
      await sender.close();
      proxy.stop();
    }
  }, 15_000);

  test("a run's events outlive the longest silence a stream may have (STREAM_IDLE_TIMEOUT_MS)", async () => {
    for (const [idleMs, floor] of [[120_000, 300], [900_000, 960]] as const) {
      const writer = new RedisRunChannel(redis.url, () => {}, { streamIdleTimeoutMs: idleMs });
      const id = `resp_${crypto.randomUUID().replaceAll("-", "")}`;
      writer.append(id, 0, [frame(0)]);
      await writer.close();
      const ttl = Number(await redis.command(["TTL", `ollaix:responses:events:${id}`]));
      expect(ttl).toBeGreaterThan(floor - 5);
      expect(ttl).toBeLessThanOrEqual(floor);
    }
  });

  test("Redis going away under a follower ends its stream with OpenAI's `error` event, not a hang", async () => {
    const own = await startRedis();
    const writer = new RedisRunChannel(own.url);
    const id = `resp_${crypto.randomUUID().replaceAll("-", "")}`;
    writer.append(id, 0, [frame(0)]);
    await writer.close();
    const errors: string[] = [];
    const reader = new RedisRunChannel(own.url, (message) => errors.push(message));
    try {
      const followed = (await reader.follow(id, -1, async () => entry("in_progress")))!;
      const stream = followed.getReader();
      expect(new TextDecoder().decode((await stream.read()).value)).toBe(frame(0));
      await own.stop();
      const rest = await new Response(new ReadableStream({ pull: async (c) => { const r = await stream.read(); if (r.done) c.close(); else c.enqueue(r.value); } })).text();
      const event = JSON.parse(rest.slice(rest.indexOf("data: ") + 6));
      expect(rest).toStartWith("event: error\n");
      expectOpenAI("ResponseStreamEvent", event);
      expect(event).toMatchObject({ type: "error", code: "state_unavailable", sequence_number: 1 });
      expect(rest).not.toContain(own.url);
      expect(errors.join("\n")).toContain("could not follow");
      expect(errors.join("\n")).not.toContain(own.url);
    } finally {
      await reader.close();
      await own.stop();
    }
  });
});

test("a Redis that hangs for a moment as the model answers: the end is written again once it is back, within the lease (read `completed`, not lost)", async () => {
  await withCutOffRunner({ leaseMs: 4000, renewMs: 200 }, async ({ created, call, onReader, cut, dropHeld }) => {
    cut(true); // the end's write hangs, and times out
    call.answer("kept");
    await Bun.sleep(500);
    expect((await onReader.responses.retrieve(created.id)).status).toBe("in_progress");
    cut(false);
    dropHeld();
    let read = await onReader.responses.retrieve(created.id);
    for (let i = 0; i < 200 && read.status === "in_progress"; i++, await Bun.sleep(10)) read = await onReader.responses.retrieve(created.id);
    expectOpenAI("Response", read);
    expect(read).toMatchObject({ status: "completed", output_text: "kept" });
    expect(call.signal.aborted).toBe(false);
  });
}, 20_000);

test("a streamed background create whose client leaves before the first chunk (before any id was given) stops its call, as a foreground one does", async () => {
  const seen = streamSignals.length;
  const leaving = new AbortController();
  const create = fetch(`${gw.url}/v1/responses`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-request-id": "bg-left-early" },
    body: JSON.stringify({ model: "late-words", input: "Hello", background: true, stream: true }),
    signal: leaving.signal,
  }).catch((error: unknown) => error);
  for (let i = 0; i < 100 && streamSignals.length === seen; i++) await Bun.sleep(10);
  const signal = streamSignals[seen]!;
  leaving.abort();
  expect(await create).toBeInstanceOf(Error);
  for (let i = 0; i < 100 && !signal.aborted; i++) await Bun.sleep(10);
  expect(signal.aborted).toBe(true); // within a second, not after the model's 10 s or UPSTREAM_TIMEOUT_MS
  let line: { status?: number; error?: string } | undefined;
  for (let i = 0; i < 100 && !line; i++, await Bun.sleep(10)) line = gw.logs.map((l) => JSON.parse(l)).find((l) => l.msg === "request" && l.request_id === "bg-left-early");
  expect(line).toMatchObject({ status: 499, error: "client_gone" });
});

describe("a stream's last event waits for its end to be stored (the runner's Redis slow to take it)", () => {
  let redis: TestRedis;
  let proxy: TcpProxy;
  let runner: TestGateway;
  let other: TestGateway;
  let onRunner: OpenAI;
  let onOther: OpenAI;
  beforeAll(async () => {
    redis = await startRedis();
    // The runner's writes of a finished response lag 400 ms, as over a slow link.
    proxy = await tcpProxy(redis.port, { holdMs: 400, holdOn: (text) => text.includes('"status":"completed"') });
    runner = await startTestGateway({ REDIS_URL: `redis://${proxy.address}` }, [dummy, gated]);
    other = await startTestGateway({ REDIS_URL: redis.url }, [dummy, gated]);
    onRunner = new OpenAI({ baseURL: `${runner.url}/v1`, apiKey: "unused", maxRetries: 0 });
    onOther = new OpenAI({ baseURL: `${other.url}/v1`, apiKey: "unused", maxRetries: 0 });
  });
  afterAll(async () => {
    await runner?.close();
    await other?.close();
    proxy?.stop();
    await redis?.stop();
  });

  test("a stored stream: the moment it ends, another replica reads it and continues from it", async () => {
    const stream = await onRunner.responses.create({ model: "dummy-model:1.0", input: "Hello", stream: true });
    let id = "";
    for await (const event of stream) if (event.type === "response.completed") id = event.response.id;
    expect((await onOther.responses.retrieve(id)).status).toBe("completed");
    const next = await onOther.responses.create({ model: "dummy-model:1.0", input: "And then?", previous_response_id: id });
    expect(next.status).toBe("completed");
  });

  test("a streamed background response: a cancel sent elsewhere the moment it completed finds it completed, as its followers were told", async () => {
    const stream = await onRunner.responses.create({ model: "words-model", input: "Hello", background: true, stream: true });
    let id = "";
    let cancelled: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      if (event.type === "response.created") id = event.response.id;
      if (event.type === "response.completed") cancelled = await onOther.responses.cancel(id);
    }
    expect(cancelled?.status).toBe("completed");
    for (const client of [onRunner, onOther]) expect((await client.responses.retrieve(id)).status).toBe("completed");
  });
});
