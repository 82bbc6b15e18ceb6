import { Schema } from "effect"
import { EventSchema, type AnyEventSchema } from "../decider/Schemas.js"
import { DefinitionOwner, ProcessDefinitionFields, ProcessTrigger } from "./ProcessModel.js"

/** Process definitions, one stream per name. Stream `process-<domain>-<name>`. */
export const PROCESS_CATEGORY = "process"

export const ProcessSaved = EventSchema("ProcessSaved", {
  ...ProcessDefinitionFields,
  owner: DefinitionOwner,
  version: Schema.Number.annotate({ description: "The code version: 1 at creation, one more at each change of the code or language." })
}, "A process definition, in full (not a diff): created, changed or imported. Its owner is who saved it.")
export type ProcessSaved = typeof ProcessSaved.Type

export const ProcessTriggersChanged = EventSchema("ProcessTriggersChanged", {
  name: Schema.String,
  triggers: Schema.Array(ProcessTrigger)
}, "Only the triggers changed (PUT /machhub/processes/triggers/<id>); the rest of the definition stays.")
export type ProcessTriggersChanged = typeof ProcessTriggersChanged.Type

export const ProcessRemoved = EventSchema("ProcessRemoved", { name: Schema.String }, "The process is gone: no trigger runs it any more.")
export type ProcessRemoved = typeof ProcessRemoved.Type

export type ProcessEvent = ProcessSaved | ProcessTriggersChanged | ProcessRemoved

export const PROCESS_EVENTS: ReadonlyArray<AnyEventSchema & { readonly Type: ProcessEvent }> = [ProcessSaved, ProcessTriggersChanged, ProcessRemoved]
