import { pendingResponse, type ResponseFrame } from "./response-frame.ts";
import type { ResponseObject } from "./response-schema.ts";

/**
 * The framing every Responses stream shares: `event: <type>` + `data: <json>` with the next
 * `sequence_number` (from 0, in steps of 1), events carrying the whole response, and the opening
 * pair (`response.created`, `response.in_progress`).
 */
export function responsesEvents(frame: ResponseFrame) {
  let seq = 0;
  const event = (type: string, body: string): string => `event: ${type}\ndata: {"type":"${type}",${body},"sequence_number":${seq++}}\n\n`;
  const responseEvent = (type: string, response: ResponseObject): string => event(type, `"response":${JSON.stringify(response)}`);
  const opening = (): string => {
    const pending = pendingResponse(frame, "in_progress");
    return responseEvent("response.created", pending) + responseEvent("response.in_progress", pending);
  };
  return { event, responseEvent, opening };
}
