import { randomBytes } from "node:crypto"
import { Effect } from "effect"
import { ADMIN_DOMAIN, DOMAIN_CATEGORY, SUPERUSER_GROUP, systemActor, uuidv7, type PasswordHasherService } from "@machhub/core"
import type { DomainsReadModel, UsersReadModel } from "@machhub/projections"
import { createUser } from "./identity/createUser.js"
import { runCommand, type CommandContext } from "./routes/runCommand.js"

/** The bootstrap administrator has a fixed id, so concurrent or repeated first starts create it once. */
export const BOOTSTRAP_ADMIN_ID = "00000000-0000-7000-8000-000000000001"
export const BOOTSTRAP_ADMIN_USERNAME = "admin"

export type BootstrapOutcome =
  | { readonly created: false }
  | { readonly created: true; readonly generatedPassword: string | undefined }

/**
 * On first start: creates the admin domain `machhub_admin` and the user `admin` (group superuser there).
 * With no MACHHUB_ADMIN_PASSWORD a random password is generated and handed back to be printed once.
 */
export const bootstrapAdmin = (deps: CommandContext & {
  readonly users: UsersReadModel
  readonly domains: DomainsReadModel
  readonly passwords: PasswordHasherService
  readonly configuredPassword: string | undefined
}) =>
  Effect.gen(function*() {
    const correlationId = uuidv7()
    if (!deps.domains.exists(ADMIN_DOMAIN)) {
      yield* runCommand(deps, {
        type: "createDomain",
        category: DOMAIN_CATEGORY,
        domain: ADMIN_DOMAIN,
        aggregateId: ADMIN_DOMAIN,
        payload: {},
        actor: systemActor,
        correlationId
      }).pipe(Effect.catchTag("CommandRejected", (error) => (error.reason === "conflict" ? Effect.void : Effect.fail(error))))
    }
    if (deps.users.findByUsername(BOOTSTRAP_ADMIN_USERNAME) !== undefined) return { created: false } as BootstrapOutcome
    const generatedPassword = deps.configuredPassword === undefined ? randomBytes(18).toString("base64url") : undefined
    return yield* createUser(deps, {
      userId: BOOTSTRAP_ADMIN_ID,
      username: BOOTSTRAP_ADMIN_USERNAME,
      password: deps.configuredPassword ?? generatedPassword!,
      homeDomain: ADMIN_DOMAIN,
      membership: { domain: ADMIN_DOMAIN, groups: [SUPERUSER_GROUP] },
      actor: systemActor,
      correlationId
    }).pipe(
      Effect.as<BootstrapOutcome>({ created: true, generatedPassword }),
      // Another process created it first: nothing to do.
      Effect.catchTag("CommandRejected", (error) =>
        error.reason === "conflict" ? Effect.succeed<BootstrapOutcome>({ created: false }) : Effect.fail(error))
    )
  })
