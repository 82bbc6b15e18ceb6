import type { SshConnection } from "@machhub/adapters"
import type { HostKey } from "@machhub/core"

/** An open SSH connection waiting for its terminal socket. */
export interface PendingTerminal {
  readonly ticket: string
  /** The only user who may claim it, and the domain the connect happened in. */
  readonly userId: string
  readonly domain: string
  readonly machineId: number
  readonly hostname: string
  readonly port: string
  readonly username: string
  readonly hostKey: HostKey
  readonly connection: SshConnection
}

/**
 * Tickets returned by `connect` (SPEC §9): single use, bound to the user, valid for `ttlMillis`. The
 * SSH connection lives in this process's memory, so the socket must reach the node that connected
 * (the seed keeps it in memory too). A ticket that lapses unclaimed closes its connection; a
 * connection that drops while waiting takes its ticket with it.
 */
export class TerminalTickets {
  private readonly pending = new Map<string, { readonly entry: PendingTerminal; readonly timer: NodeJS.Timeout }>()
  private closed = false

  constructor(private readonly ttlMillis: number, private readonly onLapse: (entry: PendingTerminal) => void = () => {}) {}

  issue(entry: PendingTerminal): void {
    // A connect that finishes while the server stops has nobody left to claim it.
    if (this.closed) return entry.connection.close()
    const timer = setTimeout(() => {
      if (this.pending.get(entry.ticket)?.entry !== entry) return
      this.pending.delete(entry.ticket)
      entry.connection.close()
      this.onLapse(entry)
    }, this.ttlMillis)
    timer.unref()
    this.pending.set(entry.ticket, { entry, timer })
    entry.connection.onClose(() => {
      const held = this.pending.get(entry.ticket)
      if (held?.entry !== entry) return
      clearTimeout(held.timer)
      this.pending.delete(entry.ticket)
    })
  }

  /** Looks without claiming (the claim waits until the caller is authenticated). */
  peek(ticket: string): PendingTerminal | undefined {
    return this.pending.get(ticket)?.entry
  }

  /** Takes the ticket for good: a second claim finds nothing. */
  claim(ticket: string): PendingTerminal | undefined {
    const held = this.pending.get(ticket)
    if (held === undefined) return undefined
    clearTimeout(held.timer)
    this.pending.delete(ticket)
    return held.entry
  }

  /** Invalidates the unclaimed tickets of one machine and closes their connections (the machine was deleted). */
  revokeMachine(domain: string, machineId: number): Array<PendingTerminal> {
    const revoked: Array<PendingTerminal> = []
    for (const [ticket, { entry, timer }] of this.pending) {
      if (entry.domain !== domain || entry.machineId !== machineId) continue
      clearTimeout(timer)
      this.pending.delete(ticket)
      entry.connection.close()
      revoked.push(entry)
    }
    return revoked
  }

  /** Closes every waiting connection and refuses new ones (server stop). */
  closeAll(): void {
    this.closed = true
    for (const { entry, timer } of this.pending.values()) {
      clearTimeout(timer)
      entry.connection.close()
    }
    this.pending.clear()
  }

  size(): number {
    return this.pending.size
  }
}
