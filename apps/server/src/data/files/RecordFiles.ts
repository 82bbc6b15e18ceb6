import { randomUUID, webcrypto } from "node:crypto"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import { makeDataDirContentStore, type ContentStore, type StoredContent } from "@machhub/adapters"
import { RECORD_CATEGORY, recordAggregateId, streamName, type EventStoreService, type RecordedEvent } from "@machhub/core"
import { log } from "../../log.js"
import type { UploadedFile } from "../multipart.js"
import { namesFile, renameFile } from "./fileFields.js"
import { openFileIndex, type FileEntry, type FileIndex, type PendingEntry, type RecordKey } from "./FileIndex.js"
import { sniffType } from "./sniffType.js"

/** Files uploaded with one write, stored and filed, waiting for the write's outcome. */
export interface StagedFiles {
  readonly token: string
  readonly record: RecordKey
  /** The record's fields with each file's name as filed (see FileIndex on renamed files). */
  readonly data: Record<string, unknown>
  readonly names: ReadonlyArray<{ readonly field: string; readonly name: string }>
  readonly held: ReadonlyArray<string>
}

/**
 * What became of the write the files came with: applied (a version now names them), not applied
 * (refused, surely not stored, or it changed nothing), or unknown (it may yet be in the log).
 */
export type WriteOutcome = "applied" | "not-applied" | "unknown"

export interface RecordFiles {
  /** Stores the files' bytes and files them under the record; fails only when storage does. */
  readonly stage: (record: RecordKey, data: Record<string, unknown>, files: ReadonlyArray<UploadedFile>) => Promise<StagedFiles>
  /** Settles staged files by their write's outcome: bytes no version will name are removed at once. */
  readonly settle: (staged: StagedFiles, outcome: WriteOutcome) => Promise<void>
  readonly find: (record: RecordKey, field: string, name: string) => FileEntry | undefined
  readonly open: (domain: string, sha256: string) => Promise<StoredContent | undefined>
  /**
   * At start: files whose write's outcome was unknown (or a crash cut in) are kept if the record's
   * history names them, else removed. Writes with files wait for it; a log that cannot be read leaves
   * them for the next start.
   */
  readonly reconcile: (store: EventStoreService) => Effect.Effect<void>
  readonly close: () => void
}

/** Hashed on libuv's thread pool (WebCrypto), not on the event loop: an upload may be tens of megabytes. */
const RECONCILE_TIMEOUT = "30 seconds"

const sha256Of = async (bytes: Uint8Array): Promise<string> => Buffer.from(await webcrypto.subtle.digest("SHA-256", bytes)).toString("hex")

/** The record fields an event of a record stream sets: a creation's data, an update's changes. */
const fieldsSetBy = (event: RecordedEvent): Readonly<Record<string, unknown>> | undefined => {
  const data = event.data as { data?: unknown; changes?: unknown } | null
  const fields = event.type === "RecordCreated" ? data?.data : event.type === "RecordUpdated" ? data?.changes : undefined
  return typeof fields === "object" && fields !== null ? (fields as Record<string, unknown>) : undefined
}

/**
 * Files of records (SPEC §6a), in the data dir: bytes in a content store (`files/blobs`), the index of
 * which name stands for which bytes in `files/index.db`. Bytes stay while any row of their domain
 * stands for them; a row stays once a logged version names it (the log keeps every version).
 *
 * Storing bytes and dropping them are serialised per content (domain and hash), and a write holds the
 * bytes it uploaded until it is settled: bytes another write is about to name are never removed under it.
 */
