import { describe, expect, test } from "bun:test";
import { InvalidRequestError } from "../errors.ts";
import { renameByRules, withRenamedParam } from "./rename-param.ts";

describe("withRenamedParam", () => {
  test("renames the param and every spelling of the path in the message", () => {
    const error = withRenamedParam(new InvalidRequestError("Invalid 'messages[2].content': empty (messages[2].content).", { param: "messages[2].content" }), () => "input[1].content");
    expect(error).toMatchObject({ param: "input[1].content", message: "Invalid 'input[1].content': empty (input[1].content)." });
  });

  test("a bare word is replaced only where quoted", () => {
    const error = withRenamedParam(new InvalidRequestError("Invalid 'stop': stop words are too many.", { param: "stop" }), () => "stop_sequences");
    expect(error).toMatchObject({ param: "stop_sequences", message: "Invalid 'stop_sequences': stop words are too many." });
  });

  test("leaves alone what has no param, what rename keeps, and what is no gateway error; never throws", () => {
    const plain = new Error("boom");
    expect(withRenamedParam(plain, () => "x")).toBe(plain);
    const kept = new InvalidRequestError("Invalid 'model'.", { param: "model" });
    expect(withRenamedParam(kept, (p) => p)).toMatchObject({ param: "model", message: "Invalid 'model'." });
    const odd = { status: 400, type: "invalid_request_error", param: "messages[0]" };
    expect(() => withRenamedParam(odd, () => "input")).not.toThrow();
    expect(odd.param).toBe("input");
  });
});

test("renameByRules: the first matching rule, with its groups; otherwise the field as it is", () => {
  const rules = [
    [/^tools\[(\d+)\]\.function(?=\.|$)/, "tools[$1]"],
    [/^tools/, "never"],
  ] as const;
  expect(renameByRules("tools[3].function.name", rules)).toBe("tools[3].name");
  expect(renameByRules("temperature", rules)).toBe("temperature");
});
