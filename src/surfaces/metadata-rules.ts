import { InvalidRequestError } from "../errors.ts";

/** OpenAI's document: "Keys are strings with a maximum length of 64 characters." */
export const METADATA_KEY_MAX = 64;

/**
 * The rule of `metadata` its schema cannot say (a TypeBox record does not check its keys' length):
 * a longer key is a 400 naming `metadata`, as the 16-key and 512-character value limits are.
 */
export function assertMetadataKeys(metadata: Readonly<Record<string, string>> | null | undefined): void {
  if (!metadata) return;
  for (const key in metadata) {
    if (key.length > METADATA_KEY_MAX) {
      throw new InvalidRequestError(
        `Invalid 'metadata': keys are at most ${METADATA_KEY_MAX} characters long, got a key of ${key.length}.`,
        { param: "metadata" },
      );
    }
  }
}
