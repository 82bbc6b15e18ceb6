/**
 * A browser cannot put an Authorization header on a WebSocket or on a page opened by a link: the
 * SSH terminal socket (`/ssh`) and the Node-RED editor (`/flows`) read the same token from cookie
 * `jwt` instead (SPEC §2). The cookie is scoped to that path only, strict same-site, and short-lived.
 */
export const setAuthCookie = (token: string, path: "/ssh" | "/flows"): void => {
  const secure = location.protocol === "https:" ? "; Secure" : ""
  document.cookie = `jwt=${encodeURIComponent(token)}; Path=${path}; Max-Age=600; SameSite=Strict${secure}`
}
