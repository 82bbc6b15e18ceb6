// A realistic event log for the replay benchmark, appended with the BUILT SQLite adapter
// (`npx tsc -b tsconfig.build.json` first).
//
//   import { generateReplayLog } from "./replay-log.mjs"
//   await generateReplayLog({ path: "/tmp/x/events.db", events: 1_000_000 })  // => { events, seconds, appendSeconds }
//
// `appendSeconds` is the time spent in the store's appends alone (the events of a round are generated
// before its appends start): the rate at which the same events are appended to the log in batches,
// which is what a replay of this log is measured against.
//
// The mix, per 1,000,000 events: 3 domains with 4 collections each; ~1,500 users registered with their
// username and group events; ~50% record creations and ~37% record updates (partial changes to records
// created earlier), ~1% deletions; ~8% logins (succeeded and failed) and ~4% sessions opened/refreshed.
import { randomUUID } from "node:crypto"
import { makeSqliteEventStore } from "@machhub/adapters"
import { Effect } from "effect"

const DOMAINS = ["acme", "globex", "initech"]
const TABLES = ["sensors", "machines", "orders", "readings"]
const BASE_TIME = Date.parse("2025-01-01T00:00:00.000Z")

/** Time-ordered ids shaped like UUIDv7 (see store-append.mjs for why not core's uuidv7). */
let sequence = 0
const timeOrderedId = () => {
  const ms = Date.now().toString(16).padStart(12, "0")
  const counter = (sequence++ & 0xfff).toString(16).padStart(3, "0")
  return `${ms.slice(0, 8)}-${ms.slice(8)}-7${counter}-${randomUUID().slice(19)}`
}

/** A small deterministic PRNG, so every run generates the same log shape. */
const prng = (seed) => () => {
  seed = (seed * 1664525 + 1013904223) >>> 0
  return seed / 2 ** 32
}

class LogShape {
  constructor(total) {
    this.total = total
    this.random = prng(42)
    this.n = 0
    this.users = [] // { id, domain, username }
    this.records = [] // { domain, table, id, alive }
    this.sessions = [] // { domain, id }
  }

  meta(domain, actorId, offset) {
    return {
      domain,
      actor: actorId === null ? { kind: "system", id: "system" } : { kind: "user", id: actorId },
      correlationId: randomUUID(),
      causationId: null,
      commandId: randomUUID(),
      at: new Date(BASE_TIME + (this.n + offset) * 10).toISOString()
    }
  }

  pick(list) {
    return list[Math.floor(this.random() * list.length)]
  }

