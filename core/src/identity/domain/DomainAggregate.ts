import { Result, Schema } from "effect"
import { CommandRejected } from "../../commands/errors.js"
import type { Decider } from "../../decider/Decider.js"
import { fromDecider } from "../../decider/fromDecider.js"
import { CommandSchema, EventSchema } from "../../decider/Schemas.js"

/** A tenant (MACHHUB domain, Machinable project, MachineMetrics company). Stream `domain-<name>-<name>`. */
export const DOMAIN_CATEGORY = "domain"

export const DomainCreated = EventSchema("DomainCreated", { name: Schema.String })
export type DomainCreated = typeof DomainCreated.Type

/** The new domain's name is the command's domain (and aggregate id): callers send an empty payload. */
export const CreateDomain = CommandSchema("createDomain", { name: Schema.String })
export type CreateDomain = typeof CreateDomain.Type

export type DomainState =
  | { readonly _tag: "Absent" }
  | { readonly _tag: "Created"; readonly name: string }

export const domainDecider: Decider<DomainState, CreateDomain, DomainCreated> = {
  initialState: () => ({ _tag: "Absent" }),
  evolve: (_, event) => ({ _tag: "Created", name: event.data.name }),
  decide: (command, state) =>
    state._tag === "Created"
      ? Result.fail(new CommandRejected({ reason: "conflict", message: `domain ${command.name} already exists` }))
      : Result.succeed([{ type: "DomainCreated", data: { name: command.name } }])
}

export const domainAggregate = fromDecider({
  category: DOMAIN_CATEGORY,
  decider: domainDecider,
  commands: [CreateDomain],
  events: [DomainCreated],
  fromEnvelope: (command) => ({ name: command.domain }),
  reply: (_, events): { readonly name: string | undefined } => ({ name: events[0]?.data.name })
})
