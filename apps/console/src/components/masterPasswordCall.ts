import { api, ApiError } from "../api"
import { getSession } from "../session"

/**
 * A call that carries the master password. The SSH routes answer a wrong master password with 401,
 * which api() would take for an ended sign-in (and sign the user out); so the credential is sent
 * explicitly here, and only a 401 that is not about the master password goes through api() again
 * (which renews an expired session token, or ends a sign-in that is really over).
 */
export const masterPasswordCall = async <T,>(method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> => {
  const call = () => {
    const token = getSession().credential?.token
    return api<T>(method, path, body, { anonymous: true, headers: { ...headers, ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }) } })
  }
  try {
    return await call()
  } catch (failure) {
    if (!(failure instanceof ApiError) || failure.status !== 401 || /master password/i.test(failure.message)) throw failure
    await api("GET", "/api/me")
    return call()
  }
}