  /** The events of one command: [stream, events[]]. */
  next() {
    const event = (type, data, domain, actor, offset = 0) => ({ id: timeOrderedId(), type, data, meta: this.meta(domain, actor, offset) })
    if (this.n === 0) {
      // Setup: domains, their groups and collections.
      const appends = []
      for (const domain of DOMAINS) {
        appends.push([`domain-machhub_admin-${domain}`, [event("DomainCreated", { name: domain }, "machhub_admin", null)]])
        appends.push([`group-${domain}-operators`, [event("GroupCreated", { name: "operators", permissions: [{ feature: "collections", action: "write", scope: "domain" }] }, domain, null)]])
        for (const table of TABLES) {
          appends.push([`collection-${domain}-${table}`, [event("CollectionDefined", { table, schema: null, access: { owner: "domain", publicRead: false, publicWrite: false } }, domain, null)]])
        }
      }
      return appends
    }
    const r = this.random()
    const domain = this.pick(DOMAINS)
    if (this.users.length < 50 || r < 0.0015) {
      const id = randomUUID()
      const username = `user${this.users.length}`
      this.users.push({ id, domain, username })
      return [[`user-${domain}-${id}`, [
        event("UserRegistered", {
          userId: id,
          username,
          passwordHash: "$scrypt$ln=17,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNo",
          memberships: [{ domain, groups: ["operators"] }]
        }, domain, null),
        event("MembershipSet", { userId: id, membership: { domain, groups: ["operators"], role: "user" } }, domain, null, 1)
      ]]]
    }
    const user = this.pick(this.users)
    if (r < 0.07) {
      return [[`user-${user.domain}-${user.id}`, [event("LoginSucceeded", { userId: user.id, username: user.username, address: "10.0.0.7" }, user.domain, user.id)]]]
    }
    if (r < 0.08) {
      return [[`user-${user.domain}-${user.id}`, [event("LoginFailed", { userId: user.id, username: user.username, reason: "bad_password", address: "10.0.0.9" }, user.domain, null)]]]
    }
    if (r < 0.10) {
      const id = randomUUID()
      this.sessions.push({ domain: user.domain, id })
      return [[`session-${user.domain}-${id}`, [event("SessionOpened", { sessionId: id, userId: user.id, refreshExpiresAt: 1_900_000_000, address: "10.0.0.7" }, user.domain, user.id)]]]
    }
    if (r < 0.12 && this.sessions.length > 0) {
      const session = this.pick(this.sessions)
      return [[`session-${session.domain}-${session.id}`, [event("SessionRefreshed", { sessionId: session.id }, session.domain, user.id)]]]
    }
    if (r < 0.62 || this.records.length < 100) {
      const table = this.pick(TABLES)
      const id = `r${this.records.length.toString(36)}`
      this.records.push({ domain, table, id, alive: true })
      const data = {
        name: `${table}-${this.records.length}`,
        machine: `press-${this.records.length % 97}`,
        value: Math.round(this.random() * 10_000) / 100,
        unit: "C",
        tags: ["line-1", table],
        active: true
      }
      return [[`record-${domain}-${table}:${id}`, [event("RecordCreated", { table, id, data, creator: { kind: "user", id: user.id } }, domain, user.id)]]]
    }
    // Most updates touch recent records (a record is edited soon after it is created), some any record.
    const record = this.random() < 0.8
      ? this.records[this.records.length - 1 - Math.floor(this.random() * Math.min(this.records.length, 5_000))]
      : this.pick(this.records)
    if (r < 0.99 || !record.alive) {
      const changes = { value: Math.round(this.random() * 10_000) / 100, active: this.random() < 0.9 }
      return [[`record-${record.domain}-${record.table}:${record.id}`, [event("RecordUpdated", { table: record.table, id: record.id, changes }, record.domain, user.id)]]]
    }
    record.alive = false
    return [[`record-${record.domain}-${record.table}:${record.id}`, [event("RecordDeleted", { table: record.table, id: record.id }, record.domain, user.id)]]]
  }
}

/**
 * Appends about `events` events (it stops at the first command that reaches the count) to a fresh
 * SQLite log at `path`. Commands are generated in rounds; within a round each stream gets ONE append
 * (its events in order), and all appends of a round run concurrently, so group commit batches them
 * while every stream's versions stay in decision order.
 */
export async function generateReplayLog({ path, events = 1_000_000, round = 20_000 }) {
  const started = performance.now()
  const shape = new LogShape(events)
  let generated = 0
  let appendMillis = 0
  await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const store = yield* makeSqliteEventStore({ path })
    while (generated < events) {
      const byStream = new Map()
      let inRound = 0
      while (inRound < round && generated + inRound < events) {
        for (const [stream, list] of shape.next()) {
          const pending = byStream.get(stream)
          if (pending === undefined) byStream.set(stream, [...list])
          else pending.push(...list)
          inRound += list.length
        }
        shape.n++
      }
      const appending = performance.now()
      yield* Effect.forEach([...byStream], ([stream, list]) => store.append(stream, "any", list), { concurrency: "unbounded", discard: true })
      appendMillis += performance.now() - appending
      generated += inRound
    }
    const flushing = performance.now()
    yield* store.flush
    appendMillis += performance.now() - flushing
  })))
  return { events: generated, seconds: (performance.now() - started) / 1000, appendSeconds: appendMillis / 1000 }
}
