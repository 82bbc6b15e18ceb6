import type { RecordedEvent } from "@machhub/core"
import type { MqttFront } from "@machhub/adapters"
import { isRefusal, type Principal } from "../auth/Principal.js"
import type { ServerClientAccess } from "./mqttAccess.js"

/** Categories whose events can change who a client is or what it may do (as the principal cache sees them). */
const ACCESS_CATEGORIES = new Set(["user", "group", "session", "domain", "apikey"])
/** Events of those categories that only record an attempt or add something new. */
const HARMLESS_TYPES = new Set(["LoginSucceeded", "LoginFailed", "SessionOpened", "SessionRefreshed", "UserRegistered", "DomainCreated", "KeyIssued", "KeyUsed"])
/** Tokens expire while clients stay connected: every connection is checked again this often anyway. */
const PERIODIC_SWEEP_MS = 60_000

const touchesAccess = (events: ReadonlyArray<RecordedEvent>): boolean =>
  events.some((event) => ACCESS_CATEGORIES.has(event.stream.slice(0, event.stream.indexOf("-"))) && !HARMLESS_TYPES.has(event.type))

const sameGrants = (a: Principal, b: Principal): boolean =>
  a.superuser === b.superuser && a.domain === b.domain && JSON.stringify(a.permissions) === JSON.stringify(b.permissions)

/**
 * MQTT connections last; credentials do not. Whenever access may have changed (a key revoked or
 * suspended, a user disabled, a session ended, a group's permissions changed) and once a minute (a
 * token expired), every connection's credential is checked again as at CONNECT: a connection whose
 * credential is refused now, or whose permissions changed, is ended (MQTT 5: DISCONNECT "not
 * authorized"); the client may connect again with what it holds now. A key over its request rate
 * is not a reason to end a connection.
 */
export const startAccessSweep = (front: MqttFront, onApplied: (listener: (events: ReadonlyArray<RecordedEvent>) => void) => void) => {
  let scheduled = false
  let stopped = false

  const check = (access: ServerClientAccess) => {
    const end = () => front.disconnectWhere((candidate) => candidate === access)
    const decide = (outcome: Awaited<ReturnType<ServerClientAccess["recheck"]>>) => {
      if (isRefusal(outcome)) {
        if (outcome.status !== 429) end()
      } else if (!sameGrants(outcome, access.principal)) {
        end()
      }
    }
    const outcome = access.recheck()
    if (outcome instanceof Promise) outcome.then(decide, () => {})
    else decide(outcome)
  }

  const sweep = () => {
    scheduled = false
    if (stopped) return
    for (const access of front.sessions()) check(access as ServerClientAccess)
  }

  onApplied((events) => {
    if (scheduled || stopped || !touchesAccess(events)) return
    scheduled = true
    // After the batch is applied everywhere (the principal cache drops its entries in the same call).
    setImmediate(sweep)
  })
  const timer = setInterval(sweep, PERIODIC_SWEEP_MS)
  timer.unref()
  return {
    stop: () => {
      stopped = true
      clearInterval(timer)
    }
  }
}
