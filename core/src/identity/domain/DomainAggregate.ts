import { Result } from "effect"
import type { Command } from "../../commands/Command.js"
import { CommandRejected } from "../../commands/errors.js"
import type { Decider, DomainEvent } from "../../decider/Decider.js"
import { fromDecider } from "../../decider/fromDecider.js"

/** A tenant (MACHHUB domain, Machinable project, MachineMetrics company). Stream `domain-<name>-<name>`. */
export const DOMAIN_CATEGORY = "domain"

export type DomainCreated = DomainEvent<"DomainCreated", { readonly name: string }>

export interface CreateDomain {
  readonly type: "createDomain"
  readonly name: string
}

export const domainDecider: Decider<{ readonly exists: boolean }, CreateDomain, DomainCreated> = {
  initialState: () => ({ exists: false }),
  evolve: () => ({ exists: true }),
  decide: (command, state) =>
    state.exists
      ? Result.fail(new CommandRejected({ reason: "conflict", message: `domain ${command.name} already exists` }))
      : Result.succeed([{ type: "DomainCreated", data: { name: command.name } }])
}

export const domainAggregate = fromDecider({
  category: DOMAIN_CATEGORY,
  decider: domainDecider,
  toCommand: (command: Command): CreateDomain | undefined =>
    command.type === "createDomain" ? { type: "createDomain", name: command.domain } : undefined,
  reply: (_, events) => ({ name: events[0]?.data.name })
})
