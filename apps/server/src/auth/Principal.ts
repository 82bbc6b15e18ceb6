import type { ActorRef, Permission } from "@machhub/core"

/** Who is calling, in which domain, with which permissions there: the outcome of authentication. */
export interface Principal {
  readonly kind: "user" | "key"
  /** User id, or key id for a key. */
  readonly id: string
  /** The user acting: the user, or the key's issuer. */
  readonly userId: string
  readonly username: string
  /** The active domain (from the `Domain` header) the permissions below apply to. */
  readonly domain: string
  readonly groups: ReadonlyArray<string>
  readonly permissions: ReadonlyArray<Permission>
  /** Bypasses every check in the active domain (group superuser there, or a global superuser). */
  readonly superuser: boolean
  /** Superuser of the admin domain: may act in every domain and create domains. */
  readonly globalSuperuser: boolean
  readonly sessionId: string | undefined
}

/** Why a request is refused before its handler runs. */
export interface Refusal {
  readonly status: 401 | 403 | 429
  readonly message: string
  readonly headers?: Readonly<Record<string, string>>
}

export const isRefusal = <T extends object>(value: T | Refusal): value is Refusal => "status" in value

export const actorOf = (principal: Principal): ActorRef => ({ kind: principal.kind, id: principal.id })

export const unauthorized = (message: string): Refusal => ({ status: 401, message, headers: { "WWW-Authenticate": 'Bearer realm="machhub"' } })
export const forbidden = (message: string): Refusal => ({ status: 403, message })
