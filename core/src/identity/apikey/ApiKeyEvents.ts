import type { Permission } from "../../access/Permission.js"
import type { DomainEvent } from "../../decider/Decider.js"

/**
 * Events of one API key (SPEC §4). The key itself never appears here: only `secretHash`, an HMAC of it
 * under a server secret that is not in the log, so the log alone cannot be used to find or test keys.
 */
export type KeyIssued = DomainEvent<"KeyIssued", KeyIssuance>

/** What issuing a key records: the command carries it, the event keeps it. */
export interface KeyIssuance {
  readonly keyId: string
  readonly name: string
  readonly description: string
  /** Unix seconds after which the key is refused; 0 = never expires. */
  readonly expiresAt: number
  readonly permissions: ReadonlyArray<Permission>
  /** Named permission bundles (KEY_SCOPES), expanded when the key is used so a bundle's meaning stays current. */
  readonly scopes: ReadonlyArray<string>
  /** The user who issued the key: the key never holds more than this user holds at the time of use. */
  readonly issuedBy: string
  readonly secretHash: string
}

/** The key's new description and grants, in full (not a diff), so each event reads on its own. */
export type KeyUpdated = DomainEvent<"KeyUpdated", {
  readonly keyId: string
  readonly name: string
  readonly description: string
  readonly permissions: ReadonlyArray<Permission>
  readonly scopes: ReadonlyArray<string>
}>

/** Final: a revoked key never works again. */
export type KeyRevoked = DomainEvent<"KeyRevoked", { readonly keyId: string }>

/** Temporary: an administrator stops an abused key; `KeyResumed` lifts it. */
export type KeySuspended = DomainEvent<"KeySuspended", { readonly keyId: string; readonly reason?: string }>
export type KeyResumed = DomainEvent<"KeyResumed", { readonly keyId: string }>

export type ApiKeyEvent = KeyIssued | KeyUpdated | KeyRevoked | KeySuspended | KeyResumed
