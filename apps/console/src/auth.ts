import { api, apiRaw, domainHeader } from "./api"
import { clearSession, getSession, updateSession, type Credential, type Me } from "./session"

/** Sign in and out (SPEC §2): a JWT from `POST /auth/login`, or a session from `POST /sessions`. */

export type SignInMode = "session" | "jwt"

export const signIn = async (username: string, password: string, mode: SignInMode, domain: string): Promise<void> => {
  let credential: Credential
  if (mode === "jwt") {
    const { tkn } = await api<{ tkn: string }>("POST", "/auth/login", { username, password }, { anonymous: true })
    credential = { kind: "jwt", token: tkn }
  } else {
    // btoa takes Latin-1 only: encode the credentials as UTF-8 bytes first.
    const basic = btoa(String.fromCharCode(...new TextEncoder().encode(`${username}:${password}`)))
    const opened = await api<{ access_token: string; refresh_token: string; session_id: string }>("POST", "/sessions", undefined, {
      anonymous: true,
      headers: { Authorization: `Basic ${basic}`, Domain: domainHeader(domain) }
    })
    credential = { kind: "session", token: opened.access_token, refreshToken: opened.refresh_token, sessionId: opened.session_id }
  }
  updateSession({ credential, domain, me: undefined })
  await loadMe()
}

/** Reads the caller in the active domain; a refusal ends the sign-in (the gate shows why). */
export const loadMe = async (): Promise<Me> => {
  const me = await api<Me>("GET", "/api/me")
  updateSession({ me })
  return me
}

export const switchDomain = async (domain: string): Promise<void> => {
  const previous = getSession().domain
  updateSession({ domain, me: undefined })
  try {
    await loadMe()
  } catch (error) {
    updateSession({ domain: previous })
    await loadMe().catch(() => undefined)
    throw error
  }
}

export const signOut = async (): Promise<void> => {
  const credential = getSession().credential
  // A session is ended on the server too, so its refresh token stops working; a JWT simply expires.
  if (credential?.kind === "session") await apiRaw("DELETE", `/sessions/${encodeURIComponent(credential.sessionId)}`).catch(() => undefined)
  clearSession()
}
