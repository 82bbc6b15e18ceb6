import Database from "better-sqlite3"
import { createHash, randomBytes } from "node:crypto"
import { existsSync, readdirSync, statSync, writeFileSync, mkdirSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, seedDomainUser, type Api } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"
import { tempDir } from "../support/temp.js"

/** A 1×1 PNG, a PDF header and bytes no sniffer recognises. */
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64")
const PNG_2 = Buffer.concat([PNG, Buffer.from("trailing bytes make other content")])
const PDF = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
const NOISE = randomBytes(2048)

const FILE_LIMIT = 64 * 1024
const UPLOAD_LIMIT = 256 * 1024
const RECORD_LIMIT = 32 * 1024

type Part = readonly [field: string, fileName: string, bytes: Uint8Array, type?: string]

/** A body as the MACHHUB SDK builds it in a browser: the files first, each named after its field, then `record`. */
const sdkForm = (record: Record<string, unknown>, files: ReadonlyArray<Part>): FormData => {
  const form = new FormData()
  for (const [field, fileName, bytes, type] of files) form.append(field, new File([bytes], fileName, type === undefined ? {} : { type }), fileName)
  form.append("record", JSON.stringify(record))
  return form
}

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex")

describe("files on records, as the MACHHUB SDK sends and fetches them (SPEC §6a)", () => {
  let server: TestServer
  let acme: Api
  let globex: Api
  let reader: Api
  let selfWriter: Api

  beforeAll(async () => {
    server = await startTestServer({ maxFileBytes: FILE_LIMIT, maxUploadBytes: UPLOAD_LIMIT, maxBodyBytes: RECORD_LIMIT })
    const admin = await adminApi(server.url)
    acme = (await seedDomainUser(admin, { domain: "acme", username: "ada", group: "editors", permissions: [{ feature: "collections", action: "read-write", scope: "domain" }] })).api
    reader = (await seedDomainUser(admin, { domain: "acme", username: "rita", group: "readers", permissions: [{ feature: "collections", action: "read", scope: "domain" }] })).api
    selfWriter = (await seedDomainUser(admin, { domain: "acme", username: "sam", group: "own", permissions: [{ feature: "collections", action: "read-write", scope: "self" }] })).api
    globex = (await seedDomainUser(admin, { domain: "globex", username: "gus", group: "editors", permissions: [{ feature: "collections", action: "read-write", scope: "domain" }] })).api
  }, 60_000)
  afterAll(() => server.dispose())

  const headersOf = (caller: Api, domain = caller.domain): Record<string, string> => ({
    authorization: `Bearer ${caller.token}`,
    ...(domain === undefined ? {} : { domain: `domains:${domain}` })
  })
  /** POST or PUT a form with node's own FormData and fetch, which set the boundary as a browser does. */
  const send = (caller: Api, method: "POST" | "PUT", path: string, form: FormData, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { method, headers: { ...headersOf(caller), ...headers }, body: form })
  const sendRaw = (caller: Api, method: "POST" | "PUT", path: string, contentType: string, body: Uint8Array | string) =>
    fetch(`${server.url}${path}`, { method, headers: { ...headersOf(caller), "content-type": contentType }, body })
  /** The SDK's getFile: PATCH /machhub/file with a JSON body. */
  const getFile = (caller: Api, request: { fileName: string; collectionName: string; fieldName: string; recordID: string }, asOf?: number, domain = caller.domain) =>
    fetch(`${server.url}/machhub/file${asOf === undefined ? "" : `?asOf=${asOf}`}`, {
      method: "PATCH",
      headers: { ...headersOf(caller, domain), "content-type": "application/json" },
      body: JSON.stringify(request)
    })
  const bytesOf = async (response: Response) => Buffer.from(await response.arrayBuffer())
  const created = async (response: Response) => {
    const text = await response.text()
    expect(response.status, text).toBe(201)
    return { ...(JSON.parse(text) as { id: string; record: Record<string, any> }), position: Number(response.headers.get("app-event-position")) }
  }

  const blobDir = (domain: string) => join(server.dataDir, "files", "blobs", domain)
  const storedBlobs = (domain: string): Array<string> =>
    existsSync(blobDir(domain)) ? readdirSync(blobDir(domain)).flatMap((prefix) => readdirSync(join(blobDir(domain), prefix))) : []
  const head = () => Effect.runPromise(server.store.headPosition)

  it("creates a record with files, reads each back byte-identical with its sniffed type, and logs only names", async () => {
    const form = sdkForm({ name: "Bolzen Ø8 ✓", image: "photo.png", manual: "spec.pdf" }, [
      ["image", "photo.png", PNG, "image/png"],
      // Declared as nothing in particular: the bytes say PDF.
      ["manual", "spec.pdf", PDF, "application/octet-stream"],
      // Left out of the JSON: the field gets the file's name.
      ["notes", "notes.txt", Buffer.from("torque 12 Nm\n"), "text/plain"],
      // Claims PNG, is not: kept as unknown bytes.
      ["blob", "fake.png", NOISE, "image/png"],
      // Several files for one field: the field lists their names.
      ["attachments", "a.txt", Buffer.from("first"), "text/plain"],
      ["attachments", "b.txt", Buffer.from("second"), "text/plain"],
      // Browsers send file names as UTF-8.
      ["report", "Prüfbericht ✓.pdf", PDF]
    ])
    const record = await created(await send(acme, "POST", "/machhub/products", form))
    const names = { name: "Bolzen Ø8 ✓", image: "photo.png", manual: "spec.pdf", notes: "notes.txt", blob: "fake.png", attachments: ["a.txt", "b.txt"], report: "Prüfbericht ✓.pdf" }
    expect(record.record).toMatchObject(names)
    // A read of the record holds the names, as the SDK's getOne expects.
    const read = await acme.json("GET", `/machhub/${encodeURIComponent(record.id)}`)
    expect(read.body.image).toBe("photo.png")

    const expectations: ReadonlyArray<readonly [string, string, Uint8Array, string]> = [
      ["image", "photo.png", PNG, "image/png"],
      ["manual", "spec.pdf", PDF, "application/pdf"],
      ["notes", "notes.txt", Buffer.from("torque 12 Nm\n"), "text/plain"],
      ["blob", "fake.png", NOISE, "application/octet-stream"],
      ["attachments", "b.txt", Buffer.from("second"), "text/plain"],
      ["report", "Prüfbericht ✓.pdf", PDF, "application/pdf"]
    ]
    for (const [fieldName, fileName, bytes, type] of expectations) {
      const file = await getFile(acme, { fileName, collectionName: "products", fieldName, recordID: record.id })
      expect(file.status, fileName).toBe(200)
      expect(file.headers.get("content-type"), fileName).toBe(type)
      expect(file.headers.get("x-content-type-options")).toBe("nosniff")
      expect(file.headers.get("content-disposition")).toContain(`filename*=UTF-8''${encodeURIComponent(fileName)}`)
      expect((await bytesOf(file)).equals(Buffer.from(bytes)), fileName).toBe(true)
    }
    // A reader of the collection may fetch them too, as it may GET the record.
    expect((await getFile(reader, { fileName: "photo.png", collectionName: "products", fieldName: "image", recordID: record.id })).status).toBe(200)

    // The event holds the names, never the bytes.
    const event = (await Effect.runPromise(server.store.readAll(record.position, 1)))[0]!
    expect(event.type).toBe("RecordCreated")
    expect((event.data as { data: unknown }).data).toEqual(names)
    expect(JSON.stringify(event).length).toBeLessThan(2048)

    // Content-addressed in the data dir, owner-only like the rest of it.
    const path = join(blobDir("acme"), sha256(PNG).slice(0, 2), sha256(PNG))
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(statSync(join(blobDir("acme"), sha256(PNG).slice(0, 2))).mode & 0o777).toBe(0o700)
    expect(statSync(join(server.dataDir, "files", "index.db")).mode & 0o077).toBe(0)

    // A record part that declares its charset, as some HTTP clients do, is read in it.
    const declared = await sendRaw(acme, "POST", "/machhub/products", "multipart/form-data; boundary=b0undary", Buffer.concat([
      Buffer.from('--b0undary\r\nContent-Disposition: form-data; name="record"\r\nContent-Type: application/json; charset=utf-8\r\n\r\n{"name":"café ✓"}\r\n'),
      Buffer.from('--b0undary\r\nContent-Disposition: form-data; name="image"; filename="p.png"\r\nContent-Type: image/png\r\n\r\n'),
      PNG,
      Buffer.from("\r\n--b0undary--\r\n")
    ]))
    expect((await created(declared)).record).toMatchObject({ name: "café ✓", image: "p.png" })
  })

  it("replaces a file with PUT; the past stays readable with asOf, also after the record is deleted", async () => {
    const first = await created(await send(acme, "POST", "/machhub/parts", sdkForm({ name: "gear", image: "photo.png" }, [["image", "photo.png", PNG, "image/png"]])))
    const ask = (fileName: string, asOf?: number) => getFile(acme, { fileName, collectionName: "parts", fieldName: "image", recordID: first.id }, asOf)

    // Other bytes under the same name: the name must keep meaning the first bytes for the past, so the new file gets its hash in its name.
    const replaced = await send(acme, "PUT", `/machhub/${encodeURIComponent(first.id)}`, sdkForm({ image: "photo.png" }, [["image", "photo.png", PNG_2, "image/png"]]))
    expect(replaced.status).toBe(200)
    const renamed = `photo-${sha256(PNG_2).slice(0, 12)}.png`
    const afterReplace = (await replaced.json()) as { record: { image: string; name: string } }
    expect(afterReplace.record).toMatchObject({ name: "gear", image: renamed })
    expect((await bytesOf(await ask(renamed))).equals(PNG_2)).toBe(true)
    // The field no longer names the first file now; it did as of the creation.
    const gone = await ask("photo.png")
    expect(gone.status).toBe(404)
    expect(await gone.text()).toMatch(/has no file "photo.png" in field "image"/)
    const past = await ask("photo.png", first.position)
    expect(past.status).toBe(200)
    expect((await bytesOf(past)).equals(PNG)).toBe(true)

    // A new name, and an update that only touches another field (PATCH semantics): the file stays.
    const third = await send(acme, "PUT", `/machhub/${encodeURIComponent(first.id)}`, sdkForm({ image: "drawing.pdf", rev: 3 }, [["image", "drawing.pdf", PDF]]))
    expect(third.status).toBe(200)
    expect((await acme.json("PUT", `/machhub/${encodeURIComponent(first.id)}`, { rev: 4 })).status).toBe(200)
    const current = await ask("drawing.pdf")
    expect(current.headers.get("content-type")).toBe("application/pdf")
    expect((await bytesOf(current)).equals(PDF)).toBe(true)

    const deleted = await acme.request("DELETE", `/machhub/${encodeURIComponent(first.id)}`)
    expect(deleted.status).toBe(200)
    const deletedAt = Number(deleted.headers.get("app-event-position"))
    expect((await ask("drawing.pdf")).status).toBe(404)
    expect((await ask("drawing.pdf", deletedAt)).status).toBe(404)
    // Every version the log can show still finds its bytes.
    expect((await bytesOf(await ask("drawing.pdf", deletedAt - 1))).equals(PDF)).toBe(true)
    expect((await bytesOf(await ask("photo.png", first.position))).equals(PNG)).toBe(true)
    expect(storedBlobs("acme")).toEqual(expect.arrayContaining([sha256(PNG), sha256(PNG_2), sha256(PDF)]))
  })

  it("answers 413 naming the limit and the setting, and keeps nothing of the refused upload", async () => {
    const before = await head()
    const blobs = storedBlobs("acme").length
    const big = randomBytes(FILE_LIMIT + 1)
    const overFile = await send(acme, "POST", "/machhub/products", sdkForm({ name: "big", image: "big.bin" }, [["image", "big.bin", big]]))
    expect(overFile.status).toBe(413)
    expect(await overFile.text()).toBe(`The file "big.bin" for field "image" exceeds the limit of ${FILE_LIMIT} bytes per file; raise MACHHUB_MAX_FILE_BYTES to allow larger files`)
    // Exactly at the limit is fine.
    const atLimit = await send(acme, "POST", "/machhub/products", sdkForm({ name: "edge" }, [["image", "edge.bin", big.subarray(0, FILE_LIMIT)]]))
    expect(atLimit.status).toBe(201)

    const files: Array<Part> = Array.from({ length: 5 }, (_, i) => ["docs", `part${i}.bin`, randomBytes(FILE_LIMIT - 1)] as const)
    const overRequest = await send(acme, "POST", "/machhub/products", sdkForm({ name: "many" }, files))
    expect(overRequest.status).toBe(413)
    expect(await overRequest.text()).toBe(`Request body exceeds the limit of ${UPLOAD_LIMIT} bytes; raise MACHHUB_MAX_UPLOAD_BYTES to allow more`)

    // The record part has the JSON body's limit.
    const overRecord = await send(acme, "POST", "/machhub/products", sdkForm({ text: "x".repeat(RECORD_LIMIT) }, [["image", "i.png", PNG]]))
    expect(overRecord.status).toBe(413)
    expect(await overRecord.text()).toBe(`The record part exceeds the limit of ${RECORD_LIMIT} bytes; raise MACHHUB_MAX_BODY_BYTES to allow larger records`)

    expect(await head()).toBe(before + 1)
    expect(storedBlobs("acme").length).toBe(blobs + 1)
  })

  it("removes at once the bytes of a write that was refused or changed nothing", async () => {
    expect((await acme.json("POST", "/api/collections", { name: "sheets", schema: { type: "object", required: ["title"], properties: { title: { type: "string" } } } })).status).toBe(201)
    const blobs = storedBlobs("acme")
    const unique = () => randomBytes(512)

    const invalid = await send(acme, "POST", "/machhub/sheets", sdkForm({ pages: 2 }, [["scan", "scan.bin", unique()]]))
    expect(invalid.status).toBe(422)
    const missing = await send(acme, "PUT", "/machhub/acme.sheets:nope", sdkForm({ title: "t" }, [["scan", "scan.bin", unique()]]))
    expect(missing.status).toBe(404)
    const sheet = await created(await send(acme, "POST", "/machhub/sheets", sdkForm({ title: "t" }, [["scan", "scan.bin", PDF]])))
    const stale = await send(acme, "PUT", `/machhub/${encodeURIComponent(sheet.id)}`, sdkForm({ title: "u" }, [["scan", "other.bin", unique()]]), { "If-Match": '"7"' })
    expect(stale.status).toBe(412)
    const forbidden = await send(reader, "POST", "/machhub/sheets", sdkForm({ title: "r" }, [["scan", "r.bin", unique()]]))
    expect(forbidden.status).toBe(403)
    // The same file again: nothing changes, nothing new is kept.
    const same = await send(acme, "PUT", `/machhub/${encodeURIComponent(sheet.id)}`, sdkForm({ scan: "scan.bin" }, [["scan", "scan.bin", PDF]]))
    expect(same.status).toBe(200)
    expect(same.headers.get("etag")).toBe('"1"')
    // A retry with the same Idempotency-Key gets the first answer; what it sent is not kept.
    const keyed = await created(await send(acme, "POST", "/machhub/sheets", sdkForm({ title: "k" }, [["scan", "k.bin", PDF]]), { "Idempotency-Key": "sheet-k" }))
    const retry = await send(acme, "POST", "/machhub/sheets", sdkForm({ title: "k" }, [["scan", "k.bin", unique()]]), { "Idempotency-Key": "sheet-k" })
    expect(retry.status).toBe(201)
    expect(retry.headers.get("idempotent-replayed")).toBe("true")
    expect(((await retry.json()) as { id: string }).id).toBe(keyed.id)

    expect(storedBlobs("acme").sort()).toEqual([...new Set([...blobs, sha256(PDF)])].sort())
  })

  it("never lets another domain, or a caller without access to the record, reach a file", async () => {
    const secret = randomBytes(300)
    const record = await created(await send(selfWriter, "POST", "/machhub/vault", sdkForm({ label: "mine" }, [["doc", "secret.bin", secret]])))
    const request = { fileName: "secret.bin", collectionName: "vault", fieldName: "doc", recordID: record.id }
    expect((await getFile(selfWriter, request)).status).toBe(200)

    // Another domain's caller naming this record: not found, as GET of the record answers.
    const foreign = await getFile(globex, request)
    expect(foreign.status).toBe(404)
    expect(await foreign.text()).toBe(`No record ${record.id}`)
    // ... nor by claiming the domain in the header: it is not a member.
    expect((await getFile(globex, request, undefined, "acme")).status).toBe(403)
    // The same bytes uploaded in the other domain are that domain's own copy.
    const theirs = await created(await send(globex, "POST", "/machhub/vault", sdkForm({ label: "theirs" }, [["doc", "secret.bin", secret]])))
    expect(existsSync(join(blobDir("globex"), sha256(secret).slice(0, 2), sha256(secret)))).toBe(true)
    expect((await getFile(globex, { ...request, recordID: theirs.id })).status).toBe(200)
    // Its id in our domain's request is still another domain's record.
    expect((await getFile(acme, { ...request, recordID: theirs.id })).status).toBe(404)

    // A caller limited to its own records does not see another's file; anonymous callers need a public collection.
    const other = await created(await send(acme, "POST", "/machhub/vault", sdkForm({ label: "ada's" }, [["doc", "secret.bin", secret]])))
    expect((await getFile(selfWriter, { ...request, recordID: other.id })).status).toBe(404)
    const anonymous = await fetch(`${server.url}/machhub/file`, { method: "PATCH", headers: { domain: "domains:acme", "content-type": "application/json" }, body: JSON.stringify(request) })
    expect(anonymous.status).toBe(401)
  })

  it("answers 404 when the record, collection, field or file name does not match", async () => {
    const record = await created(await send(acme, "POST", "/machhub/products", sdkForm({ name: "nut", label: "plain.txt" }, [["image", "nut.png", PNG]])))
    const request = { fileName: "nut.png", collectionName: "products", fieldName: "image", recordID: record.id }
    const cases: ReadonlyArray<readonly [Partial<typeof request>, RegExp]> = [
      [{ fileName: "other.png" }, /has no file "other.png" in field "image"/],
      [{ fieldName: "name" }, /has no file "nut.png" in field "name"/],
      [{ collectionName: "parts" }, /is not in collection "parts"/],
      [{ recordID: "acme.products:missing" }, /^No record acme.products:missing$/],
      [{ recordID: "not-an-id" }, /^Record ids look like/],
      // A name the record holds as plain JSON, never sent as a file.
      [{ fieldName: "label", fileName: "plain.txt" }, /has no file "plain.txt" in field "label"/]
    ]
    for (const [change, message] of cases) {
      const response = await getFile(acme, { ...request, ...change })
      expect(response.status, JSON.stringify(change)).toBe(404)
      expect(await response.text()).toMatch(message)
    }
    const noName = await acme.request("PATCH", "/machhub/file", { collectionName: "products", fieldName: "image", recordID: record.id })
    expect(noName.status).toBe(400)
    expect(await noName.text()).toMatch(/fileName/)
  })

  it("refuses malformed or inconsistent multipart bodies with 400 naming the problem, and stores nothing", async () => {
    const before = await head()
    const blobs = storedBlobs("acme").length
    const whole = new Response(sdkForm({ name: "x" }, [["image", "cut.png", randomBytes(4096)]]))
    const contentType = whole.headers.get("content-type")!
    const bytes = Buffer.from(await whole.arrayBuffer())

    const cases: ReadonlyArray<readonly [string, string, Uint8Array | string, RegExp]> = [
      ["truncated", contentType, bytes.subarray(0, bytes.length - 200), /^The multipart\/form-data body is malformed: Unexpected end of form$/],
      ["no boundary", "multipart/form-data", bytes, /^The multipart\/form-data body is malformed: Multipart: Boundary not found$/],
      ["no record part", contentType.replace(/boundary=.*/, "boundary=x"), "--x\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n\r\nabc\r\n--x--\r\n", /has no "record" part/],
      ["two record parts", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"record\"\r\n\r\n{}\r\n--x\r\nContent-Disposition: form-data; name=\"record\"\r\n\r\n{}\r\n--x--\r\n", /more than one "record" part/],
      ["bad part header", "multipart/form-data; boundary=x", `--x\r\n${"X".repeat(20_000)}\r\n\r\n{}\r\n--x--\r\n`, /^The multipart\/form-data body is malformed: Malformed part header$/]
    ]
    for (const [label, type, body, message] of cases) {
      const response = await sendRaw(acme, "POST", "/machhub/products", type, body)
      expect(response.status, label).toBe(400)
      expect(await response.text(), label).toMatch(message)
    }
    const inconsistent: ReadonlyArray<readonly [FormData, RegExp]> = [
      [sdkForm({ image: "other.png" }, [["image", "photo.png", PNG]]), /^Field "image" holds "other.png" but the file sent for it is named "photo.png"/],
      [sdkForm({ image: ["a.png"] }, [["image", "photo.png", PNG]]), /^Field "image" does not list the file "photo.png"/],
      [sdkForm({ image: 7 }, [["image", "photo.png", PNG]]), /^Field "image" has a file sent for it, so it must hold the file's name/],
      [sdkForm({}, [["id", "photo.png", PNG]]), /^A file was sent for field "id"/],
      [sdkForm({}, [["image", "photo.png", PNG], ["image", "photo.png", PDF]]), /^Two different files named "photo.png" were sent for field "image"/]
    ]
    for (const [form, message] of inconsistent) {
      const response = await send(acme, "POST", "/machhub/products", form)
      expect(response.status).toBe(400)
      expect(await response.text()).toMatch(message)
    }
    expect(await head()).toBe(before)
    expect(storedBlobs("acme").length).toBe(blobs)
  })

  it("at start keeps the files of a write of unknown outcome that the log names, and removes the others", async () => {
    const dir = tempDir()
    let restarted: TestServer | undefined
    try {
      const first = await startTestServer({ dataDir: dir.path })
      const admin = await adminApi(first.url, "machhub_admin")
      const send = (form: FormData) => fetch(`${first.url}/machhub/logs`, { method: "POST", headers: { authorization: `Bearer ${admin.token}` }, body: form })
      const kept = (await send(sdkForm({ name: "kept" }, [["file", "kept.txt", Buffer.from("kept bytes")]]))).json() as Promise<{ id: string }>
      const { id } = await kept
      await first.stop()

      // As a crash between storing and logging would leave them: one row the log names, one it never will.
      const index = new Database(join(dir.path, "files", "index.db"))
      index.prepare("UPDATE record_files SET pending = 'lost-answer'").run()
      const orphan = Buffer.from("never logged")
      index.prepare("INSERT INTO record_files VALUES ('machhub_admin', 'logs', 'ghost', 'file', 'ghost.txt', ?, ?, 'text/plain', 'crashed', '2020-01-01T00:00:00Z')").run(sha256(orphan), orphan.length)
      index.close()
      const orphanDir = join(dir.path, "files", "blobs", "machhub_admin", sha256(orphan).slice(0, 2))
      mkdirSync(orphanDir, { recursive: true })
      writeFileSync(join(orphanDir, sha256(orphan)), orphan)

      restarted = await startTestServer({ dataDir: dir.path })
      // A write with files waits for the check, so after one the check is done.
      const next = await fetch(`${restarted.url}/machhub/logs`, { method: "POST", headers: { authorization: `Bearer ${await adminApi(restarted.url).then((a) => a.token)}` }, body: sdkForm({ name: "next" }, [["file", "next.txt", Buffer.from("next")]]) })
      expect(next.status).toBe(201)
      expect(existsSync(join(orphanDir, sha256(orphan)))).toBe(false)
      const check = new Database(join(dir.path, "files", "index.db"), { readonly: true })
      expect(check.prepare("SELECT name, pending FROM record_files WHERE rid != ? ORDER BY name").all(id.split(":")[1])).toEqual([{ name: "next.txt", pending: null }])
      expect(check.prepare("SELECT name, pending FROM record_files WHERE rid = ?").all(id.split(":")[1])).toEqual([{ name: "kept.txt", pending: null }])
      check.close()
      const token = await adminApi(restarted.url)
      const file = await fetch(`${restarted.url}/machhub/file`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${token.token}`, "content-type": "application/json" },
        body: JSON.stringify({ fileName: "kept.txt", collectionName: "logs", fieldName: "file", recordID: id })
      })
      expect(await file.text()).toBe("kept bytes")
    } finally {
      await restarted?.stop()
      dir.cleanup()
    }
  })
})
