import { Effect } from "effect"
import type { HttpResponse } from "@machhub/adapters"
import type { CommandError, CommandReply } from "@machhub/core"
import { commandErrorResponse } from "../routes/commandErrors.js"
import { runCommand, type CommandContext, type CommandInput } from "../routes/runCommand.js"
import { runPromise } from "../runtime.js"

export type Dispatched = { readonly ok: true; readonly reply: CommandReply } | { readonly ok: false; readonly response: HttpResponse }

/** Runs a command (read-your-writes included) for the promise-shaped machine flows; errors are rendered in the route's declared format by the mount. */
export const dispatch = (context: CommandContext, input: CommandInput): Promise<Dispatched> =>
  runPromise(
    runCommand(context, input).pipe(
      Effect.map((reply): Dispatched => ({ ok: true, reply })),
      Effect.catch((error: CommandError) => Effect.succeed<Dispatched>({ ok: false, response: commandErrorResponse(error) }))
    )
  )
