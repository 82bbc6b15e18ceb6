import { Schema } from "effect"
import { EventSchema, type AnyEventSchema } from "../decider/Schemas.js"
import { DefinitionOwner, FunctionDefinitionFields } from "./ProcessModel.js"

/** Function definitions, one stream per name. Stream `function-<domain>-<name>`. */
export const FUNCTION_CATEGORY = "function"

export const FunctionSaved = EventSchema("FunctionSaved", {
  ...FunctionDefinitionFields,
  owner: DefinitionOwner,
  version: Schema.Number.annotate({ description: "The code version: 1 at creation, one more at each change of the code or language." })
}, "A function definition, in full: created, changed or imported. Its owner is who saved it.")
export type FunctionSaved = typeof FunctionSaved.Type

export const FunctionRemoved = EventSchema("FunctionRemoved", { name: Schema.String }, "The function is gone; calls to its name answer 404.")
export type FunctionRemoved = typeof FunctionRemoved.Type

export type FunctionEvent = FunctionSaved | FunctionRemoved

export const FUNCTION_EVENTS: ReadonlyArray<AnyEventSchema & { readonly Type: FunctionEvent }> = [FunctionSaved, FunctionRemoved]
