import { Effect } from "effect"
import type { HttpResponse } from "@machhub/adapters"
import type { CommandError, CommandReply, KnownCommandType, ReplyOf } from "@machhub/core"
import { commandErrorResponse } from "../routes/commandErrors.js"
import { runCommand, type CommandContext, type CommandOf } from "../routes/runCommand.js"
import { runPromise } from "../runtime.js"

export type Dispatched<Result = unknown> = { readonly ok: true; readonly reply: CommandReply<Result> } | { readonly ok: false; readonly response: HttpResponse }

/** Runs a command (read-your-writes included) for the promise-shaped machine flows; errors are rendered in the route's declared format by the mount. */
export const dispatch = <T extends KnownCommandType>(context: CommandContext, input: CommandOf<T>): Promise<Dispatched<ReplyOf<T>>> =>
  runPromise(
    runCommand(context, input).pipe(
      Effect.map((reply): Dispatched<ReplyOf<T>> => ({ ok: true, reply })),
      Effect.catch((error: CommandError) => Effect.succeed<Dispatched<ReplyOf<T>>>({ ok: false, response: commandErrorResponse(error) }))
    )
  )
