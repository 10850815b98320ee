import { Type, type Static } from "@sinclair/typebox";
import { open } from "./common.ts";

export const Model = Type.Object(
  {
    id: Type.String({ examples: ["dummy-model:1.0"] }),
    object: Type.Literal("model"),
    created: Type.Integer({ description: "Unix time in seconds" }),
    owned_by: Type.String({ description: "The provider instance that serves the model", examples: ["dummy"] }),
    name: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    context_length: Type.Optional(Type.Integer()),
  },
  open,
);
export type Model = Static<typeof Model>;

export const ModelList = Type.Object({ object: Type.Literal("list"), data: Type.Array(Model) });
export type ModelList = Static<typeof ModelList>;
