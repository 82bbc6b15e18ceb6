import { ActorSystem, type Command, CommandBus, type CommandBusService, CommandFailed, type CommandHandler } from "@machhub/core"
import { Cause, Effect, Layer } from "effect"

/**
 * Delivers commands straight to the handler of this process: no serialization, no network.
 *
 * A defect in the handler is answered as `CommandFailed` (and logged), the same as the NATS bus
 * answers it, so callers see one behaviour whichever bus they run on. Interruption is left alone:
 * it belongs to the caller's fiber.
 */
export const makeInProcessCommandBus = (handler: CommandHandler): CommandBusService => ({
  // Every command's path: a plain function rather than Effect.fn, whose per-call steps (and, traced,
  // a captured stack) showed in createRecord's CPU profile.
  dispatch: (command: Command) =>
    Effect.suspend(() => handler(command)).pipe(
      Effect.catchDefect((defect) =>
        Effect.logError("command handler died", Cause.pretty(Cause.die(defect))).pipe(
          Effect.andThen(Effect.fail(new CommandFailed({ message: "command handling failed unexpectedly" })))
        )
      )
    )
})

/** `CommandBus` served by this process's actor system. */
export const InProcessCommandBusLayer: Layer.Layer<CommandBus, never, ActorSystem> = Layer.effect(
  CommandBus,
  ActorSystem.useSync((actors) => makeInProcessCommandBus(actors.handle))
)
