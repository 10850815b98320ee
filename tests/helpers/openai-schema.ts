// The validator lives with the plugin conformance kit (src/testing/); tests import it from here.
export { expectOpenAI, validateOpenAI, toJsonSchema } from "../../src/testing/openai-schema.ts";
export type { OpenAISchemaName } from "../../src/testing/openai-schema.ts";
