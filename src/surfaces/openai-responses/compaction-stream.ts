import type { MappedError } from "../../error-response.ts";
import { UpstreamError } from "../../errors.ts";
import { nowSeconds } from "../../ids.ts";
import type { StreamEncoder } from "../../pipeline/encoder.ts";
import type { TokenUsage } from "../../pipeline/outcome.ts";
import type { ChunkResult } from "../../plugin.ts";
import type { Usage } from "../../schemas/common.ts";
import { SSE_HEADERS } from "../../sse.ts";
import { compactionItem, NO_SUMMARY } from "./compact.ts";
import { failedResponse, finishedResponse, responseUsage, statusOf } from "./response-frame.ts";
import { responsesEvents } from "./stream-events.ts";
import type { InputItemResource, OutputItem } from "./response-schema.ts";
import type { ResponsesStreamSettings } from "./stream-encoder.ts";

/** How often a compaction's stream sends a comment while the model writes the summary. */
const KEEP_ALIVE_MS = 5_000;

/**
 * The stream of a response whose input ends with `compaction_trigger` (what Codex's remote
 * compaction streams): `response.created` and `response.in_progress`, nothing while the model writes
 * (its summary is the compaction item's content, not text to show), then the one `compaction` item
 * added and done, and `response.completed` with the usage. A failure, or an answer with no text, is
 * `response.failed`.
 */
export function compactionStreamEncoder(s: ResponsesStreamSettings & { kept?: readonly InputItemResource[] }): StreamEncoder {
  const { frame } = s;
  let summary = "";
  let finishReason: string | null | undefined;
  let reported: Usage | undefined;
  let lastWrite = Date.now();

  const { event, responseEvent, opening } = responsesEvents(frame);
  const failed = (mapped: MappedError): string => {
    const response = failedResponse(frame, mapped, [], nowSeconds());
    s.onFinish?.(response);
    return responseEvent("response.failed", response);
  };

  return {
    headers: SSE_HEADERS,
    start: opening,
    chunk(chunk: ChunkResult): string {
      if (chunk.usage) reported = chunk.usage;
      for (const choice of chunk.choices) {
        if (choice.index !== 0) continue;
        if (typeof choice.delta.content === "string") summary += choice.delta.content;
        if (choice.finish_reason) finishReason = choice.finish_reason;
      }
      // Nothing is shown while the model writes: an SSE comment now and then (which clients skip)
      // keeps proxies from taking a long summary for a dead stream.
      const now = Date.now();
      if (now - lastWrite < KEEP_ALIVE_MS) return "";
      lastWrite = now;
      return ": keep-alive\n\n";
    },
    end(tokens?: TokenUsage): string | Promise<string> {
      // The upstream's failure: the writer fails the stream with it (`error` below), and counts it so.
      if (summary.trim() === "") throw new UpstreamError(NO_SUMMARY);
      const item: OutputItem = compactionItem(summary, frame.id, 0, s.kept ?? []);
      const ended = statusOf(finishReason);
      const response = finishedResponse(frame, ended, [item], tokens ? responseUsage(tokens, reported) : undefined, nowSeconds());
      const last = () => {
        s.onFinish?.(response);
        const at = `"output_index":0,"item":${JSON.stringify(item)}`;
        return (
          event("response.output_item.added", at) +
          event("response.output_item.done", at) +
          responseEvent(ended.status === "completed" ? "response.completed" : "response.incomplete", response)
        );
      };
      // Added to its conversation first (`settle`): if that fails, the writer fails the compaction with it (`error`).
      return s.settle === undefined ? last() : s.settle(response).then(last);
    },
    error: failed,
  };
}
