import { type Command, CommandBus, type CommandBusService, CommandFailed, type CommandHandler } from "@machhub/core"
import { Cause, Effect, Layer } from "effect"

/**
 * Delivers commands straight to the handler of this process: no serialization, no network.
 *
 * A defect in the handler is answered as `CommandFailed` (and logged), the same as the NATS bus
 * answers it, so callers see one behaviour whichever bus they run on. Interruption is left alone:
 * it belongs to the caller's fiber.
 */
export const makeInProcessCommandBus = (handler: CommandHandler): CommandBusService => ({
  dispatch: (command: Command) =>
    Effect.suspend(() => handler(command)).pipe(
      Effect.catchDefect((defect) =>
        Effect.logError("command handler died", Cause.pretty(Cause.die(defect))).pipe(
          Effect.andThen(Effect.fail(new CommandFailed({ message: "command handling failed unexpectedly" })))
        )
      )
    )
})

/** `CommandBus` served by the in-process handler. */
export const InProcessCommandBusLayer = (handler: CommandHandler): Layer.Layer<CommandBus> =>
  Layer.succeed(CommandBus, makeInProcessCommandBus(handler))
