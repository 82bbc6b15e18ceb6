import { Effect } from "effect"
import { CommandRejected, TAG_CATEGORY, uuidv7, type ActorRef, type TagDefinition } from "@machhub/core"
import type { ServerContext } from "../../ServerContext.js"
import { runCommand } from "../../routes/runCommand.js"
import { runFor } from "../../runtime.js"
import { validateTopicName } from "../topicName.js"
import { tagDefinitions } from "./tagDefinitions.js"

/** What ensuring a tag needs from the server. */
export type EnsureTagContext = Pick<ServerContext, "commands" | "projections" | "readModels" | "run"> & {
  readonly config: { readonly tagsAutocreate: boolean }
}

/** The tag's definition, or undefined when it has none and values do not create one (MACHHUB_TAGS_AUTOCREATE=false). */
export type EnsuredTag = TagDefinition | undefined

// Creations under way, per database and tag: a burst of values for a new topic sends one command.
const pending = new WeakMap<object, Map<string, Promise<EnsuredTag>>>()

/**
 * The definition of `topic` in `domain`, made on the way when a value reaches a topic with no
 * definition (SPEC §7: access RW, not historized, recorded as `actor`'s `ensureTag`) unless the
 * server forbids it. Synchronous when the tag is known (the value path: one in-memory lookup); a
 * promise when a definition is being made, rejected with the command's error (CommandError) when it
 * cannot be, or with an `invalid` refusal for a topic that is not a valid MQTT topic name.
 */
export const ensureTag = (context: EnsureTagContext, domain: string, topic: string, actor: ActorRef, correlationId?: string): EnsuredTag | Promise<EnsuredTag> => {
  const known = tagDefinitions(context).get(domain, topic)
  if (known !== undefined) return known
  if (!context.config.tagsAutocreate) return undefined
  const check = validateTopicName(topic)
  if (!check.ok) return Promise.reject(new CommandRejected({ reason: "invalid", message: check.message }))
  let inFlight = pending.get(context.readModels)
  if (inFlight === undefined) pending.set(context.readModels, (inFlight = new Map()))
  const key = `${domain}\u0000${topic}`
  const already = inFlight.get(key)
  if (already !== undefined) return already
  const correlation = correlationId ?? uuidv7()
  const creation = runFor(
    context.run,
    correlation,
    runCommand(context, {
      type: "ensureTag",
      category: TAG_CATEGORY,
      domain,
      aggregateId: topic,
      payload: {},
      actor,
      correlationId: correlation
    }).pipe(Effect.map((reply): EnsuredTag => reply.result))
  ).finally(() => inFlight.delete(key))
  inFlight.set(key, creation)
  return creation
}
