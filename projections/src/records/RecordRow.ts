/** A record as its collection table holds it. */
export interface RecordRow {
  readonly id: string
  readonly data: string
  readonly creator: string
  readonly created: string
  readonly updated: string
  readonly version: number
}

/** The public id of a record: `<domain>.<table>:<id>` (SPEC §6). */
export const publicRecordId = (domain: string, table: string, id: string): string => `${domain}.${table}:${id}`

const RECORD_ID = /^([a-z0-9][a-z0-9_]{0,62})\.([A-Za-z][A-Za-z0-9_]{0,63}):([A-Za-z0-9_-]{1,128})$/

export const parsePublicRecordId = (value: string): { domain: string; table: string; id: string } | undefined => {
  const match = RECORD_ID.exec(value)
  return match === null ? undefined : { domain: match[1]!, table: match[2]!, id: match[3]! }
}

/**
 * The record as the API answers it: its own fields plus `id` and `_meta`. Built by splicing the stored
 * JSON text rather than parsing and re-serializing it: listing pages is the hot path.
 */
export const recordJson = (domain: string, table: string, row: RecordRow): string => {
  const extra = `"id":${JSON.stringify(publicRecordId(domain, table, row.id))},"_meta":{"created":${JSON.stringify(row.created)},"updated":${JSON.stringify(row.updated)},"creator":${JSON.stringify(row.creator)},"version":${row.version}}`
  return row.data.length <= 2 ? `{${extra}}` : `${row.data.slice(0, -1)},${extra}}`
}

export const recordObject = (domain: string, table: string, row: RecordRow): Record<string, unknown> => ({
  ...(JSON.parse(row.data) as Record<string, unknown>),
  id: publicRecordId(domain, table, row.id),
  _meta: { created: row.created, updated: row.updated, creator: row.creator, version: row.version }
})
