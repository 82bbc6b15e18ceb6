import type { CommandError } from "@machhub/core"
import { actorOf, type Principal } from "../../auth/Principal.js"
import { ensureTag, type EnsureTagContext, type EnsuredTag } from "./ensureTag.js"
import { tagDefinitions } from "./tagDefinitions.js"

/** Why a client's values are not taken: an HTTP status (or its MQTT reason code) and a message naming the tag. */
export interface TagWriteRefusal {
  readonly status: 403 | 404 | 409 | 503
  readonly message: string
}

/** Tags defined at once for one write: a batch of 10,000 new topics is defined a slice at a time. */
const CREATION_CONCURRENCY = 64

const readOnly = (topic: string): TagWriteRefusal => ({
  status: 403,
  message: `tag ${topic} is read-only (access R): clients cannot write its value`
})

const undefinedTag = (topic: string): TagWriteRefusal => ({
  status: 404,
  message: `no tag ${topic} in this domain, and values do not define tags here (MACHHUB_TAGS_AUTOCREATE=false): define it with PUT /api/tags/${topic}`
})

const refusalOf = (topic: string, tag: EnsuredTag): TagWriteRefusal | undefined =>
  tag === undefined ? undefinedTag(topic) : tag.access === "R" ? readOnly(topic) : undefined

const failed = (topic: string, error: unknown): TagWriteRefusal => {
  const commandError = error as Partial<CommandError>
  if (commandError._tag === "CommandRejected") return { status: 409, message: `tag ${topic} could not be defined: ${commandError.message}` }
  const why = typeof commandError.message === "string" ? commandError.message : "the definitions are unavailable"
  return { status: 503, message: `tag ${topic} could not be defined (${why}); nothing was written, retry shortly` }
}

/**
 * The tag rules a client's values must pass besides the permission to write tags (SPEC §7): a tag
 * with access `R` refuses them, and a topic with no definition gets one (RW, not historized, in the
 * writer's name) unless MACHHUB_TAGS_AUTOCREATE=false, when it is refused. All or nothing for a batch:
 * the first refusal answers for it. Synchronous when every topic is defined (the value path); a
 * promise while definitions are made.
 */
export const makeTagWriteGate = (context: EnsureTagContext) => {
  const tags = tagDefinitions(context)
  return (principal: Principal, domain: string, topics: ReadonlyArray<string>): TagWriteRefusal | undefined | Promise<TagWriteRefusal | undefined> => {
    let missing: Set<string> | undefined
    for (const topic of topics) {
      const tag = tags.get(domain, topic)
      if (tag === undefined) (missing ??= new Set()).add(topic)
      else if (tag.access === "R") return readOnly(topic)
    }
    if (missing === undefined) return undefined
    if (!context.config.tagsAutocreate) return undefinedTag(missing.values().next().value!)
    const actor = actorOf(principal)
    const create = async (): Promise<TagWriteRefusal | undefined> => {
      const queue = [...missing!]
      for (let start = 0; start < queue.length; start += CREATION_CONCURRENCY) {
        const slice = queue.slice(start, start + CREATION_CONCURRENCY)
        const outcomes = await Promise.all(slice.map(async (topic) => {
          try {
            return refusalOf(topic, await ensureTag(context, domain, topic, actor))
          } catch (error) {
            return failed(topic, error)
          }
        }))
        const refusal = outcomes.find((outcome) => outcome !== undefined)
        if (refusal !== undefined) return refusal
      }
      return undefined
    }
    return create()
  }
}
