import { fromDecider } from "../decider/fromDecider.js"
import { TAG_COMMANDS } from "./TagCommands.js"
import { tagDecider, type TagState } from "./TagDecider.js"
import { TAG_CATEGORY, TAG_EVENTS, type TagDefinition } from "./TagEvents.js"

/** What a tag command answers: the definition after it, or undefined once removed. */
export const tagReply = (state: TagState): TagDefinition | undefined => (state._tag === "Defined" ? state.definition : undefined)

/**
 * Tag definitions of a domain (SPEC §7), one stream per topic: the stream names the topic, so a
 * payload can never point at another tag.
 */
export const tagAggregate = fromDecider({
  category: TAG_CATEGORY,
  decider: tagDecider,
  commands: TAG_COMMANDS,
  events: TAG_EVENTS,
  fromEnvelope: (command) => ({ topic: command.aggregateId }),
  reply: tagReply
})
