import { Schema } from "effect"
import { PermissionSchema } from "../../access/Permission.js"
import { EventSchema } from "../../decider/Schemas.js"

/** What issuing a key records: the command carries it, the event keeps it. */
export const KeyIssuanceFields = {
  keyId: Schema.String,
  name: Schema.String,
  description: Schema.String,
  expiresAt: Schema.Number.annotate({ description: "Unix seconds after which the key is refused; 0 = never expires." }),
  permissions: Schema.Array(PermissionSchema),
  scopes: Schema.Array(Schema.String).annotate({
    description: "Named permission bundles (KEY_SCOPES), expanded when the key is used so a bundle's meaning stays current."
  }),
  issuedBy: Schema.String.annotate({
    description: "The user who issued the key: the key never holds more than this user holds at the time of use."
  }),
  secretHash: Schema.String
}

/**
 * Events of one API key (SPEC §4). The key itself never appears here: only `secretHash`, an HMAC of it
 * under a server secret that is not in the log, so the log alone cannot be used to find or test keys.
 */
export const KeyIssued = EventSchema(
  "KeyIssued",
  KeyIssuanceFields,
  "Events of one API key (SPEC §4). The key itself never appears here: only `secretHash`, an HMAC of it under a server secret that is not in the log, so the log alone cannot be used to find or test keys."
)
export type KeyIssued = typeof KeyIssued.Type
export type KeyIssuance = KeyIssued["data"]

/** The key's new description and grants, in full (not a diff), so each event reads on its own. */
export const KeyUpdated = EventSchema("KeyUpdated", {
  keyId: Schema.String,
  name: Schema.String,
  description: Schema.String,
  permissions: Schema.Array(PermissionSchema),
  scopes: Schema.Array(Schema.String)
}, "The key's new description and grants, in full (not a diff), so each event reads on its own.")
export type KeyUpdated = typeof KeyUpdated.Type

/** Final: a revoked key never works again. */
export const KeyRevoked = EventSchema("KeyRevoked", { keyId: Schema.String }, "Final: a revoked key never works again.")
export type KeyRevoked = typeof KeyRevoked.Type

/** Temporary: an administrator stops an abused key; `KeyResumed` lifts it. */
export const KeySuspended = EventSchema("KeySuspended", {
  keyId: Schema.String,
  reason: Schema.optional(Schema.String)
}, "Temporary: an administrator stops an abused key; `KeyResumed` lifts it.")
export type KeySuspended = typeof KeySuspended.Type

export const KeyResumed = EventSchema("KeyResumed", { keyId: Schema.String })
export type KeyResumed = typeof KeyResumed.Type

export const API_KEY_EVENTS = [KeyIssued, KeyUpdated, KeyRevoked, KeySuspended, KeyResumed] as const

export type ApiKeyEvent = (typeof API_KEY_EVENTS)[number]["Type"]
