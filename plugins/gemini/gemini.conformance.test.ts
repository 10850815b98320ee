import { afterAll } from "bun:test";
import { runPluginConformance } from "ollaix/plugin/testing";
import { startFakeGemini, UNKNOWN_MODEL } from "./__fixtures__/fake-gemini.ts";
import gemini from "./index.ts";

const KEY = "gemini-conformance-key-0001";
const fake = startFakeGemini(KEY);
afterAll(() => fake.close());

runPluginConformance(() => ({
  plugin: gemini,
  model: "gemini-2.5-flash",
  embeddingModel: "gemini-embedding-001",
  missingModel: `gemini/${UNKNOWN_MODEL}`,
  env: { GEMINI_API_KEY: KEY, GEMINI_BASE_URL: fake.url },
}));
