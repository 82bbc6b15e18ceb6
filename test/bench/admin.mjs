// The bench modules start their servers with this bootstrap admin password and log in with it, so
// they share one copy: a module that differed would never get a token.
export const ADMIN_PASSWORD = "bench-admin-password"

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/**
 * Logs in as the bootstrap admin and resolves with the token, retrying every `intervalMs` (up to 400
 * tries): a server can listen before it has created the admin, or on a node, before its read models
 * know it.
 */
export const waitForAdminLogin = async (url, { intervalMs = 50 } = {}) => {
  for (let i = 0; i < 400; i++) {
    const response = await fetch(`${url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD })
    }).catch(() => undefined)
    if (response?.status === 200) return (await response.json()).tkn
    // An unread body would hold its connection until it is collected.
    await response?.body?.cancel()
    await sleep(intervalMs)
  }
  throw new Error(`the bootstrap admin never became able to log in on ${url}`)
}
