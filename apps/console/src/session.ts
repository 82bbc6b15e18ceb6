import { useSyncExternalStore } from "react"

/**
 * Who is signed in: the credential, the active domain and the caller as the server answers it on
 * `GET /api/me`. Kept in localStorage so a reload keeps the sign-in; the credential is the only secret
 * stored (a developer key's secret never is).
 */

export interface Permission {
  readonly feature: string
  readonly action: string
  readonly scope: string
}

/** `GET /api/me`. */
export interface Me {
  readonly kind: "user" | "key"
  readonly id: string
  readonly userId: string
  readonly username: string
  readonly domain: string
  readonly groups: ReadonlyArray<string>
  readonly superuser: boolean
  readonly permissions: ReadonlyArray<Permission>
}

/**
 * How the console signed in: a 24 h JWT from `POST /auth/login`, or a session from `POST /sessions`
 * (a 5 min access token renewed with the refresh token, see api.ts).
 */
export type Credential =
  | { readonly kind: "jwt"; readonly token: string }
  | { readonly kind: "session"; readonly token: string; readonly refreshToken: string; readonly sessionId: string }

export interface SessionState {
  readonly credential: Credential | undefined
  /** The domain name without the `domains:` prefix. */
  readonly domain: string
  readonly me: Me | undefined
}

const STORAGE_KEY = "machhub.console.session"
export const DEFAULT_DOMAIN = "machhub_admin"

const load = (): SessionState => {
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null") as { credential?: Credential; domain?: string } | null
    return { credential: stored?.credential, domain: stored?.domain ?? DEFAULT_DOMAIN, me: undefined }
  } catch {
    return { credential: undefined, domain: DEFAULT_DOMAIN, me: undefined }
  }
}

let state: SessionState = load()
const listeners = new Set<() => void>()

const persist = (): void => {
  if (state.credential === undefined) localStorage.removeItem(STORAGE_KEY)
  else localStorage.setItem(STORAGE_KEY, JSON.stringify({ credential: state.credential, domain: state.domain }))
}

export const getSession = (): SessionState => state

export const updateSession = (change: Partial<SessionState>): void => {
  state = { ...state, ...change }
  persist()
  for (const listener of listeners) listener()
}

export const clearSession = (): void => updateSession({ credential: undefined, me: undefined })

const subscribe = (listener: () => void): (() => void) => {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

export const useSession = (): SessionState => useSyncExternalStore(subscribe, getSession)

const ACTION_RANK: Readonly<Record<string, number>> = { read: 1, "read-write": 2 }
const SCOPE_RANK: Readonly<Record<string, number>> = { nil: 0, self: 1, domain: 2, all: 3 }

/**
 * Whether the signed-in caller holds `feature:action` in the active domain (SPEC §3): read-write
 * implies read; any scope above `nil` counts (a `self` scope still lets the caller act on its own
 * objects). Superusers may do everything. The server decides in the end; this only hides controls.
 */
export const can = (feature: string, action: "read" | "read-write" = "read", me: Me | undefined = state.me): boolean => {
  if (me === undefined) return false
  if (me.superuser) return true
  return me.permissions.some((permission) =>
    permission.feature === feature &&
    (ACTION_RANK[permission.action] ?? 0) >= (ACTION_RANK[action] ?? 99) &&
    (SCOPE_RANK[permission.scope] ?? 0) > 0
  )
}

/** `can` bound to the current session, re-rendering when it changes. */
export const useCan = (): ((feature: string, action?: "read" | "read-write") => boolean) => {
  const { me } = useSession()
  return (feature, action = "read") => can(feature, action, me)
}
