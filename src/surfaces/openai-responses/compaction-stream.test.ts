import { describe, expect, test } from "bun:test";
import { type MappedError, mapError } from "../../error-response.ts";
import { UpstreamError } from "../../errors.ts";
import type { ChunkResult } from "../../plugin.ts";
import { expectOpenAI } from "../../testing/openai-schema.ts";
import { compactionStreamEncoder } from "./compaction-stream.ts";
import { checkedEvents } from "../../testing/responses-events.ts";
import { openSummary } from "./compaction.ts";
import { responseFrame } from "./response-frame.ts";
import { Stream } from "openai/streaming";

const encoderStart = () => compactionStreamEncoder({ frame: responseFrame({ model: "m", input: "x" }, "resp_abc", 1700000000) }).start();
import type { ResponseObject } from "./response-schema.ts";

/** Runs chunks through the encoder; returns the parsed events (framing, order and OpenAI's schema checked) and what onFinish saw. */
function run(chunks: ChunkResult[], opts: { fail?: MappedError } = {}) {
  let finished: ResponseObject | undefined;
  const encoder = compactionStreamEncoder({ frame: responseFrame({ model: "m", input: "x" }, "resp_abc", 1700000000), onFinish: (r) => (finished = r) });
  let text = encoder.start();
  for (const chunk of chunks) expect(encoder.chunk(chunk)).toBe(""); // chunks within 5 s of each other: nothing
  text += opts.fail ? encoder.error(opts.fail) : encoder.end({ input: 40, output: 9, reasoning: 0 });
  const events = checkedEvents(text);
  return { events, types: events.map((e) => e.type as string), finished };
}

const text = (content: string, finish?: "stop" | "length"): ChunkResult => ({ choices: [{ index: 0, delta: { content }, ...(finish ? { finish_reason: finish } : {}) }] });

describe("compactionStreamEncoder", () => {
  test("nothing while the model writes; then the one compaction item added and done, and completed with the usage", () => {
    const { types, events, finished } = run([text("The user "), text("wants X.", "stop"), { choices: [{ index: 1, delta: { content: "other choice" } }] }]);
    expect(types).toEqual(["response.created", "response.in_progress", "response.output_item.added", "response.output_item.done", "response.completed"]);
    expect(events[2].item).toEqual(events[3].item);
    expect(events[2].item.id).toBe("cmp_abc0000");
    expect(openSummary(events[2].item.encrypted_content)).toBe("The user wants X.");
    expect(finished!.output).toEqual([events[2].item]);
    expect(finished!.usage).toMatchObject({ input_tokens: 40, output_tokens: 9 });
  });

  test("a summary cut by the output limit is incomplete, its item kept", () => {
    const { types, finished } = run([text("The user wa", "length")]);
    expect(types.at(-1)).toBe("response.incomplete");
    expect(finished!.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(finished!.output).toHaveLength(1);
  });

  test("no text at all, or a failure midway: response.failed, with nothing in the output", () => {
    // No text: `end` throws the upstream's failure, which the writer hands to `error` (and counts as one).
    const silent = compactionStreamEncoder({ frame: responseFrame({ model: "m", input: "x" }, "resp_abc", 1700000000) });
    silent.start();
    silent.chunk(text("  "));
    silent.chunk(text("", "stop"));
    let thrown: unknown;
    try {
      silent.end({ input: 40, output: 0, reasoning: 0 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UpstreamError);
    const empty = run([text("  "), text("", "stop")], { fail: mapError(thrown, (message) => message) });
    expect(empty.types).toEqual(["response.created", "response.in_progress", "response.failed"]);
    expect(empty.finished!.error).toEqual({ code: "server_error", message: "The model wrote no summary for the compaction: its answer held no text." });
    const failed = run([text("The user")], { fail: { status: 504, body: { error: { message: "Upstream timed out.", type: "api_error", param: null, code: "upstream_timeout" } }, headers: {}, internal: false } });
    expect(failed.types.at(-1)).toBe("response.failed");
    expect(failed.finished!.output).toEqual([]);
  });
});

test("a long summary: an SSE comment (which clients skip) every 5 s while the model writes", async () => {
  let now = 0;
  const realNow = Date.now;
  Date.now = () => now;
  try {
    const encoder = compactionStreamEncoder({ frame: responseFrame({ model: "m", input: "x" }, "resp_abc", 1700000000) });
    encoder.start();
    const written = [3_000, 6_000, 9_000, 12_000].map((t) => {
      now = t;
      return encoder.chunk(text("more "));
    });
    expect(written).toEqual(["", ": keep-alive\n\n", "", ": keep-alive\n\n"]);
    // The openai SDK's own SSE reader skips them.
    const body = encoderStart() + written.join("") + 'event: response.completed\ndata: {"type":"response.completed","sequence_number":2}\n\n';
    const events: string[] = [];
    for await (const event of Stream.fromSSEResponse<{ type: string }>(new Response(body), new AbortController())) events.push(event.type);
    expect(events).toEqual(["response.created", "response.in_progress", "response.completed"]);
  } finally {
    Date.now = realNow;
  }
});
