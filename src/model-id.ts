import { InvalidRequestError } from "./errors.ts";

/**
 * The longest model id taken (route names, `<instance>/<id>` forms and Hugging Face or Bedrock ids
 * are far shorter): a longer one is a 400, not a header of its size (`x-ollaix-target`), log lines
 * three times it, or an error body that echoes it.
 */
export const MAX_MODEL_ID = 512;

export function assertModelIdLength(model: string): void {
  if (model.length > MAX_MODEL_ID) {
    throw new InvalidRequestError(`The model id is ${model.length} characters long; model ids here are at most ${MAX_MODEL_ID}.`, { param: "model" });
  }
}
