import { text, type HttpResponse } from "@machhub/adapters"
import { forbidden, type Refusal } from "../auth/Principal.js"
import { enveloped, failure } from "../machines/envelope.js"
import type { CredentialPolicy, ErrorFormat, Requirement } from "./RouteDeclaration.js"

/**
 * Every refusal's message is built here, and rendered in the route's error format. Authentication's
 * own refusals (401 without or with a bad credential, 403 for a bad Domain header or a non-member,
 * 429 over a key's rate) come from the Authenticator as a `Refusal` and are only rendered here.
 */

/**
 * 403 for a caller lacking a permission. `detail` completes the sentence as written (" to end another
 * user's session", ": <why>") where a handler decides on more than the route's declared permission.
 */
export const missingPermission = (requirement: Requirement, domain: string, detail = ""): Refusal =>
  forbidden(`Missing permission ${requirement.feature}:${requirement.action}:${requirement.scope} in domain ${domain}${detail}`)

/**
 * Why a route refuses API keys. SSH routes: the seed's surface has none, and a key that opens shells
 * would be a standing credential to every machine of its issuer. API-key routes: a leaked key must
 * not mint more keys or outlive its own revocation.
 */
export const keysRefused = (policy: Exclude<CredentialPolicy["keys"], "accepted">): Refusal =>
  forbidden(policy === "refused-on-ssh"
    ? "API keys cannot use SSH machines; sign in as the user (Authorization: Bearer <token> or cookie jwt)"
    : "API keys cannot manage API keys")

export const onlyGlobalSuperuser = (purpose: string): Refusal => forbidden(`Only a superuser of machhub_admin may ${purpose}`)

/** Renders a refusal in the route's error format. */
export const render = (format: ErrorFormat, refusal: Refusal): HttpResponse =>
  format === "envelope"
    ? failure(refusal.status, refusal.message, refusal.headers)
    : text(refusal.status, refusal.message, refusal.headers as Record<string, string> | undefined)

/** Renders a handler's (or a shared helper's) plain-text error in the route's error format. */
export const inFormat = (format: ErrorFormat, response: HttpResponse): HttpResponse => (format === "envelope" ? enveloped(response) : response)
