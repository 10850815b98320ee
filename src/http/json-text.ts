/** JSON's content type, as `Response.json` (and so Elysia) sends it. */
export const JSON_TYPE = "application/json;charset=utf-8";

/**
 * An answer already serialised, for a handler that needs the JSON text anyway (the Responses route
 * stores it): the fast routes send the text as it is, and Elysia (which calls `toResponse`) too,
 * instead of serialising the object a second time.
 */
export class JsonText {
  constructor(readonly text: string) {}

  toResponse(): Response {
    return new Response(this.text, { headers: { "content-type": JSON_TYPE } });
  }
}
