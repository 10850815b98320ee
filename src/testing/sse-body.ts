/**
 * Splits a whole SSE body of `data:` events (Chat Completions' framing) into their payloads,
 * checking the framing byte by byte: every event one `data: ` line, a blank line after each.
 */
export function splitSseData(text: string): string[] {
  if (!text.endsWith("\n\n")) throw new Error(`SSE body does not end with a blank line: ${JSON.stringify(text.slice(-40))}`);
  return text
    .slice(0, -2)
    .split("\n\n")
    .map((event) => {
      if (!event.startsWith("data: ") || event.includes("\n")) throw new Error(`bad SSE event: ${JSON.stringify(event)}`);
      return event.slice(6);
    });
}
