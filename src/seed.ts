/**
 * The seed conversation: the three messages the original Litestar API's author used for every
 * endpoint test (`dummy-model:1.0`, streamed and not). The docs page's example, the plugin kit's
 * conformance run, the tests and the benchmark all send it.
 */
export const SEED_MESSAGES = [
  { role: "user", content: "Hello, what's your name?" },
  { role: "assistant", content: "Hello ! I'm an AI assistant. How can I help you today?" },
  { role: "user", content: "Perfect! Can you help me with some Python code?" },
] as const;
