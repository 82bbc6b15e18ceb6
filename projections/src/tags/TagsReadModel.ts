import type Database from "better-sqlite3"
import type { HistorizeSettings, RecordedEvent, TagAccess, TagDefined, TagRemoved } from "@machhub/core"

/** A defined tag as read: its definition, whether a value created it, and its stream's version (for If-Match). */
export interface TagRow {
  readonly topic: string
  readonly description?: string
  readonly access: TagAccess
  readonly historize?: HistorizeSettings
  readonly autocreated: boolean
  readonly version: number
  readonly createdAt: string
  readonly updatedAt: string
}

interface RawTagRow {
  topic: string
  description: string | null
  access: string
  historize: string | null
  autocreated: number
  version: number
  created_at: string
  updated_at: string
}

const toRow = (raw: RawTagRow): TagRow => ({
  topic: raw.topic,
  ...(raw.description === null ? {} : { description: raw.description }),
  access: raw.access as TagAccess,
  ...(raw.historize === null ? {} : { historize: JSON.parse(raw.historize) as HistorizeSettings }),
  autocreated: raw.autocreated === 1,
  version: raw.version,
  createdAt: raw.created_at,
  updatedAt: raw.updated_at
})

/** Lookups kept in memory at most; past it the cache starts over (a lookup costs one indexed read). */
const MAX_CACHED = 50_000

/**
 * Queries over the tags read model, always within one domain: another domain's tag is never found.
 * `get` is on the value path (every published value asks whether its topic is defined and how it is
 * kept), so with `onApplied` its answers, "not defined" included, are kept in memory and each is
 * dropped when an event of its tag is applied, before the writer's answer goes out.
 */
export const makeTagsReadModel = (db: Database.Database, onApplied?: (listener: (events: ReadonlyArray<RecordedEvent>) => void) => void) => {
  const one = db.prepare<[string, string], RawTagRow>("SELECT * FROM tags WHERE domain = ? AND topic = ?")
  const all = db.prepare<[string], RawTagRow>("SELECT * FROM tags WHERE domain = ? ORDER BY topic")
  const kept = db.prepare<[string], RawTagRow>("SELECT * FROM tags WHERE domain = ? AND historize IS NOT NULL ORDER BY topic")
  const cache = new Map<string, TagRow | null>()
  const keyOf = (domain: string, topic: string) => `${domain}\u0000${topic}`
  onApplied?.((events) => {
    for (const event of events) {
      if (event.type === "TagDefined" || event.type === "TagRemoved") {
        cache.delete(keyOf(event.meta.domain, (event.data as (TagDefined | TagRemoved)["data"]).topic))
      }
    }
  })
  return {
    get: (domain: string, topic: string): TagRow | undefined => {
      const key = keyOf(domain, topic)
      const known = cache.get(key)
      if (known !== undefined) return known ?? undefined
      const raw = one.get(domain, topic)
      const row = raw === undefined ? null : toRow(raw)
      if (onApplied !== undefined) {
        if (cache.size >= MAX_CACHED) cache.clear()
        cache.set(key, row)
      }
      return row ?? undefined
    },
    /** The domain's tags, by topic. */
    list: (domain: string): Array<TagRow> => all.all(domain).map(toRow),
    /** The domain's historized tags, by topic. */
    historized: (domain: string): Array<TagRow> => kept.all(domain).map(toRow)
  }
}

export type TagsReadModel = ReturnType<typeof makeTagsReadModel>
