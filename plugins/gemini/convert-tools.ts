import { InvalidRequestError, type Tool, type ToolChoice } from "../../src/kit.ts";
import { schemaBudget, toGeminiSchema, type SchemaBudget } from "./clean-schema.ts";
import type { GeminiFunctionDeclaration, GeminiTool, GeminiToolConfig } from "./wire.ts";
import { geminiToolName } from "./tool-names.ts";

/**
 * How JSON Schemas go to Gemini: `json-schema` sends them whole (`parametersJsonSchema`,
 * `responseJsonSchema`); `openapi` cleans them into the older `Schema` object (`parameters`,
 * `responseSchema`) for models that predate JSON Schema support.
 */
export type SchemaMode = "json-schema" | "openapi";

/** OpenAI `tools` → one Gemini tool holding every function declaration. */
export function toGeminiTools(tools: readonly Tool[] | undefined, mode: SchemaMode, budget: SchemaBudget = schemaBudget()): GeminiTool[] | undefined {
  if (!tools || tools.length === 0) return undefined;
  return [{ functionDeclarations: tools.map((tool, i) => toFunctionDeclaration(tool, mode, i, budget)) }];
}

function toFunctionDeclaration({ function: fn }: Tool, mode: SchemaMode, i: number, budget: SchemaBudget): GeminiFunctionDeclaration {
  const declaration: GeminiFunctionDeclaration = { name: geminiToolName(fn.name) };
  if (fn.description !== undefined) declaration.description = fn.description;
  const parameters = fn.parameters;
  // A function without parameters declares none (an empty object schema is not a valid Gemini one).
  if (!parameters || Object.keys(parameters).length === 0) return declaration;
  switch (mode) {
    case "json-schema":
      declaration.parametersJsonSchema = parameters;
      break;
    case "openapi": {
      const cleaned = toGeminiSchema(parameters, `tools[${i}].function.parameters`, budget);
      // Gemini answers 400 for an OBJECT without properties; no properties means no parameters.
      const properties = cleaned.properties;
      if (typeof properties === "object" && properties !== null && Object.keys(properties).length > 0) declaration.parameters = cleaned;
      break;
    }
    default: {
      const unknownMode: never = mode;
      throw new Error(`unknown schema mode ${String(unknownMode)}`);
    }
  }
  return declaration;
}

/**
 * OpenAI `tool_choice` → Gemini `toolConfig`: `auto` → AUTO, `none` → NONE, `required` → ANY, a
 * named function → ANY restricted to it. Absent → no toolConfig (Gemini's default is AUTO).
 */
export function toGeminiToolConfig(choice: ToolChoice | undefined, tools: readonly Tool[] | undefined): GeminiToolConfig | undefined {
  if (choice === undefined) return undefined;
  const hasTools = tools !== undefined && tools.length > 0;
  if (typeof choice === "string") {
    switch (choice) {
      case "auto":
        return hasTools ? { functionCallingConfig: { mode: "AUTO" } } : undefined;
      case "none":
        return hasTools ? { functionCallingConfig: { mode: "NONE" } } : undefined;
      case "required":
        if (!hasTools) throw new InvalidRequestError("'tool_choice' is 'required' but no 'tools' were given.", { param: "tool_choice" });
        return { functionCallingConfig: { mode: "ANY" } };
      default: {
        const unknownChoice: never = choice;
        throw new InvalidRequestError(`Invalid 'tool_choice': ${JSON.stringify(unknownChoice)}.`, { param: "tool_choice" });
      }
    }
  }
  const name = choice.function.name;
  if (!tools?.some((tool) => tool.function.name === name)) {
    throw new InvalidRequestError(`'tool_choice' names the function '${name}', which is not in 'tools'.`, { param: "tool_choice" });
  }
  return { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [geminiToolName(name)] } };
}
