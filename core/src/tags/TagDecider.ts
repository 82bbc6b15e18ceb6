import { Result } from "effect"
import { CommandRejected } from "../commands/errors.js"
import type { Decider } from "../decider/Decider.js"
import { historizeSettings } from "./HistorizeRules.js"
import type { TagCommand } from "./TagCommands.js"
import type { HistorizeSettings, TagDefined, TagDefinition, TagEvent } from "./TagEvents.js"

/** The longest description accepted, in characters (Markdown notes, not documents). */
export const MAX_TAG_DESCRIPTION = 4096

/**
 * A tag's lifecycle: never defined, defined (explicitly or by a first value), or removed. A removed
 * tag may be defined again, by a definition or a value.
 */
export type TagState =
  | { readonly _tag: "Absent" }
  | { readonly _tag: "Defined"; readonly definition: TagDefinition; readonly autocreated: boolean }
  | { readonly _tag: "Removed"; readonly topic: string }

const ABSENT: TagState = Object.freeze({ _tag: "Absent" })

const definitionOf = (data: TagDefined["data"]): TagDefinition => ({
  topic: data.topic,
  ...(data.description === undefined ? {} : { description: data.description }),
  access: data.access,
  ...(data.historize === undefined ? {} : { historize: data.historize })
})

const evolve = (_: TagState, event: TagEvent): TagState => {
  switch (event.type) {
    case "TagDefined":
      return { _tag: "Defined", definition: definitionOf(event.data), autocreated: event.data.autocreated === true }
    case "TagRemoved":
      return { _tag: "Removed", topic: event.data.topic }
  }
}

const sameHistorize = (a: HistorizeSettings | undefined, b: HistorizeSettings | undefined): boolean =>
  a?.type === b?.type && a?.samplingTime === b?.samplingTime && a?.retention === b?.retention

const sameDefinition = (a: TagDefinition, b: TagDefinition): boolean =>
  a.description === b.description && a.access === b.access && sameHistorize(a.historize, b.historize)

const historianNeeded = (topic: string, doing: string) =>
  Result.fail(new CommandRejected({ reason: "forbidden", message: `Missing permission historian:read-write:domain to ${doing} of tag ${topic}` }))

const decide = (command: TagCommand, state: TagState): Result.Result<ReadonlyArray<TagEvent>, CommandRejected> => {
  const current = state._tag === "Defined" ? state.definition : undefined
  switch (command.type) {
    case "defineTag": {
      const description = command.description === "" ? undefined : command.description
      if (description !== undefined && description.length > MAX_TAG_DESCRIPTION) {
        return Result.fail(new CommandRejected({
          reason: "unprocessable",
          message: `description is ${description.length} characters long; at most ${MAX_TAG_DESCRIPTION} are allowed`
        }))
      }
      let historize = current?.historize
      if (command.historize === null) historize = undefined
      else if (command.historize !== undefined) {
        const settings = historizeSettings(command.historize)
        if (Result.isFailure(settings)) return Result.fail(settings.failure)
        historize = settings.success
      }
      if (!sameHistorize(historize, current?.historize) && command.mayHistorize !== true) {
        return historianNeeded(command.topic, "change the historize settings")
      }
      const next: TagDefinition = {
        topic: command.topic,
        ...(description === undefined ? {} : { description }),
        access: command.access,
        ...(historize === undefined ? {} : { historize })
      }
      // Redefining a tag as it is changes nothing, unless it only existed because a value created it.
      if (state._tag === "Defined" && !state.autocreated && sameDefinition(next, state.definition)) return Result.succeed([])
      return Result.succeed([{ type: "TagDefined", data: next }])
    }
    case "ensureTag":
      if (state._tag === "Defined") return Result.succeed([])
      return Result.succeed([{ type: "TagDefined", data: { topic: command.topic, access: "RW", autocreated: true } }])
    case "removeTag":
      if (state._tag !== "Defined") {
        return Result.fail(new CommandRejected({ reason: "not_found", message: `no tag ${command.topic} in this domain` }))
      }
      if (state.definition.historize !== undefined && command.mayHistorize !== true) {
        return historianNeeded(command.topic, "remove the historize settings")
      }
      return Result.succeed([{ type: "TagRemoved", data: { topic: command.topic } }])
  }
}

export const tagDecider: Decider<TagState, TagCommand, TagEvent> = { initialState: () => ABSENT, evolve, decide }
