/**
 * `bun bench/plugin-output-cost.ts`: what checking a plugin's output against the contract
 * (src/pipeline/plugin-output.ts) costs, in ns per call, median of several rounds of N calls each:
 * a stream's text chunk and tool-call chunk (`StreamContract.check`, once per chunk), a complete
 * answer (`checkAnswer`, once per request); and the largest embeddings request's vectors
 * (`checkEmbeddings`, 2,048 of 1,536 dimensions), in ms. Prints JSON on stderr.
 */
import type { ChatResult, ChunkResult } from "../src/plugin.ts";
import { checkAnswer, checkEmbeddings, StreamContract } from "../src/pipeline/plugin-output.ts";

const N = Number(process.env.PLUGIN_OUTPUT_COST_N ?? 1_000_000);
const ROUNDS = 7;

// Several objects, as a stream's chunks are: the checks do not see one shape only.
const textChunks: ChunkResult[] = ["Hello", " world", "!", ""].map((content) => ({ choices: [{ index: 0, delta: { content } }] }));
const callChunks: ChunkResult[] = ['{"city":', '"Paris"', "}"].map((args) => ({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: args } }] } }] }));
const answer: ChatResult = { choices: [{ index: 0, finish_reason: "stop", message: { content: "Hello world!" } }], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } };

function nsPerCall(run: (i: number) => void): number {
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < N; i++) run(i);
    rounds.push(((performance.now() - t0) * 1e6) / N);
  }
  rounds.sort((a, b) => a - b);
  return Math.round(rounds[ROUNDS >> 1]! * 10) / 10;
}

/** The largest request's vectors (MAX_EMBED_INPUTS of text-embedding-3-small's 1,536): median of the rounds, ms. */
function embeddingsMs(): number {
  const vectors = { embeddings: Array.from({ length: 2048 }, (_, i) => Array.from({ length: 1536 }, (_, j) => Math.sin(i + j))) };
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    checkEmbeddings(vectors, 2048, "bench");
    rounds.push(performance.now() - t0);
  }
  rounds.sort((a, b) => a - b);
  return Math.round(rounds[ROUNDS >> 1]! * 100) / 100;
}

const text = new StreamContract(1, "bench");
const calls = new StreamContract(1, "bench");
calls.check({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "look", arguments: "" } }] } }] });
// The loop's own cost (an empty call) is taken off each figure.
const empty = nsPerCall(() => undefined);
const net = (ns: number) => Math.round((ns - empty) * 10) / 10;
const result = {
  textChunkNs: net(nsPerCall((i) => text.check(textChunks[i & 3]!))),
  toolCallChunkNs: net(nsPerCall((i) => calls.check(callChunks[i % 3]!))),
  answerNs: net(nsPerCall(() => void checkAnswer(answer, 1, "bench"))),
  loopNs: empty,
  embeddings2048x1536Ms: embeddingsMs(),
};
console.error(JSON.stringify(result));
