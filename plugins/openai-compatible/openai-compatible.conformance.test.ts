import { afterAll } from "bun:test";
import { runPluginConformance } from "ollaix/plugin/testing";
import { startFakeServer } from "../../tests/helpers/fake-server.ts";
import { jsonResponse, openAIHandler } from "./__fixtures__/fake-openai.ts";
import { MODEL_LIST } from "./__fixtures__/openai-wire.ts";
import openaiCompatible from "./index.ts";

// The fixture OpenAI server, plus OpenAI's 404 for a model it does not serve.
const served = new Set<string>(MODEL_LIST.data.map((m) => m.id));
const fake = startFakeServer((request) => {
  const model = (request.body as { model?: string } | undefined)?.model;
  if (request.method === "POST" && model !== undefined && !served.has(model)) {
    return jsonResponse(
      { error: { message: `The model \`${model}\` does not exist or you do not have access to it.`, type: "invalid_request_error", param: null, code: "model_not_found" } },
      404,
    );
  }
  return openAIHandler(request);
});
afterAll(() => fake.close());

const model = [...served][0]!;
runPluginConformance(() => ({
  plugin: openaiCompatible,
  model,
  embeddingModel: model,
  env: { OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: "sk-conformance-0000" },
}));