export const openRecordFiles = (dataDir: string, store?: ContentStore): RecordFiles => {
  const root = join(dataDir, "files")
  mkdirSync(root, { recursive: true, mode: 0o700 })
  const contents = store ?? makeDataDirContentStore(join(root, "blobs"))
  const index: FileIndex = openFileIndex(join(root, "index.db"))

  const blobs = new Map<string, { holders: number; tail: Promise<unknown> }>()
  /** Runs `work` for one content after the work queued for it before. */
  const exclusive = <T>(domain: string, sha256: string, work: (entry: { holders: number }) => Promise<T>): Promise<T> => {
    const key = `${domain}/${sha256}`
    let entry = blobs.get(key)
    if (entry === undefined) blobs.set(key, (entry = { holders: 0, tail: Promise.resolve() }))
    const current = entry
    const result = current.tail.then(() => work(current))
    const tail = result.then(() => undefined, () => undefined)
    current.tail = tail
    void tail.then(() => {
      if (current.tail === tail && current.holders === 0) blobs.delete(key)
    })
    return result
  }
  const hold = (domain: string, sha256: string, bytes: Uint8Array) =>
    exclusive(domain, sha256, async (entry) => {
      await contents.put(domain, sha256, bytes)
      entry.holders++
    })
  /** Drops the bytes if nobody holds them and no row stands for them. */
  const dropIfUnused = (domain: string, sha256: string, entry: { holders: number }) =>
    entry.holders === 0 && !index.referenced(domain, sha256) ? contents.remove(domain, sha256) : Promise.resolve()
  const release = (domain: string, sha256: string) =>
    exclusive(domain, sha256, (entry) => {
      entry.holders--
      return dropIfUnused(domain, sha256, entry)
    }).catch((error: unknown) => log("error", "a stored file no record names could not be removed", { domain, sha256, error: String(error) }))

  let markReconciled: () => void = () => undefined
  const reconciled = new Promise<void>((resolve) => (markReconciled = resolve))

  const stage = async (record: RecordKey, data: Record<string, unknown>, files: ReadonlyArray<UploadedFile>): Promise<StagedFiles> => {
    const uploads = await Promise.all(files.map(async (file) => ({
      field: file.field,
      name: file.fileName,
      sha256: await sha256Of(file.bytes),
      size: file.bytes.byteLength,
      type: await sniffType(file.bytes, file.declaredType),
      bytes: file.bytes
    })))
    await reconciled
    const token = randomUUID()
    const held: Array<string> = []
    try {
      for (const upload of uploads) {
        if (held.includes(upload.sha256)) continue
        await hold(record.domain, upload.sha256, upload.bytes)
        held.push(upload.sha256)
      }
      const filed = index.claim(token, record, uploads)
      const named = { ...data }
      const names = uploads.map((upload, i) => {
        const name = filed[i]!.name
        if (name !== upload.name) renameFile(named, upload.field, upload.name, name)
        return { field: upload.field, name }
      })
      return { token, record, data: named, names, held }
    } catch (error) {
      index.withdraw(token)
      await Promise.all(held.map((sha256) => release(record.domain, sha256)))
      throw error
    }
  }

  const settle = async (staged: StagedFiles, outcome: WriteOutcome): Promise<void> => {
    try {
      if (outcome === "applied") index.confirm(staged.record, staged.names)
      else if (outcome === "not-applied") index.withdraw(staged.token)
      // unknown: the rows stay pending, so the bytes stay, until the next start checks the log.
    } finally {
      await Promise.all(staged.held.map((sha256) => release(staged.record.domain, sha256)))
    }
  }

  const reconcile = (eventStore: EventStoreService): Effect.Effect<void> => {
    const byRecord = new Map<string, Array<PendingEntry>>()
    for (const entry of index.pending()) {
      const key = streamName(RECORD_CATEGORY, entry.domain, recordAggregateId(entry.table, entry.id))
      byRecord.set(key, [...(byRecord.get(key) ?? []), entry])
    }
    const check = Effect.forEach([...byRecord], ([stream, entries]) =>
      eventStore.readStream(stream).pipe(
        Effect.flatMap((events) =>
          Effect.tryPromise(async () => {
            for (const entry of entries) {
              const named = events.some((event) => {
                const fields = fieldsSetBy(event)
                return fields !== undefined && Object.hasOwn(fields, entry.field) && namesFile(fields[entry.field], entry.name)
              })
              if (named) {
                index.confirm(entry, [entry])
              } else {
                index.withdrawEntry(entry)
                await exclusive(entry.domain, entry.sha256, (blob) => dropIfUnused(entry.domain, entry.sha256, blob))
              }
            }
          })
        ),
        Effect.catch((error) => Effect.logWarning("files uploaded with a write of unknown outcome stay until the next start", { stream, error: error.message }))
      ), { discard: true })
    // A log that does not answer must not hold uploads back for long: what is left waits for the next start.
    return check.pipe(
      Effect.timeout(RECONCILE_TIMEOUT),
      Effect.catch(() => Effect.logWarning("files of writes of unknown outcome are checked again at the next start: the log did not answer in time")),
      Effect.ensuring(Effect.sync(markReconciled))
    )
  }

  return {
    stage,
    settle,
    find: index.find,
    open: contents.open,
    reconcile,
    close: () => {
      markReconciled()
      index.close()
    }
  }
}
