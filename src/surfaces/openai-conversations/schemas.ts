import { Type, type Static } from "@sinclair/typebox";
import { Nullable, open } from "../../schemas/common.ts";
import { ResponsesInputItem } from "../openai-responses/request-schema.ts";
import { InputItemResource } from "../openai-responses/response-schema.ts";

// OpenAI's Conversations API (openapi.json: CreateConversationBody, UpdateConversationBody, the
// items' body, ConversationResource, DeletedConversationResource, ConversationItemList).

const Metadata = Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 512 }), { maxProperties: 16, description: "16 pairs at most; keys 64 characters, values 512" });
/** "You may add up to 20 items at a time." */
const Items = Type.Array(ResponsesInputItem, { maxItems: 20, description: "input items as a Responses request takes them (item_reference and compaction_trigger excepted); 20 at most" });

export const CreateConversationBody = Type.Object(
  { metadata: Type.Optional(Nullable(Metadata)), items: Type.Optional(Nullable(Items)) },
  { ...open, description: "A new conversation, with up to 20 items. Unknown fields are accepted and ignored." },
);
export type CreateConversationBody = Static<typeof CreateConversationBody>;

export const UpdateConversationBody = Type.Object({ metadata: Nullable(Metadata) }, { ...open, description: "The conversation's metadata, replaced." });
export type UpdateConversationBody = Static<typeof UpdateConversationBody>;

export const AddItemsBody = Type.Object({ items: Items }, { ...open, description: "Items added at the end of the conversation." });
export type AddItemsBody = Static<typeof AddItemsBody>;

export const ConversationObject = Type.Object(
  {
    id: Type.String({ examples: ["conv_4f2c1e0b8a9d4b6c0e1f2a3b"] }),
    object: Type.Literal("conversation"),
    created_at: Type.Integer(),
    metadata: Type.Record(Type.String(), Type.String()),
  },
  { description: "OpenAI's `ConversationResource`" },
);
export type ConversationObject = Static<typeof ConversationObject>;

export const DeletedConversation = Type.Object({ id: Type.String(), object: Type.Literal("conversation.deleted"), deleted: Type.Literal(true) });

export const ConversationItemList = Type.Object({
  object: Type.Literal("list"),
  data: Type.Array(InputItemResource),
  first_id: Type.String(),
  last_id: Type.String(),
  has_more: Type.Boolean(),
});
