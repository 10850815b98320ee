/**
 * OpenAI's wire format, from the examples of its API reference (the `x-oaiMeta` examples of
 * openai/openai-openapi `openapi.json` at f85dbe223d40e1a31cba812ab2d755c7e98a92a3: "Default",
 * "Streaming", "Functions", "Logprobs"; embeddings and models "Example"), and the error bodies its
 * error-codes guide documents. Trimmed where trimming keeps the meaning (fewer logprobs entries,
 * a short vector); `system_fingerprint` added to the default example as the streaming one has it.
 */

export const COMPLETION = {
  id: "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
  object: "chat.completion",
  created: 1741569952,
  model: "gpt-5.4",
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: "Hello! How can I assist you today?", refusal: null, annotations: [] },
      logprobs: {
        content: [
          { token: "Hello", logprob: -0.31725305, bytes: [72, 101, 108, 108, 111], top_logprobs: [] },
        ],
        refusal: null,
      },
      finish_reason: "stop",
    },
  ],
  usage: {
    prompt_tokens: 19,
    completion_tokens: 10,
    total_tokens: 29,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  },
  service_tier: "default",
  system_fingerprint: "fp_44709d6fcb",
} as const;

export const TOOL_CALL_COMPLETION = {
  id: "chatcmpl-abc123",
  object: "chat.completion",
  created: 1699896916,
  model: "gpt-4o-mini",
  choices: [
    {
      index: 0,
      message: {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "call_abc123",
            type: "function",
            function: { name: "get_current_weather", arguments: '{\n"location": "Boston, MA"\n}' },
          },
        ],
      },
      logprobs: null,
      finish_reason: "tool_calls",
    },
  ],
  usage: {
    prompt_tokens: 82,
    completion_tokens: 17,
    total_tokens: 99,
    completion_tokens_details: { reasoning_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  },
} as const;

const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
  id: "chatcmpl-123",
  object: "chat.completion.chunk",
  created: 1694268190,
  model: "gpt-4o-mini",
  system_fingerprint: "fp_44709d6fcb",
  choices,
  ...extra,
});

/** "Streaming": role first, content deltas, then the finish reason. */
export const TEXT_CHUNKS = [
  chunk([{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }]),
  chunk([{ index: 0, delta: { content: "Hello" }, logprobs: null, finish_reason: null }]),
  chunk([{ index: 0, delta: { content: "!" }, logprobs: null, finish_reason: null }]),
  chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }]),
];

/** With `stream_options.include_usage`: `usage: null` on every chunk, then the usage chunk. */
export const USAGE = { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12, completion_tokens_details: { reasoning_tokens: 0 } };
export const TEXT_CHUNKS_WITH_USAGE = [
  ...TEXT_CHUNKS.map((c) => ({ ...c, usage: null })),
  chunk([], { usage: USAGE }),
];

/** A streamed tool call as the function-calling guide shows it: id and name first, then argument pieces. */
export const TOOL_CALL_CHUNKS = [
  chunk([
    {
      index: 0,
      delta: {
        role: "assistant",
        content: null,
        tool_calls: [{ index: 0, id: "call_DdmO9pD3xa9XTPNJ32zg2hcA", type: "function", function: { name: "get_weather", arguments: "" } }],
      },
      logprobs: null,
      finish_reason: null,
    },
  ]),
  chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"' } }] }, logprobs: null, finish_reason: null }]),
  chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: 'location":"' } }] }, logprobs: null, finish_reason: null }]),
  chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: 'Paris, France"}' } }] }, logprobs: null, finish_reason: null }]),
  chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: "tool_calls" }]),
];

export const MODEL_LIST = {
  object: "list",
  data: [
    { id: "gpt-4o-mini", object: "model", created: 1721172741, owned_by: "system" },
    { id: "text-embedding-3-small", object: "model", created: 1705948997, owned_by: "system" },
  ],
} as const;

export const EMBEDDINGS = {
  object: "list",
  data: [
    { object: "embedding", embedding: [0.0023064255, -0.009327292, -0.0028842222], index: 0 },
    { object: "embedding", embedding: [0.5, 0.25, -0.125], index: 1 },
  ],
  model: "text-embedding-3-small",
  usage: { prompt_tokens: 8, total_tokens: 8 },
} as const;

/** The error-codes guide's bodies; the 401 one quotes the key it was given, as OpenAI does (masked there). */
export const ERRORS = {
  contextLength: {
    error: {
      message:
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. Please reduce the length of the messages.",
      type: "invalid_request_error",
      param: "messages",
      code: "context_length_exceeded",
    },
  },
  invalidKey: (key: string) => ({
    error: {
      message: `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      type: "invalid_request_error",
      param: null,
      code: "invalid_api_key",
    },
  }),
  modelNotFound: {
    error: {
      message: "The model `gpt-5-turbo` does not exist or you do not have access to it.",
      type: "invalid_request_error",
      param: null,
      code: "model_not_found",
    },
  },
  rateLimit: {
    error: {
      message:
        "Rate limit reached for gpt-4o in organization org-123 on tokens per min (TPM): Limit 30000, Used 29000, Requested 2000. Please try again in 2s.",
      type: "tokens",
      param: null,
      code: "rate_limit_exceeded",
    },
  },
  insufficientQuota: {
    error: {
      message: "You exceeded your current quota, please check your plan and billing details.",
      type: "insufficient_quota",
      param: null,
      code: "insufficient_quota",
    },
  },
  server: {
    error: { message: "The server had an error while processing your request. Sorry about that!", type: "server_error", param: null, code: null },
  },
} as const;
