import { Type, type Static, type TSchema } from "@sinclair/typebox";

/** Objects in requests accept fields we do not know: OpenAI clients send many, and plugins may use them. */
export const open = { additionalProperties: true } as const;

/** `X | null`, as OpenAI's document writes most optional request fields. */
export const Nullable = <S extends TSchema>(schema: S) =>
  Type.Union([schema, Type.Null()]);

export const Usage = Type.Object(
  {
    prompt_tokens: Type.Integer({ minimum: 0 }),
    completion_tokens: Type.Integer({ minimum: 0 }),
    total_tokens: Type.Integer({ minimum: 0 }),
    completion_tokens_details: Type.Optional(
      Type.Object({ reasoning_tokens: Type.Optional(Type.Integer({ minimum: 0 })) }, open),
    ),
    prompt_tokens_details: Type.Optional(
      Type.Object({ cached_tokens: Type.Optional(Type.Integer({ minimum: 0 })) }, open),
    ),
  },
  { ...open, description: "Token counts for the whole request." },
);
export type Usage = Static<typeof Usage>;
