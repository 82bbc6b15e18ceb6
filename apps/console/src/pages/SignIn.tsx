import { useState, type FormEvent } from "react"
import { signIn, type SignInMode } from "../auth"
import { Button, ErrorMessage, TextField } from "../components"
import { DEFAULT_DOMAIN, getSession } from "../session"

/**
 * Sign in with username and password (SPEC §2): a session (5 min access token, renewed with the
 * refresh token while the console is open) or a 24 h token from /auth/login.
 */
export default function SignIn() {
  const [username, setUsername] = useState("")
  const [password, setPassword] = useState("")
  const [domain, setDomain] = useState(getSession().domain || DEFAULT_DOMAIN)
  const [mode, setMode] = useState<SignInMode>("session")
  const [error, setError] = useState<unknown>()
  const [busy, setBusy] = useState(false)

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      await signIn(username.trim(), password, mode, domain.trim().replace(/^domains:/, "") || DEFAULT_DOMAIN)
    } catch (failure) {
      setError(failure)
    } finally {
      setBusy(false)
    }
  }

  return (
    <main className="centered">
      <form className="card sign-in" onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to machhub</h1>
        <TextField label="Username" name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} autoFocus />
        <TextField label="Password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <TextField label="Domain" name="domain" value={domain} onChange={(e) => setDomain(e.target.value)} hint="The domain to open; you can switch later among yours." />
        <fieldset className="choice">
          <legend>Sign in with</legend>
          <label><input type="radio" name="mode" value="session" checked={mode === "session"} onChange={() => setMode("session")} /> A session (renewed while open, ended at sign-out)</label>
          <label><input type="radio" name="mode" value="jwt" checked={mode === "jwt"} onChange={() => setMode("jwt")} /> A 24-hour token</label>
        </fieldset>
        <ErrorMessage error={error} />
        <Button type="submit" variant="primary" disabled={busy}>{busy ? "Signing in…" : "Sign in"}</Button>
      </form>
    </main>
  )
}
