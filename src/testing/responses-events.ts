import { expect } from "bun:test";
import { expectOpenAI } from "./openai-schema.ts";

/** A Responses stream's text as its events, its framing, order and every event's schema checked (OpenAI's `ResponseStreamEvent`). */
// biome-ignore lint: events of every type are read by their fields
export function checkedEvents(text: string): any[] {
  expect(text.endsWith("\n\n")).toBe(true);
  return text
    .slice(0, -2)
    .split("\n\n")
    .map((block, i) => {
      const [eventLine, dataLine, ...rest] = block.split("\n");
      expect(rest).toEqual([]);
      const data = JSON.parse(dataLine!.slice("data: ".length));
      expect(eventLine).toBe(`event: ${data.type}`);
      expect(data.sequence_number).toBe(i);
      expectOpenAI("ResponseStreamEvent", data);
      return data;
    });
}
