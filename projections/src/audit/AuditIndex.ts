import type Database from "better-sqlite3"
import { auditKey } from "./auditKey.js"

/** An audit query on the index: `from` and any of the rest, combined with AND. */
export interface AuditFilter {
  /** First position to consider (inclusive). */
  readonly from: number
  /** Last position to consider (inclusive): an export's snapshot of the log, say. */
  readonly to?: number | undefined
  readonly domain?: string | undefined
  readonly type?: string | undefined
  /** The actor's id (a user id, key id, `anonymous` or `system`). */
  readonly actor?: string | undefined
  /** Event time bounds (`meta.at`), inclusive, in ms since the epoch. */
  readonly since?: number | undefined
  readonly until?: number | undefined
}

type Plan = "actor" | "domain_type" | "domain" | "time"

/**
 * Finds the positions of matching events, in log order. The plan is chosen here, not left to SQLite's
 * planner (`INDEXED BY`): each filter combination seeks the index that ends in `position` for its most
 * selective equality, so a page costs about the same at the start or the end of a huge log:
 * - actor given → (actor, position), the rest checked on the row;
 * - domain and type → (domain, type, position); domain alone → (domain, position);
 * - type alone (an all-domain auditor) → (domain, type, position) once per domain, merged;
 * - only time, or nothing → the rowid itself.
 *
 * Time bounds become position bounds through the monotone `at_max` (one seek each), `until` widened by
 * the largest clock step back ever seen (`skew`), and are then checked exactly on `at`: exact even when
 * a clock stepped back, and as cheap as a position range when none did.
 *
 * Keys are hashes: callers check the events they read against the real values (see auditKey).
 */
export const makeAuditIndex = (db: Database.Database) => {
  const statements = new Map<string, Database.Statement>()
  const firstAtOrAfter = db.prepare<[number], number>(
    "SELECT position FROM audit_events WHERE at_max >= ? ORDER BY at_max, position LIMIT 1"
  ).pluck()
  const lastAtOrBefore = db.prepare<[number], number>(
    "SELECT position FROM audit_events WHERE at_max <= ? ORDER BY at_max DESC, position DESC LIMIT 1"
  ).pluck()
  const skew = db.prepare<[], number>("SELECT value FROM audit_meta WHERE key = 'skew'").pluck()
  // A loose index scan: each distinct domain key is one seek, however many events each has.
  const domainKeys = db.prepare<[], number>(`WITH RECURSIVE d(k) AS (
      SELECT min(domain) FROM audit_events INDEXED BY audit_by_domain
      UNION ALL
      SELECT (SELECT min(domain) FROM audit_events INDEXED BY audit_by_domain WHERE domain > d.k) FROM d WHERE d.k IS NOT NULL
    ) SELECT k FROM d WHERE k IS NOT NULL`).pluck()

  const statementFor = (plan: Plan, has: { domain: boolean; type: boolean; since: boolean; until: boolean }): Database.Statement => {
    const key = `${plan}:${has.domain ? "d" : ""}${has.type ? "t" : ""}${has.since ? "s" : ""}${has.until ? "u" : ""}`
    let statement = statements.get(key)
    if (statement === undefined) {
      const index = plan === "actor" ? "INDEXED BY audit_by_actor" : plan === "domain_type" ? "INDEXED BY audit_by_domain_type" : plan === "domain" ? "INDEXED BY audit_by_domain" : ""
      const where = ["position >= @from", "position <= @to"]
      if (plan === "actor") where.push("actor = @actor")
      if (has.domain) where.push("domain = @domain")
      if (has.type) where.push("type = @type")
      if (has.since) where.push("at >= @since")
      if (has.until) where.push("at <= @until")
      statement = db.prepare(`SELECT position FROM audit_events ${index} WHERE ${where.join(" AND ")} ORDER BY position LIMIT @limit`).pluck()
      statements.set(key, statement)
    }
    return statement
  }

  return {
    /** Up to `limit` positions of (probably) matching events, ascending. */
    positions: (filter: AuditFilter, limit: number): Array<number> => {
      let from = filter.from
      let to = filter.to ?? Number.MAX_SAFE_INTEGER
      if (filter.since !== undefined) {
        const first = firstAtOrAfter.get(filter.since)
        if (first === undefined) return []
        from = Math.max(from, first)
      }
      if (filter.until !== undefined) {
        // Any event at or before `until` has at_max <= until + skew, and at_max never decreases.
        const last = lastAtOrBefore.get(filter.until + (skew.get() ?? 0))
        if (last === undefined) return []
        to = Math.min(to, last)
      }
      if (from > to || limit <= 0) return []
      const params: Record<string, number> = { from, to, limit }
      if (filter.domain !== undefined) params["domain"] = auditKey("domain", filter.domain)
      if (filter.type !== undefined) params["type"] = auditKey("type", filter.type)
      if (filter.actor !== undefined) params["actor"] = auditKey("actor", filter.actor)
      if (filter.since !== undefined) params["since"] = filter.since
      if (filter.until !== undefined) params["until"] = filter.until
      const has = { domain: filter.domain !== undefined, type: filter.type !== undefined, since: filter.since !== undefined, until: filter.until !== undefined }

      if (filter.actor !== undefined) return statementFor("actor", has).all(params) as Array<number>
      if (has.domain) return statementFor(has.type ? "domain_type" : "domain", has).all(params) as Array<number>
      if (has.type) {
        const statement = statementFor("domain_type", { ...has, domain: true })
        const merged: Array<number> = []
        for (const domain of domainKeys.all()) merged.push(...(statement.all({ ...params, domain }) as Array<number>))
        return merged.sort((a, b) => a - b).slice(0, limit)
      }
      return statementFor("time", has).all(params) as Array<number>
    }
  }
}

export type AuditIndex = ReturnType<typeof makeAuditIndex>
