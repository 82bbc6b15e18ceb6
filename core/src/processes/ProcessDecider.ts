import { Result } from "effect"
import { CommandRejected } from "../commands/errors.js"
import type { Decider } from "../decider/Decider.js"
import type { ProcessCommand } from "./ProcessCommands.js"
import type { ProcessEvent, ProcessSaved } from "./ProcessEvents.js"
import type { DefinitionOwner, ProcessDefinition } from "./ProcessModel.js"

/** A process as its stream says: never saved, deployed (with owner and code version), or removed. */
export type ProcessState =
  | { readonly _tag: "Absent" }
  | { readonly _tag: "Deployed"; readonly definition: ProcessDefinition; readonly owner: DefinitionOwner; readonly version: number }
  | { readonly _tag: "Removed"; readonly name: string; readonly version: number }

const ABSENT: ProcessState = Object.freeze({ _tag: "Absent" })

const definitionOf = ({ owner: _owner, version: _version, ...definition }: ProcessSaved["data"]): ProcessDefinition => definition

const evolve = (state: ProcessState, event: ProcessEvent): ProcessState => {
  switch (event.type) {
    case "ProcessSaved":
      return { _tag: "Deployed", definition: definitionOf(event.data), owner: event.data.owner, version: event.data.version }
    case "ProcessTriggersChanged":
      return state._tag === "Deployed" ? { ...state, definition: { ...state.definition, triggers: event.data.triggers } } : state
    case "ProcessRemoved":
      return { _tag: "Removed", name: event.data.name, version: state._tag === "Deployed" ? state.version : 0 }
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

const notFound = (name: string) => Result.fail(new CommandRejected({ reason: "not_found", message: `no process ${name} in this domain` }))

const decide = (command: ProcessCommand, state: ProcessState): Result.Result<ReadonlyArray<ProcessEvent>, CommandRejected> => {
  switch (command.type) {
    case "saveProcess": {
      if (command.definition.name !== command.name) {
        return Result.fail(new CommandRejected({ reason: "invalid", message: `name: the definition names ${command.definition.name}, the process is ${command.name}` }))
      }
      if (state._tag === "Deployed" && command.mode === "create") {
        return Result.fail(new CommandRejected({ reason: "conflict", message: `a process named ${command.name} exists already; PUT /api/processes/${command.name} changes it` }))
      }
      if (state._tag !== "Deployed" && command.mode === "update") return notFound(command.name)
      const previous = state._tag === "Absent" ? 0 : state.version
      const codeChanged = state._tag !== "Deployed" || state.definition.code !== command.definition.code || state.definition.language !== command.definition.language
      if (state._tag === "Deployed" && !codeChanged && same(state.definition, command.definition) && same(state.owner, command.owner)) return Result.succeed([])
      return Result.succeed([{
        type: "ProcessSaved",
        data: { ...command.definition, owner: command.owner, version: codeChanged ? previous + 1 : previous }
      }])
    }
    case "changeProcessTriggers":
      if (state._tag !== "Deployed") return notFound(command.name)
      if (same(state.definition.triggers, command.triggers)) return Result.succeed([])
      return Result.succeed([{ type: "ProcessTriggersChanged", data: { name: command.name, triggers: command.triggers } }])
    case "removeProcess":
      if (state._tag !== "Deployed") return notFound(command.name)
      return Result.succeed([{ type: "ProcessRemoved", data: { name: command.name } }])
  }
}

export const processDecider: Decider<ProcessState, ProcessCommand, ProcessEvent> = { initialState: () => ABSENT, evolve, decide }
