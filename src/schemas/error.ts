import { Type, type Static } from "@sinclair/typebox";
import { Nullable } from "./common.ts";

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      message: Type.String(),
      type: Type.String({ examples: ["invalid_request_error"] }),
      param: Nullable(Type.String()),
      code: Nullable(Type.String()),
    }),
  },
  { description: "OpenAI-style error envelope" },
);
export type ErrorBody = Static<typeof ErrorBody>;
