import { describe, expect, test } from "bun:test";
import { outputItemId } from "./item-ids.ts";
import { ResentItems } from "./resent-items.ts";

type Item = { type?: string; id?: string; call_id?: string; name?: string; arguments?: string; output?: unknown };

/** Which items of a walk are kept (not sent again), by their label. */
function kept(items: (Item & { label: string })[]): string[] {
  const resent = new ResentItems();
  return items.filter((item) => !resent.isSentAgain(item)).map((item) => item.label);
}

const r1 = "resp_0123456789abcdef01234567";
const r2 = "resp_76543210fedcba9876543210";

describe("ResentItems", () => {
  test("the AI SDK after previous_response_id: its text (by id) and its call (still waiting) again, then the output", () => {
    const text = outputItemId("msg_", r1, 0);
    const call = outputItemId("fc_", r1, 1);
    expect(
      kept([
        { label: "user" },
        { label: "text", id: text },
        { label: "call", type: "function_call", id: call, call_id: "call_a" },
        { label: "text again", id: text },
        { label: "call again", type: "function_call", call_id: "call_a" },
        { label: "output", type: "function_call_output", call_id: "call_a" },
      ]),
    ).toEqual(["user", "text", "call", "output"]);
  });

  /** Stored: a provider naming every call call_0 — a first step (answered) and a second one, waiting. */
  const paris = outputItemId("fc_", r1, 0);
  const rome = outputItemId("fc_", r2, 0);
  const storedLoop = [
    { label: "paris", type: "function_call", id: paris, call_id: "call_0" },
    { label: "rain in Paris", type: "function_call_output", call_id: "call_0", output: "rain in Paris" },
    { label: "rome", type: "function_call", id: rome, call_id: "call_0" },
  ];
  const parisAgain = { label: "paris again", type: "function_call", id: paris, call_id: "call_0" };
  const output = (label: string, text: string) => ({ label, type: "function_call_output", call_id: "call_0", output: text });

  test("a loop that sends [...output, outputs] each step: the first step's call and output again, then the waiting call's output", () => {
    expect(kept([...storedLoop, parisAgain, output("rain in Paris again", "rain in Paris"), output("rain in Rome", "rain in Rome")])).toEqual([
      "paris",
      "rain in Paris",
      "rome",
      "rain in Rome",
    ]);
  });

  test("image outputs: the first step's output sent again as the client sent it matches its stored form (detail filled in)", () => {
    const image = (url: string, detail?: string) => [{ type: "input_image", image_url: url, ...(detail ? { detail } : {}) }];
    const stored = [storedLoop[0]!, { ...storedLoop[1]!, label: "paris shot", output: image("https://x.example/paris.png", "auto") }, storedLoop[2]!];
    expect(
      kept([
        ...stored,
        parisAgain,
        { label: "paris shot again", type: "function_call_output", call_id: "call_0", output: image("https://x.example/paris.png") },
        { label: "rome shot", type: "function_call_output", call_id: "call_0", output: image("https://x.example/rome.png") },
      ]),
    ).toEqual(["paris", "paris shot", "rome", "rome shot"]);
  });

  test("an answered call sent again without its output: the next output, another text, answers the waiting call", () => {
    expect(kept([...storedLoop, parisAgain, output("sun in Rome", "sun in Rome")])).toEqual(["paris", "rain in Paris", "rome", "sun in Rome"]);
  });

  test("the AI SDK sending a call_0 loop's steps again without ids: an earlier answered call (same name, arguments re-serialised) and its output", () => {
    const call = (label: string, city: string, spaced = false) => ({ label, type: "function_call", call_id: "call_0", name: "w", arguments: spaced ? `{"c": "${city}"}` : `{"c":"${city}"}` });
    const output = (label: string, text: string) => ({ label, type: "function_call_output", call_id: "call_0", output: text });
    expect(
      kept([
        // stored: the first step, its output, the second step (waiting)
        call("paris", "Paris", true),
        output("rain in Paris", "rain in Paris"),
        call("rome", "Rome", true),
        // sent again in full, arguments re-serialised, then the new output
        call("paris again", "Paris"),
        output("rain in Paris again", "rain in Paris"),
        call("rome again", "Rome"),
        output("rain in Rome", "rain in Rome"),
      ]),
    ).toEqual(["paris", "rain in Paris", "rome", "rain in Rome"]);
  });

  test("an answered call sent again alone does not swallow the output of a new call with its id", () => {
    const paris = outputItemId("fc_", r1, 0);
    expect(
      kept([
        { label: "paris", type: "function_call", id: paris, call_id: "call_0" },
        { label: "rain", type: "function_call_output", call_id: "call_0", output: "rain" },
        { label: "paris again", type: "function_call", id: paris, call_id: "call_0" },
        { label: "rome", type: "function_call", call_id: "call_0" },
        // The same text as Paris's output: still Rome's, since a new call took the id.
        { label: "rain in Rome", type: "function_call_output", call_id: "call_0", output: "rain" },
      ]),
    ).toEqual(["paris", "rain", "rome", "rain in Rome"]);
  });

  test("ids clients make tell nothing; an output for an answered call is sent again; an id used after its answer is a new call", () => {
    expect(
      kept([
        { label: "ok", id: "__fake_id__" },
        { label: "ok too", id: "__fake_id__" },
        { label: "call", type: "function_call", id: "chatcmpl-7", call_id: "call_0" },
        { label: "output", type: "function_call_output", call_id: "call_0" },
        { label: "output again", type: "function_call_output", call_id: "call_0" },
        { label: "new call", type: "function_call", id: "chatcmpl-7", call_id: "call_0" },
        { label: "its output", type: "function_call_output", call_id: "call_0" },
        { label: "an output with no call", type: "function_call_output", call_id: "call_9" },
      ]),
    ).toEqual(["ok", "ok too", "call", "output", "new call", "its output", "an output with no call"]);
  });
});
