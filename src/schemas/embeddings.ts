import { Type, type Static } from "@sinclair/typebox";
import { open } from "./common.ts";

export const EmbeddingRequest = Type.Object(
  {
    model: Type.String({ minLength: 1, examples: ["dummy-model:1.0"] }),
    input: Type.Union(
      [
        // OpenAI's document: the input "cannot be an empty string, and any array must be 2048 dimensions or less".
        Type.String({ minLength: 1 }),
        Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 2048 }),
        Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1, maxItems: 2048 }),
        Type.Array(Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1 }), { minItems: 1, maxItems: 2048 }),
      ],
      { description: "A string, an array of strings, or token ids (`number[]`, `number[][]`); not empty, 2,048 entries at most" },
    ),
    encoding_format: Type.Optional(Type.Union([Type.Literal("float"), Type.Literal("base64")])),
    dimensions: Type.Optional(Type.Integer({ minimum: 1 })),
    user: Type.Optional(Type.String()),
  },
  open,
);
export type EmbeddingRequest = Static<typeof EmbeddingRequest>;

export const EmbeddingList = Type.Object({
  object: Type.Literal("list"),
  data: Type.Array(
    Type.Object({
      object: Type.Literal("embedding"),
      index: Type.Integer(),
      embedding: Type.Union([Type.Array(Type.Number()), Type.String({ description: "base64 of little-endian float32" })]),
    }),
  ),
  model: Type.String(),
  usage: Type.Object({ prompt_tokens: Type.Integer(), total_tokens: Type.Integer() }),
});
export type EmbeddingList = Static<typeof EmbeddingList>;
