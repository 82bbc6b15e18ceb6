import { Schema } from "effect"
import { CommandSchema, type AnyCommandSchema } from "../decider/Schemas.js"
import { DefinitionOwner, FunctionDefinition, SaveMode } from "./ProcessModel.js"

/** Function commands; `name` comes from the stream. The edge has checked that the code compiles. */
export const SaveFunction = CommandSchema("saveFunction", {
  name: Schema.String,
  mode: SaveMode,
  definition: FunctionDefinition,
  owner: DefinitionOwner
})
export type SaveFunction = typeof SaveFunction.Type

export const RemoveFunction = CommandSchema("removeFunction", { name: Schema.String })
export type RemoveFunction = typeof RemoveFunction.Type

export type FunctionCommand = SaveFunction | RemoveFunction

export const FUNCTION_COMMANDS: ReadonlyArray<AnyCommandSchema & { readonly Type: FunctionCommand }> = [SaveFunction, RemoveFunction]
