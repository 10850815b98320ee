import { InvalidRequestError } from "../../errors.ts";

interface BackgroundFields {
  background?: boolean | null;
  store?: boolean | null;
  stream?: boolean | null;
  background_options?: { completion_window?: "soonest" | "2h" | "8h" | null } | null;
}

/**
 * What OpenAI requires of a background request. A background response is one to read later, so it
 * must be stored. `background_options.completion_window` `2h` and `8h` (OpenAI's discounted
 * windows) "require `background: true` … and `stream: false` or omitted"; here any window runs as
 * `soonest` does, at once, which finishes within every window.
 */
export function assertBackgroundRules(request: BackgroundFields): void {
  const window = request.background_options?.completion_window;
  const isWindowed = window === "2h" || window === "8h";
  if (request.background !== true) {
    if (isWindowed) {
      throw new InvalidRequestError(`The '${window}' completion window requires 'background' to be true.`, {
        param: "background_options.completion_window",
      });
    }
    return;
  }
  if (request.store === false) throw new InvalidRequestError("Background mode requires 'store' to be true.", { param: "background" });
  if (isWindowed && request.stream === true) {
    throw new InvalidRequestError(`The '${window}' completion window cannot be streamed: send 'stream' false or leave it out.`, {
      param: "background_options.completion_window",
    });
  }
}
