import { hasErrorFields } from "../errors.ts";

/** Identifier-like paths (`max_completion_tokens`, `messages[3].content`) are replaced in a message's text too. */
const SPELLED = /[._[]/;

/**
 * An error from the pipeline or a plugin, which names fields of the chat request, renamed for the
 * surface the client spoke: its `param` becomes `rename(param)`, and the same path is replaced in
 * its message (a bare word only where quoted). Errors with no `param`, or one `rename` leaves as it
 * is, are returned untouched. Returns the same error.
 */
export function withRenamedParam<E>(error: E, rename: (param: string) => string): E {
  if (!hasErrorFields(error) || typeof error.param !== "string") return error;
  const original = error.param;
  const renamed = rename(original);
  if (renamed === original) return error;
  error.param = renamed;
  if (typeof error.message !== "string") return error;
  error.message = SPELLED.test(original) ? error.message.split(original).join(renamed) : error.message.split(`'${original}'`).join(`'${renamed}'`);
  return error;
}

/** A surface's renames of chat-request fields: a pattern and its replacement (`$1`… from the pattern). */
export type RenameRules = readonly (readonly [RegExp, string])[];

/** A field renamed by the first rule whose pattern matches it, or as it is. */
export function renameByRules(param: string, rules: RenameRules): string {
  for (const [pattern, replacement] of rules) if (pattern.test(param)) return param.replace(pattern, replacement);
  return param;
}
