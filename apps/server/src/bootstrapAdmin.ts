import { randomBytes } from "node:crypto"
import { Effect } from "effect"
import {
  ADMIN_DOMAIN,
  USER_CATEGORY,
  systemActor,
  uuidv7,
  type CommandBusService,
  type PasswordHasherService
} from "@machhub/core"
import type { UsersReadModel } from "@machhub/projections"

/** The bootstrap administrator has a fixed id, so concurrent or repeated first starts create it once. */
export const BOOTSTRAP_ADMIN_ID = "00000000-0000-7000-8000-000000000001"
export const BOOTSTRAP_ADMIN_USERNAME = "admin"

export type BootstrapOutcome =
  | { readonly created: false }
  | { readonly created: true; readonly generatedPassword: string | undefined; readonly position: number }

/**
 * Creates user `admin` (domain machhub_admin, group superuser) on first start. With no
 * MACHHUB_ADMIN_PASSWORD a random password is generated and handed back to be printed once.
 */
export const bootstrapAdmin = (deps: {
  readonly commands: CommandBusService
  readonly users: UsersReadModel
  readonly passwords: PasswordHasherService
  readonly configuredPassword: string | undefined
}) =>
  Effect.gen(function*() {
    if (deps.users.findByUsername(BOOTSTRAP_ADMIN_USERNAME) !== undefined) return { created: false } as BootstrapOutcome
    const generatedPassword = deps.configuredPassword === undefined ? randomBytes(18).toString("base64url") : undefined
    const passwordHash = yield* deps.passwords.hash(deps.configuredPassword ?? generatedPassword!)
    const outcome = yield* deps.commands.dispatch({
      id: uuidv7(),
      type: "registerUser",
      category: USER_CATEGORY,
      domain: ADMIN_DOMAIN,
      aggregateId: BOOTSTRAP_ADMIN_ID,
      actor: systemActor,
      payload: {
        userId: BOOTSTRAP_ADMIN_ID,
        username: BOOTSTRAP_ADMIN_USERNAME,
        passwordHash,
        memberships: [{ domain: ADMIN_DOMAIN, groups: ["superuser"] }]
      },
      expectedVersion: "no_stream",
      correlationId: uuidv7()
    }).pipe(
      Effect.map((reply) => ({ created: true as const, generatedPassword, position: reply.position })),
      // Another process created it first: nothing to do.
      Effect.catchTag("CommandRejected", (error) =>
        error.reason === "precondition_failed" || error.reason === "conflict"
          ? Effect.succeed({ created: false as const, position: 0 })
          : Effect.fail(error))
    )
    return outcome as BootstrapOutcome
  })
