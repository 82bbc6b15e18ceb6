import { Result } from "effect"
import { CommandRejected } from "../commands/errors.js"
import type { Decider } from "../decider/Decider.js"
import type { FunctionCommand } from "./FunctionCommands.js"
import type { FunctionEvent, FunctionSaved } from "./FunctionEvents.js"
import type { DefinitionOwner, FunctionDefinition } from "./ProcessModel.js"

/** A function as its stream says: never saved, deployed, or removed. */
export type FunctionState =
  | { readonly _tag: "Absent" }
  | { readonly _tag: "Deployed"; readonly definition: FunctionDefinition; readonly owner: DefinitionOwner; readonly version: number }
  | { readonly _tag: "Removed"; readonly name: string; readonly version: number }

const ABSENT: FunctionState = Object.freeze({ _tag: "Absent" })

const definitionOf = ({ owner: _owner, version: _version, ...definition }: FunctionSaved["data"]): FunctionDefinition => definition

const evolve = (state: FunctionState, event: FunctionEvent): FunctionState => {
  switch (event.type) {
    case "FunctionSaved":
      return { _tag: "Deployed", definition: definitionOf(event.data), owner: event.data.owner, version: event.data.version }
    case "FunctionRemoved":
      return { _tag: "Removed", name: event.data.name, version: state._tag === "Deployed" ? state.version : 0 }
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)
const notFound = (name: string) => Result.fail(new CommandRejected({ reason: "not_found", message: `no function ${name} in this domain` }))

const decide = (command: FunctionCommand, state: FunctionState): Result.Result<ReadonlyArray<FunctionEvent>, CommandRejected> => {
  switch (command.type) {
    case "saveFunction": {
      if (command.definition.name !== command.name) {
        return Result.fail(new CommandRejected({ reason: "invalid", message: `name: the definition names ${command.definition.name}, the function is ${command.name}` }))
      }
      if (state._tag === "Deployed" && command.mode === "create") {
        return Result.fail(new CommandRejected({ reason: "conflict", message: `a function named ${command.name} exists already; PUT /api/functions/${command.name} changes it` }))
      }
      if (state._tag !== "Deployed" && command.mode === "update") return notFound(command.name)
      const previous = state._tag === "Absent" ? 0 : state.version
      const codeChanged = state._tag !== "Deployed" || state.definition.code !== command.definition.code || state.definition.language !== command.definition.language
      if (state._tag === "Deployed" && !codeChanged && same(state.definition, command.definition) && same(state.owner, command.owner)) return Result.succeed([])
      return Result.succeed([{ type: "FunctionSaved", data: { ...command.definition, owner: command.owner, version: codeChanged ? previous + 1 : previous } }])
    }
    case "removeFunction":
      if (state._tag !== "Deployed") return notFound(command.name)
      return Result.succeed([{ type: "FunctionRemoved", data: { name: command.name } }])
  }
}

export const functionDecider: Decider<FunctionState, FunctionCommand, FunctionEvent> = { initialState: () => ABSENT, evolve, decide }
