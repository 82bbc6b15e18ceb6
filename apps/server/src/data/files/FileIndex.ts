import Database from "better-sqlite3"

/** A record field's file: the name the record holds, and the stored bytes it stands for. */
export interface FileEntry {
  readonly sha256: string
  readonly size: number
  /** The sniffed content type it is served with. */
  readonly type: string
}

export interface FileUpload extends FileEntry {
  readonly field: string
  /** The name as sent (the record field's value). */
  readonly name: string
}

/** Where one record's files are filed. */
export interface RecordKey {
  readonly domain: string
  readonly table: string
  readonly id: string
}

export interface PendingEntry extends RecordKey {
  readonly field: string
  readonly name: string
  readonly sha256: string
  readonly token: string
}

/**
 * Which bytes each file name of a record field stands for: `(domain, table, record, field, name) →
 * sha256, size, type`, in `files/index.db` of the data dir. The log holds only the names (a record's
 * field value), so this is what ties a name in any version of the record to its bytes.
 *
 * Within one record field a name stands for one content, forever: the log keeps every version and
 * `?asOf=` can show any of them, so a name once given to some bytes must keep meaning those bytes. A
 * new content sent under a name the field already used gets the name with a part of its hash added
 * (`photo.jpg` → `photo-1a2b3c4d5e6f.jpg`).
 *
 * A row is `pending` (holds the token of the upload that added it) until a logged version is known to
 * name it: an upload whose write was refused withdraws its rows; one whose outcome is unknown leaves
 * them for the check at the next start (see RecordFiles).
 */
export interface FileIndex {
  readonly find: (record: RecordKey, field: string, name: string) => FileEntry | undefined
  /**
   * Files the uploads under the names they will have (the sent name, or the suffixed one when the
   * field used that name for other bytes); rows not there yet are added, pending with `token`. One
   * transaction: two uploads racing for one name see each other.
   */
  readonly claim: (token: string, record: RecordKey, uploads: ReadonlyArray<FileUpload>) => ReadonlyArray<{ readonly name: string; readonly added: boolean }>
  /** A logged version names these: no longer pending (whichever upload added them). */
  readonly confirm: (record: RecordKey, names: ReadonlyArray<{ readonly field: string; readonly name: string }>) => void
  /** Drops the rows `token` added that are still pending: its write was not applied. */
  readonly withdraw: (token: string) => void
  /** Drops one pending row (found not applied by the check at start). */
  readonly withdrawEntry: (entry: PendingEntry) => void
  /** Whether any row of the domain (pending or not) stands for these bytes. */
  readonly referenced: (domain: string, sha256: string) => boolean
  readonly pending: () => ReadonlyArray<PendingEntry>
  readonly close: () => void
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS record_files (
  domain TEXT NOT NULL,
  tbl TEXT NOT NULL,
  rid TEXT NOT NULL,
  field TEXT NOT NULL,
  name TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  type TEXT NOT NULL,
  pending TEXT,
  stored_at TEXT NOT NULL,
  PRIMARY KEY (domain, tbl, rid, field, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS record_files_by_content ON record_files (domain, sha256);
CREATE INDEX IF NOT EXISTS record_files_pending ON record_files (pending) WHERE pending IS NOT NULL;
`

/** `photo.jpg` + hash → `photo-<hash>.jpg`; a name without an extension gets the hash at its end. */
const suffixed = (name: string, hash: string): string => {
  const dot = name.lastIndexOf(".")
  return dot > 0 ? `${name.slice(0, dot)}-${hash}${name.slice(dot)}` : `${name}-${hash}`
}

interface Row {
  readonly sha256: string
  readonly size: number
  readonly type: string
}

export const openFileIndex = (path: string): FileIndex => {
  const db = new Database(path)
  db.pragma("journal_mode = WAL")
  // A row must be on disk before the write that names it is logged: otherwise a crash could leave a
  // version naming a file the index has forgotten.
  db.pragma("synchronous = FULL")
  db.exec(SCHEMA)

  const findRow = db.prepare<[string, string, string, string, string], Row>(
    "SELECT sha256, size, type FROM record_files WHERE domain = ? AND tbl = ? AND rid = ? AND field = ? AND name = ?"
  )
  const insert = db.prepare(
    "INSERT INTO record_files (domain, tbl, rid, field, name, sha256, size, type, pending, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
  )
  const confirmRow = db.prepare("UPDATE record_files SET pending = NULL WHERE domain = ? AND tbl = ? AND rid = ? AND field = ? AND name = ? AND pending IS NOT NULL")
  const withdrawToken = db.prepare("DELETE FROM record_files WHERE pending = ?")
  const withdrawRow = db.prepare("DELETE FROM record_files WHERE domain = ? AND tbl = ? AND rid = ? AND field = ? AND name = ? AND pending = ?")
  const anyRow = db.prepare<[string, string], { one: number }>("SELECT 1 AS one FROM record_files WHERE domain = ? AND sha256 = ? LIMIT 1")
  const pendingRows = db.prepare<[], { domain: string; tbl: string; rid: string; field: string; name: string; sha256: string; pending: string }>(
    "SELECT domain, tbl, rid, field, name, sha256, pending FROM record_files WHERE pending IS NOT NULL"
  )

  const find = (record: RecordKey, field: string, name: string): FileEntry | undefined => findRow.get(record.domain, record.table, record.id, field, name)

  const claim = db.transaction((token: string, record: RecordKey, uploads: ReadonlyArray<FileUpload>) => {
    const now = new Date().toISOString()
    return uploads.map((upload) => {
      // The sent name, then the name with 12 hex digits of the hash, then with all 64 (which only other bytes of that very hash could hold).
      for (const name of [upload.name, suffixed(upload.name, upload.sha256.slice(0, 12)), suffixed(upload.name, upload.sha256)]) {
        const existing = find(record, upload.field, name)
        if (existing === undefined) {
          insert.run(record.domain, record.table, record.id, upload.field, name, upload.sha256, upload.size, upload.type, token, now)
          return { name, added: true }
        }
        if (existing.sha256 === upload.sha256) return { name, added: false }
      }
      throw new Error(`no free name for ${upload.name} in field ${upload.field}`)
    })
  })

  const confirm = db.transaction((record: RecordKey, names: ReadonlyArray<{ readonly field: string; readonly name: string }>) => {
    for (const { field, name } of names) confirmRow.run(record.domain, record.table, record.id, field, name)
  })

  return {
    find,
    claim: (token, record, uploads) => claim(token, record, uploads),
    confirm: (record, names) => confirm(record, names),
    withdraw: (token) => void withdrawToken.run(token),
    withdrawEntry: (entry) => void withdrawRow.run(entry.domain, entry.table, entry.id, entry.field, entry.name, entry.token),
    referenced: (domain, sha256) => anyRow.get(domain, sha256) !== undefined,
    pending: () =>
      pendingRows.all().map((row) => ({ domain: row.domain, table: row.tbl, id: row.rid, field: row.field, name: row.name, sha256: row.sha256, token: row.pending })),
    close: () => db.close()
  }
}
