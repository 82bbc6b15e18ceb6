import { Schema } from "effect"
import { CommandSchema, type AnyCommandSchema } from "../decider/Schemas.js"
import { DefinitionOwner, ProcessDefinition, ProcessTrigger, SaveMode } from "./ProcessModel.js"

/**
 * Process commands. `name` is filled in from the stream (the aggregate id), never sent. The edge has
 * already checked what needs a library (cron expressions, the code compiling).
 */
export const SaveProcess = CommandSchema("saveProcess", {
  name: Schema.String,
  mode: SaveMode,
  definition: ProcessDefinition,
  owner: DefinitionOwner
})
export type SaveProcess = typeof SaveProcess.Type

export const ChangeProcessTriggers = CommandSchema("changeProcessTriggers", { name: Schema.String, triggers: Schema.Array(ProcessTrigger) })
export type ChangeProcessTriggers = typeof ChangeProcessTriggers.Type

export const RemoveProcess = CommandSchema("removeProcess", { name: Schema.String })
export type RemoveProcess = typeof RemoveProcess.Type

export type ProcessCommand = SaveProcess | ChangeProcessTriggers | RemoveProcess

export const PROCESS_COMMANDS: ReadonlyArray<AnyCommandSchema & { readonly Type: ProcessCommand }> = [SaveProcess, ChangeProcessTriggers, RemoveProcess]
