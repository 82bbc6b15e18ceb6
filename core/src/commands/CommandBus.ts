import { Context, type Effect } from "effect"
import type { Command, CommandReply } from "./Command.js"
import type { CommandError } from "./errors.js"

/**
 * Carries commands to whichever process hosts the aggregate's actor: in-process, or NATS
 * request/reply on `mh.cmd.<domain>.<category>`. Both pass `test/contracts/command-bus.contract.ts`.
 */
export interface CommandBusService {
  dispatch(command: Command): Effect.Effect<CommandReply, CommandError>
}

export class CommandBus extends Context.Service<CommandBus, CommandBusService>()("@machhub/core/CommandBus") {}

/** The handler a bus delivers to: the actor system of the process that serves commands. */
export type CommandHandler = (command: Command) => Effect.Effect<CommandReply, CommandError>

export const commandSubject = (domain: string, category: string): string => `mh.cmd.${domain}.${category}`
