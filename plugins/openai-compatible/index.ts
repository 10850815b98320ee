import { definePlugin } from "../../src/kit.ts";
import { createProvider } from "./provider.ts";
import { OpenAIEnv, readUpstreams } from "./settings.ts";

/**
 * Any OpenAI-compatible server (OpenAI, vLLM, llama.cpp, LM Studio, Groq, OpenRouter, another
 * Ollaix): one instance per upstream of `plugins.openai-compatible.upstreams` in OLLAIX_CONFIG,
 * plus `openai` from OPENAI_BASE_URL/OPENAI_API_KEY.
 */
export default definePlugin({
  name: "openai-compatible",
  env: OpenAIEnv,
  secretEnv: ["OPENAI_API_KEY"],
  create(host) {
    // Key variables are named in the settings file: read them through the host, which registers
    // each value as a secret (never logged, never echoed).
    const upstreams = readUpstreams(host.settings, host.env, (name) => host.readSecretEnv(name));
    for (const upstream of upstreams) {
      host.logger.info("upstream configured", {
        instance: upstream.name,
        base_url: upstream.baseUrl,
        key_from: upstream.keySource ?? null,
        models: upstream.models ? upstream.models.length : "discovered",
      });
    }
    return upstreams.map((upstream) => createProvider(upstream, host.fetch));
  },
});

