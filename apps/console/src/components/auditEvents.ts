/** An event as the audit routes answer it (adapters' eventJson). */
export interface AuditEvent {
  readonly id: string
  readonly stream: string
  readonly version: number
  readonly position: number
  readonly type: string
  readonly data: unknown
  readonly meta: {
    readonly domain: string
    readonly actor: { readonly kind: string; readonly id: string }
    readonly correlationId: string
    readonly at: string
  }
}

export interface AuditPage {
  readonly events: ReadonlyArray<AuditEvent>
  readonly next: number | null
}

/** The route to the SSH session player for a recorded session. */
export const playerHref = (session: string, domain: string): string =>
  `#/ssh-sessions?${new URLSearchParams({ session, domain })}`

/** A recorded SSH session's id from its stream name `sshsession-<domain>-<ticket>`. */
export const sessionOfStream = (stream: string, domain: string): string | undefined => {
  const prefix = `sshsession-${domain}-`
  return stream.startsWith(prefix) ? stream.slice(prefix.length) : undefined
}
