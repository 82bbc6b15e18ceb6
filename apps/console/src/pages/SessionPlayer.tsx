import { api, apiRaw } from "../api"
import { useRoute } from "../router"
import { useSession } from "../session"
import { CastPlayer } from "../components/CastPlayer"
import { ErrorMessage } from "../components/Messages"
import { useLoad } from "../components/useLoad"
import { playerHref, sessionOfStream, type AuditPage } from "../components/auditEvents"
import "../components/dataPages.css"

/**
 * Recorded SSH sessions for auditors (audit:read): the sessions opened in the domain (their
 * `TerminalOpened` events) and the chosen one played back with asciinema-player from the asciicast
 * route. `#/ssh-sessions?session=<id>&domain=<domain>` opens one directly (the audit log links here).
 */
export default function SessionPlayerPage() {
  const session = useSession()
  const route = useRoute()
  const chosen = route.query.get("session") ?? undefined
  const domain = route.query.get("domain") ?? session.domain
  const opened = useLoad(() => api<AuditPage>("GET", "/api/audit/events?type=TerminalOpened&limit=500"), [session.domain])
  const cast = useLoad(async () => {
    if (chosen === undefined) return undefined
    const params = new URLSearchParams({ format: "asciicast", ...(domain === session.domain ? {} : { domain }) })
    return (await apiRaw("GET", `/api/audit/ssh/${encodeURIComponent(chosen)}?${params}`)).text()
  }, [chosen, domain])

  const sessions = (opened.data?.events ?? []).map((event) => {
    const data = event.data as { hostname?: string; username?: string; port?: string; ownerId?: string }
    return { id: sessionOfStream(event.stream, event.meta.domain) ?? event.stream, domain: event.meta.domain, at: event.meta.at, data, actor: event.meta.actor }
  }).reverse()

  return (
    <section className="data-page" aria-labelledby="sessions-title">
      <h1 id="sessions-title">SSH sessions</h1>
      {chosen === undefined ? null : (
        <>
          <ErrorMessage error={cast.error} />
          {cast.data === undefined ? (cast.loading ? <p>Loading the recording…</p> : null) : <CastPlayer cast={cast.data} title={`Session ${chosen}`} />}
        </>
      )}
      <ErrorMessage error={opened.error} />
      <table>
        <caption>Recorded sessions, newest first</caption>
        <thead><tr><th scope="col">Opened</th><th scope="col">Machine</th><th scope="col">By</th><th scope="col"><span className="sr-only">Play</span></th></tr></thead>
        <tbody>
          {sessions.length === 0 ? <tr><td colSpan={4}>{opened.loading ? "Loading…" : "No recorded sessions."}</td></tr> : null}
          {sessions.map((s) => (
            <tr key={`${s.domain}-${s.id}`} aria-current={s.id === chosen ? "true" : undefined}>
              <td>{new Date(s.at).toLocaleString()}</td>
              <td>{s.data.username}@{s.data.hostname}:{s.data.port}</td>
              <td>{s.actor.kind}:{s.actor.id}</td>
              <td><a href={playerHref(s.id, s.domain)}>Play</a></td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
