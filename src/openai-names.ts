import { InvalidRequestError } from "./errors.ts";

/**
 * OpenAI's rule for the names a model sees (a function tool's, a JSON schema format's): letters,
 * digits, `_` and `-`, at most 64. OpenAI refuses any other name with these words and codes (its
 * API answers `invalid_value` / `string_above_max_length`; its document says the rule in prose), so
 * a client that works through Ollaix works against OpenAI, and no provider gets a name it refuses
 * later with a vaguer error.
 */
const NAME = /^[a-zA-Z0-9_-]+$/;
const MAX = 64;

export function assertOpenAIName(name: string, param: string): void {
  if (name.length > MAX) {
    throw new InvalidRequestError(`Invalid '${param}': string too long. Expected a string with maximum length ${MAX}, but got a string with length ${name.length} instead.`, {
      param,
      code: "string_above_max_length",
    });
  }
  if (!NAME.test(name)) {
    throw new InvalidRequestError(`Invalid '${param}': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`, {
      param,
      code: "invalid_value",
    });
  }
}
