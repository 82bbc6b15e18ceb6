import { deflateSync } from "node:zlib"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminApi, seedDomainUser, type Api } from "../support/api.js"
import { startTestServer, type TestServer } from "../support/server.js"

/**
 * The server driven as the MACHHUB TypeScript SDK (`@machhub-dev/sdk-ts` 1.1.x) drives it from a
 * browser page: the SDK's own URL building (`new URL("machhub", httpUrl)`, path parts joined, query
 * keys appended with URLSearchParams), its headers on every call, its multipart bodies, and the
 * browser's CORS protocol around each call (a preflight whenever the request is not "simple", then the
 * request, whose answer the page may read only if the CORS headers allow it).
 */

const APP_ORIGIN = "https://hmi.example.com"
const APP = "acme"

/** Request headers a page may send without a preflight (Fetch standard, CORS-safelisted). */
const SAFELISTED_REQUEST = new Set(["accept", "accept-language", "content-language"])
const SIMPLE_CONTENT_TYPES = new Set(["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"])
/** Response headers a page may always read. */
const SAFELISTED_RESPONSE = new Set(["cache-control", "content-language", "content-length", "content-type", "expires", "last-modified", "pragma"])

interface PageResponse {
  readonly status: number
  /** Only what the page may read: safelisted headers and those the server exposes. */
  readonly headers: ReadonlyMap<string, string>
  readonly text: string
  readonly bytes: Buffer
  json<T = any>(): T
}

/** What a browser does around one fetch from the page's origin; throws like `fetch` does on a CORS failure. */
const browserFetch = async (origin: string, url: URL, init: { method: string; headers: Record<string, string>; body?: FormData | string }): Promise<PageResponse> => {
  const method = init.method.toUpperCase()
  // The SDK's RequestInit keeps the default credentials mode (same-origin): cross-origin calls carry no cookies.
  const names = Object.keys(init.headers).map((name) => name.toLowerCase())
  const unsafe = names.filter((name) => {
    if (SAFELISTED_REQUEST.has(name)) return false
    if (name === "content-type") return !SIMPLE_CONTENT_TYPES.has(init.headers[Object.keys(init.headers).find((n) => n.toLowerCase() === name)!]!.split(";")[0]!.trim().toLowerCase())
    return true
  })
  if (!["GET", "HEAD", "POST"].includes(method) || unsafe.length > 0) {
    // Preflight: no credentials, no body; the requested headers sorted, lower-case, comma-joined.
    const preflight = await fetch(url, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": method,
        ...(unsafe.length === 0 ? {} : { "access-control-request-headers": [...new Set(unsafe)].sort().join(",") })
      }
    })
    await preflight.arrayBuffer()
    if (preflight.status < 200 || preflight.status > 299) throw new TypeError(`CORS preflight for ${method} ${url.pathname} failed: ${preflight.status}`)
    if (preflight.headers.get("access-control-allow-origin") !== origin) throw new TypeError(`CORS preflight for ${url.pathname}: origin not allowed`)
    const methods = (preflight.headers.get("access-control-allow-methods") ?? "").split(",").map((m) => m.trim())
    if (!["GET", "HEAD", "POST"].includes(method) && !methods.includes(method)) throw new TypeError(`CORS preflight: ${method} not allowed on ${url.pathname}`)
    const allowed = new Set((preflight.headers.get("access-control-allow-headers") ?? "").split(",").map((h) => h.trim().toLowerCase()))
    for (const name of unsafe) if (!allowed.has(name)) throw new TypeError(`CORS preflight: header ${name} not allowed on ${url.pathname}`)
  }
  const response = await fetch(url, { method, headers: { ...init.headers, origin }, ...(init.body === undefined ? {} : { body: init.body }) })
  const bytes = Buffer.from(await response.arrayBuffer())
  const text = bytes.toString("utf8")
  if (response.headers.get("access-control-allow-origin") !== origin) throw new TypeError(`CORS: ${method} ${url.pathname} answered ${response.status} without allowing ${origin}`)
  const exposed = new Set((response.headers.get("access-control-expose-headers") ?? "").split(",").map((h) => h.trim().toLowerCase()))
  const readable = new Map<string, string>()
  response.headers.forEach((value, name) => {
    if (SAFELISTED_RESPONSE.has(name) || exposed.has(name)) readable.set(name, value)
  })
  return { status: response.status, headers: readable, text, bytes, json: () => JSON.parse(text) }
}

/** The SDK's HTTP layer (HTTPService/RequestParameters), as its source builds requests. */
class Sdk {
  private readonly base: URL
  token: string | undefined
  constructor(
    httpUrl: string,
    private readonly applicationId: string,
    private readonly origin: string,
    private readonly developerKey?: string,
    private readonly runtimeId = ""
  ) {
    this.base = new URL("machhub", httpUrl)
  }

  /** RequestParameters: withDomain, withAccessToken, withDeveloperKey, withRuntimeID, in that order. */
  private headers(): Record<string, string> {
    // setHeader's first call builds `{ key: value }`, so every SDK request also carries a header named `key`.
    const headers: Record<string, string> = { key: `domains:${this.applicationId}` }
    headers["Domain"] = `domains:${this.applicationId}`
    if (this.token !== undefined) headers["Authorization"] = `Bearer ${this.token}`
    if (this.developerKey !== undefined) headers["X-Machhub-Api-Key"] = this.developerKey
    headers["X-Machhub-Runtime-Id"] = this.runtimeId
    return headers
  }

  /** withQuery: the base path and the path joined with their edge slashes trimmed, the query appended. */
  url(path: string, query: Record<string, unknown> = {}): URL {
    const joined = [this.base.pathname, path].map((part) => part.replace(/(^\/|\/$)/g, "")).join("/")
    const url = new URL(joined, this.base)
    for (const key in query) url.searchParams.append(key, String(query[key]))
    return url
  }

  send(method: string, path: string, options: { query?: Record<string, unknown>; json?: unknown; form?: FormData } = {}): Promise<PageResponse> {
    const headers = this.headers()
    let body: FormData | string | undefined
    if (options.json !== undefined) {
      body = JSON.stringify(options.json)
      headers["Content-Type"] = "application/json"
    } else if (options.form !== undefined) {
      body = options.form
    }
    return browserFetch(this.origin, this.url(path, options.query), { method, headers, ...(body === undefined ? {} : { body }) })
  }

  /** `sdk.auth.login`: POST /auth/login with JSON; the token is kept for every later call. */
  async login(username: string, password: string): Promise<PageResponse> {
    const answer = await this.send("POST", "/auth/login", { json: { username, password } })
    if (answer.status === 200) this.token = answer.json<{ tkn: string }>().tkn
    return answer
  }

  collection(name: string): SdkCollection {
    return new SdkCollection(this, name)
  }

  get auth(): SdkAuth {
    return new SdkAuth(this)
  }
}

/** `sdk.auth` (classes/auth.ts): its paths, path encoding and bodies. */
class SdkAuth {
  constructor(private readonly sdk: Sdk) {}
  getCurrentUser() {
    return this.sdk.send("GET", "/auth/me")
  }
  validateJWT(token: string) {
    return this.sdk.send("POST", "/auth/jwt/validate", { json: { token } })
  }
  validateCurrentUser() {
    return this.validateJWT(this.sdk.token!)
  }
  checkAction(feature: string, scope?: string) {
    const path = `/auth/permission/action/feature/${encodeURIComponent(feature)}`
    return this.sdk.send("GET", scope === undefined ? path : `${path}/scope/${encodeURIComponent(scope)}`)
  }
  checkPermission(feature: string, action: string, scope?: string) {
    const f = encodeURIComponent(feature)
    const a = encodeURIComponent(action)
    return this.sdk.send("GET", scope === undefined
      ? `/auth/permission/check/feature/${f}/action/${a}`
      : `/auth/permission/check/feature/${f}/scope/${encodeURIComponent(scope)}/action/${a}`)
  }
  getUsers() {
    return this.sdk.send("GET", "/auth/user")
  }
  getUserById(userId: string) {
    return this.sdk.send("GET", `/auth/user/${userId}`)
  }
  createUser(firstName: string, lastName: string, username: string, email: string, password: string, number: string, userImage: string) {
    return this.sdk.send("POST", "/auth/user", { json: { firstName, lastName, username, email, password, number, userImage } })
  }
  getGroups() {
    return this.sdk.send("GET", "/auth/group")
  }
  createGroup(name: string, features: Array<{ name: string; action: string; scope: string }>) {
    return this.sdk.send("POST", "/auth/group", { json: { name, features } })
  }
  /** A POST without a body: the SDK sends neither a body nor a Content-Type. */
  addUserToGroup(userId: string, groupId: string) {
    return this.sdk.send("POST", `/auth/group/${groupId}/user/${userId}`)
  }
  addPermissionsToGroup(group_id: string, permissions: Array<{ name: string; action: string; scope: string }>) {
    return this.sdk.send("POST", "/auth/permission", { json: { group_id, permissions } })
  }
  getPermissions() {
    return this.sdk.send("GET", "/auth/permission")
  }
}

/** `sdk.collection(name)`: the query builder and the record calls, as the SDK builds them. */
class SdkCollection {
  private readonly queryParams: Record<string, unknown> = {}
  private orCount = 0
  constructor(private readonly sdk: Sdk, private readonly name: string) {}

  filter(field: string, operator: string, value: unknown): this {
    this.queryParams[`filter[${field}][${operator}][${typeof value}]`] = value
    return this
  }
  /** OR groups, numbered in call order. */
  orFilter(field: string, operator: string, value: unknown): this {
    this.queryParams[`filter_or[${this.orCount++}][${field}][${operator}][${typeof value}]`] = value
    return this
  }
  filterInArray(arrayField: string, subField: string, operator: string, value: unknown): this {
    this.queryParams[`filter[${arrayField}.${subField}][ARRAY_WHERE_${operator}][${typeof value}]`] = value
    return this
  }
  sort(field: string, direction: "asc" | "desc" = "asc"): this {
    this.queryParams["sort"] = `[${field}][${direction}]`
    return this
  }
  limit(n: number): this {
    this.queryParams["limit"] = n
    return this
  }
  offset(n: number): this {
    this.queryParams["offset"] = n
    return this
  }
  getAll(options: { fields?: Array<string> } = {}): Promise<PageResponse> {
    if (options.fields !== undefined) this.queryParams["fields"] = options.fields.join(",")
    return this.sdk.send("GET", `${this.name}/all`, { query: this.queryParams })
  }
  count(): Promise<PageResponse> {
    return this.sdk.send("GET", `${this.name}/count`, { query: this.queryParams })
  }
  getOne(id: string): Promise<PageResponse> {
    return this.sdk.send("GET", id)
  }
  /** Files become parts named by their field; the record JSON holds their names. */
  create(data: Record<string, unknown>): Promise<PageResponse> {
    return this.sdk.send("POST", this.name, { form: recordForm(data) })
  }
  update(id: string, data: Record<string, unknown>): Promise<PageResponse> {
    return this.sdk.send("PUT", id, { form: recordForm(data) })
  }
  delete(id: string): Promise<PageResponse> {
    return this.sdk.send("DELETE", id)
  }
  getFile(fileName: string, fieldName: string, recordID: string): Promise<PageResponse> {
    return this.sdk.send("PATCH", "file", { json: { fileName, collectionName: this.name, fieldName, recordID } })
  }
}

/** create/update: each File is a part named by its field (a list of Files, one part each), the JSON holds the names. */
const recordForm = (data: Record<string, unknown>): FormData => {
  const form = new FormData()
  const record: Record<string, unknown> = { ...data }
  for (const [key, value] of Object.entries(data)) {
    if (value instanceof File) {
      form.append(key, value, value.name)
      record[key] = value.name
    } else if (Array.isArray(value) && value.some((item) => item instanceof File)) {
      record[key] = value.map((item: string | File) => {
        if (!(item instanceof File)) return item
        form.append(key, item, item.name)
        return item.name
      })
    }
  }
  form.append("record", JSON.stringify(record))
  return form
}

/** PNG's chunk checksum (zlib.crc32 is newer than the Node versions this repository supports). */
const crc32 = (bytes: Buffer): number => {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

/** A 1×1 grey PNG whose pixel is `shade`: real image bytes, so the server's sniffing finds image/png. */
const png = (shade: number): Buffer => {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data])
    const length = Buffer.alloc(4)
    length.writeUInt32BE(data.length)
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(body))
    return Buffer.concat([length, body, crc])
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(1, 0)
  header.writeUInt32BE(1, 4)
  header[8] = 8 // bit depth; colour type 0 (grey), compression, filter, interlace 0
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.from([0, shade]))),
    chunk("IEND", Buffer.alloc(0))
  ])
}

const PRODUCTS = [
  { name: "Wireless Mouse", sku: "MOUSE-001", price: 29.99, quantity: 100, status: "active", tags: ["input", "wireless"] },
  { name: "Keyboard", sku: "KEY-001", price: 49.5, quantity: 5, status: "active", tags: ["input"] },
  { name: "Monitor Stand", sku: "STAND-001", price: 19, quantity: 0, status: "archived", tags: ["desk"] },
  { name: "USB Hub", sku: "HUB-001", price: 15.25, quantity: 40, status: "pending", tags: ["usb", "desk"] },
  { name: "Webcam", sku: "CAM-001", price: 89, quantity: 8, status: "active", tags: ["video"] }
]

describe("the MACHHUB SDK's wire protocol, from a browser origin", () => {
  let server: TestServer
  let admin: Api
  let developerKey: string
  const password = "operator-password-123"

  beforeAll(async () => {
    server = await startTestServer({ env: { MACHHUB_CORS_ORIGINS: APP_ORIGIN, MACHHUB_MAX_FILE_BYTES: String(64 * 1024) } })
    admin = await adminApi(server.url)
    await seedDomainUser(admin, {
      domain: APP,
      username: "operator",
      password,
      group: "operators",
      permissions: [{ feature: "collections", action: "read-write", scope: "domain" }]
    })
    const key = await admin.inDomain(APP).json("POST", "/api/api-key/generate", {
      name: "hmi-developer-key",
      features: [{ name: "collections", action: "read-write", scope: "domain" }]
    })
    expect(key.status).toBe(200)
    developerKey = key.body.token
  })
  afterAll(() => server.dispose())

  const browserSdk = (key?: string) => new Sdk(server.url, APP, APP_ORIGIN, key)

  it("builds the paths the server answers: /machhub/<path>", () => {
    const sdk = browserSdk()
    expect(sdk.url("/auth/login").pathname).toBe("/machhub/auth/login")
    expect(sdk.url("products/all", { "filter[price][>][number]": 10 }).search).toBe("?filter%5Bprice%5D%5B%3E%5D%5Bnumber%5D=10")
    expect(sdk.url("acme.products:abc").pathname).toBe("/machhub/acme.products:abc")
  })

  it("reads the device and MQTT bind info with its developer key: GET /machhub/", async () => {
    const info = await browserSdk(developerKey).send("GET", "/")
    expect(info.status).toBe(200)
    const body = info.json()
    expect(typeof body.device_name).toBe("string")
    // MQTT over WebSocket runs at /mqtt on the HTTP port; TCP runs if MACHHUB_MQTT_PORT (1883) was free; TLS is a proxy's.
    expect(body.uns.bind.ws).toEqual({ host: "127.0.0.1", port: server.port, enabled: true })
    expect(typeof body.uns.bind.mqtt.enabled).toBe("boolean")
    for (const listener of ["mqtts", "wss"]) expect(body.uns.bind[listener].enabled).toBe(false)
    expect(info.headers.get("app-correlationid")).toMatch(/^[0-9a-f-]{36}$/)
  })

  it("logs in at /machhub/auth/login and is refused, readably, with a wrong password", async () => {
    const sdk = browserSdk()
    const wrong = await sdk.login("operator", "not the password")
    expect(wrong.status).toBe(401)
    expect(wrong.text).toBe("Invalid Username or Password")
    const right = await sdk.login("operator", password)
    expect(right.status).toBe(200)
    expect(right.json()).toMatchObject({ success: true, tkn: expect.any(String) })
    expect(sdk.token).toBeDefined()
  })

  it("creates, reads, updates and deletes records with multipart bodies and full record ids", async () => {
    const sdk = browserSdk()
    await sdk.login("operator", password)
    const products = sdk.collection("crud_products")

    const created = await products.create({ name: "Wireless Mouse", price: 29.99, categoryId: { Table: `${APP}.categories`, ID: "CAT-002" } })
    expect(created.status).toBe(201)
    const { id, record } = created.json()
    expect(id).toMatch(new RegExp(`^${APP}\\.crud_products:`))
    expect(record).toMatchObject({ id, name: "Wireless Mouse", price: 29.99, categoryId: { Table: `${APP}.categories`, ID: "CAT-002" } })
    expect(created.headers.get("etag")).toBe('"1"')
    expect(created.headers.get("app-event-position")).toMatch(/^\d+$/)

    // The SDK puts the id in the path as is; other clients percent-encode it. Both reach the record.
    const raw = await products.getOne(id)
    expect(raw.status).toBe(200)
    expect(raw.json()).toMatchObject({ id, name: "Wireless Mouse" })
    const encoded = await products.getOne(encodeURIComponent(id))
    expect(encoded.status).toBe(200)
    expect(encoded.json()).toEqual(raw.json())

    // update() is a PATCH: the fields sent change, the others stay.
    const updated = await products.update(id, { price: 34.99 })
    expect(updated.status).toBe(200)
    expect(updated.json().record).toMatchObject({ name: "Wireless Mouse", price: 34.99 })
    expect(updated.headers.get("etag")).toBe('"2"')
    const viaEncoded = await products.update(encodeURIComponent(id), { quantity: 7 })
    expect(viaEncoded.status).toBe(200)
    expect(viaEncoded.json().record).toMatchObject({ price: 34.99, quantity: 7 })

    const deleted = await products.delete(encodeURIComponent(id))
    expect(deleted.status).toBe(200)
    const gone = await products.getOne(id)
    expect(gone.status).toBe(404)
  })

  it("lists with plain filters (typeof types), sort, paging, fields and count", async () => {
    const sdk = browserSdk()
    await sdk.login("operator", password)
    for (const product of PRODUCTS) expect((await sdk.collection("products").create(product)).status).toBe(201)
    const names = (answer: PageResponse) => answer.json<Array<{ name: string }>>().map((r) => r.name)

    const all = await sdk.collection("products").getAll()
    expect(all.status).toBe(200)
    expect(all.json()).toHaveLength(PRODUCTS.length)

    const active = await sdk.collection("products").filter("status", "=", "active").sort("price", "desc").getAll()
    expect(names(active)).toEqual(["Webcam", "Keyboard", "Wireless Mouse"])

    const cheapInStock = await sdk.collection("products").filter("price", "<", 30).filter("quantity", ">", 0).sort("price", "asc").getAll()
    expect(names(cheapInStock)).toEqual(["USB Hub", "Wireless Mouse"])

    const page = await sdk.collection("products").sort("name", "asc").offset(1).limit(2).getAll()
    expect(names(page)).toEqual(["Monitor Stand", "USB Hub"])

    const first = await sdk.collection("products").filter("status", "!=", "active").sort("price", "asc").limit(1).getAll()
    expect(names(first)).toEqual(["USB Hub"])

    const trimmed = await sdk.collection("products").filter("sku", "=", "KEY-001").getAll({ fields: ["id", "name", "price"] })
    expect(trimmed.json()).toHaveLength(1)
    expect(Object.keys(trimmed.json()[0]).sort()).toEqual(expect.arrayContaining(["id", "name", "price"]))
    expect(trimmed.json()[0].quantity).toBeUndefined()

    const count = await sdk.collection("products").filter("status", "=", "active").count()
    expect(count.status).toBe(200)
    expect(count.json()).toEqual({ count: 3 })

    const containsText = await sdk.collection("products").filter("name", "CONTAINS", "Mouse").getAll()
    expect(names(containsText)).toEqual(["Wireless Mouse"])

    const bad = await sdk.collection("products").filter("price", ">", "cheap").filter("price", "<", Number.NaN).getAll()
    expect(bad.status).toBe(400)
    expect(bad.text).toMatch(/filter\[price\]/)
  })

  it("sends filter_or groups, typeof object lists, the SurrealDB operators and ARRAY_WHERE as the SDK writes them", async () => {
    const sdk = browserSdk()
    await sdk.login("operator", password)
    const orders = sdk.collection("orders")
    const lines = (...items: Array<[string, number]>) => items.map(([itemId, unitPrice]) => ({ itemId: `${APP}.items:${itemId}`, unitPrice }))
    for (const order of [
      { number: "SO-1", status: "open", customer: "Acme Mills", tags: ["rush", "export"], orderLines: lines(["ITEM-001", 40], ["ITEM-002", 70]) },
      { number: "SO-2", status: "pending", customer: "Bolt & Nut", tags: ["export"], orderLines: lines(["ITEM-002", 55]) },
      { number: "SO-3", status: "closed", customer: "acme tools", tags: [], orderLines: lines(["ITEM-001", 60]) },
      { number: "SO-4", status: "open", customer: "Cogs Ltd", tags: ["rush"], orderLines: [] }
    ]) {
      expect((await orders.create(order)).status).toBe(201)
    }
    const numbers = (answer: PageResponse) => {
      expect(answer.status, answer.text).toBe(200)
      return answer.json<Array<{ number: string }>>().map((r) => r.number).sort()
    }

    expect(numbers(await sdk.collection("orders").orFilter("status", "=", "open").orFilter("status", "=", "pending").getAll())).toEqual(["SO-1", "SO-2", "SO-4"])
    // OR groups AND-ed with the plain filters.
    expect(numbers(await sdk.collection("orders").filter("tags", "CONTAINS", "rush").orFilter("status", "=", "pending").orFilter("status", "=", "open").getAll()))
      .toEqual(["SO-1", "SO-4"])
    // An array given to IN is `typeof` object: the SDK sends it as a comma-separated list.
    expect(numbers(await sdk.collection("orders").filter("status", "IN", ["closed", "pending"]).getAll())).toEqual(["SO-2", "SO-3"])
    expect(numbers(await sdk.collection("orders").filter("status", "INSIDE", ["closed"]).getAll())).toEqual(["SO-3"])
    expect(numbers(await sdk.collection("orders").filter("status", "NOT IN", ["closed", "open"]).getAll())).toEqual(["SO-2"])
    // CONTAINS on an array field: the array holds the element.
    expect(numbers(await sdk.collection("orders").filter("tags", "CONTAINS", "export").getAll())).toEqual(["SO-1", "SO-2"])
    expect(numbers(await sdk.collection("orders").filter("tags", "CONTAINSANY", ["rush", "none"]).getAll())).toEqual(["SO-1", "SO-4"])
    expect(numbers(await sdk.collection("orders").filter("tags", "CONTAINSALL", ["rush", "export"]).getAll())).toEqual(["SO-1"])
    expect(numbers(await sdk.collection("orders").filter("tags", "CONTAINSNOT", "rush").getAll())).toEqual(["SO-2", "SO-3"])
    // ~ is a case-insensitive substring.
    expect(numbers(await sdk.collection("orders").filter("customer", "~", "ACME").getAll())).toEqual(["SO-1", "SO-3"])
    expect(numbers(await sdk.collection("orders").filter("customer", "!~", "acme").getAll())).toEqual(["SO-2", "SO-4"])
    // filterInArray: some line of orderLines has itemId = ... (and, chained, unitPrice < 50).
    expect(numbers(await sdk.collection("orders").filterInArray("orderLines", "itemId", "=", `${APP}.items:ITEM-001`).getAll())).toEqual(["SO-1", "SO-3"])
    expect(numbers(await sdk.collection("orders").filterInArray("orderLines", "unitPrice", "<", 50).filter("status", "=", "open").getAll())).toEqual(["SO-1"])
    expect((await sdk.collection("orders").orFilter("status", "=", "open").orFilter("status", "=", "pending").count()).json()).toEqual({ count: 3 })

    const unsupported = await sdk.collection("orders").filter("tags", "?=", "rush").getAll()
    expect(unsupported.status).toBe(400)
    expect(unsupported.text).toMatch(/operator "\?=" is not supported/)
    const unknown = await sdk.collection("orders").filter("tags", "LIKE", "rush").getAll()
    expect(unknown.status).toBe(400)
    expect(unknown.text).toMatch(/unknown operator/)
  })

  it("works with the developer key alone, without a login", async () => {
    const sdk = browserSdk(developerKey)
    const created = await sdk.collection("keyed").create({ value: 1 })
    expect(created.status).toBe(201)
    const listed = await sdk.collection("keyed").getAll()
    expect(listed.json()).toEqual([expect.objectContaining({ value: 1, id: created.json().id })])
  })

  it("lets the page read refusals: no credential 401, another domain's record 404", async () => {
    const anonymous = await browserSdk().collection("products").getAll()
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get("content-type")).toMatch(/^text\/plain/)

    const sdk = browserSdk()
    await sdk.login("operator", password)
    const foreign = await sdk.collection("products").getOne(encodeURIComponent("machhub_admin.products:abc"))
    expect(foreign.status).toBe(404)
  })

  it("uploads files with create and update, and reads them back with getFile (PATCH /machhub/file)", async () => {
    const sdk = browserSdk()
    await sdk.login("operator", password)
    const documents = sdk.collection("documents")
    const created = await documents.create({
      title: "Report",
      coverImage: new File([png(1)], "cover.png", { type: "image/png" }),
      attachments: [new File(["a,b\n1,2\n"], "data.csv", { type: "text/csv" }), new File(["notes"], "notes.txt", { type: "text/plain" })]
    })
    expect(created.status, created.text).toBe(201)
    const { id, record } = created.json()
    expect(record).toMatchObject({ title: "Report", coverImage: "cover.png", attachments: ["data.csv", "notes.txt"] })

    const cover = await documents.getFile("cover.png", "coverImage", id)
    expect(cover.status).toBe(200)
    expect(cover.headers.get("content-type")).toBe("image/png")
    expect(cover.bytes.equals(png(1))).toBe(true)
    // The page can read the file's name: Content-Disposition is exposed.
    expect(cover.headers.get("content-disposition")).toMatch(/cover\.png/)
    const csv = await documents.getFile("data.csv", "attachments", id)
    expect(csv.status).toBe(200)
    expect(csv.text).toBe("a,b\n1,2\n")

    // update() with only the file field: other fields stay; the same name with other bytes gets a new name.
    const replaced = await documents.update(id, { coverImage: new File([png(2)], "cover.png", { type: "image/png" }) })
    expect(replaced.status, replaced.text).toBe(200)
    const newName = replaced.json().record.coverImage
    expect(newName).toMatch(/^cover-[0-9a-f]{12}\.png$/)
    expect(replaced.json().record.title).toBe("Report")
    expect((await documents.getFile(newName, "coverImage", id)).bytes.equals(png(2))).toBe(true)
    expect((await documents.getFile("cover.png", "coverImage", id)).status).toBe(404)

    // Deleting a file is updating its field to null.
    const cleared = await documents.update(encodeURIComponent(id), { coverImage: null })
    expect(cleared.status).toBe(200)
    expect(cleared.json().record.coverImage).toBeNull()
    expect((await documents.getFile(newName, "coverImage", id)).status).toBe(404)

    // Over the file limit: 413, readable by the page.
    const tooLarge = await documents.create({ title: "big", blob: new File([Buffer.alloc(70 * 1024, 7)], "big.bin") })
    expect(tooLarge.status).toBe(413)
    expect(tooLarge.text).toMatch(/MACHHUB_MAX_FILE_BYTES/)

    // Another domain's record is not found, whatever its file name.
    const foreign = await documents.getFile("cover.png", "coverImage", "machhub_admin.documents:abc")
    expect(foreign.status).toBe(404)
  })

  it("reads the session and the caller's permissions as sdk.auth does", async () => {
    const sdk = browserSdk()
    await sdk.login("operator", password)
    const me = await sdk.auth.getCurrentUser()
    expect(me.status).toBe(200)
    expect(me.json()).toMatchObject({ username: "operator", kind: "user", group_ids: ["operators"] })

    expect((await sdk.auth.validateCurrentUser()).json()).toMatchObject({ valid: true })
    expect((await sdk.auth.validateJWT("not.a.token")).json()).toMatchObject({ valid: false })
    expect((await sdk.auth.validateJWT(developerKey)).json()).toMatchObject({ valid: false })

    const actions = await sdk.auth.checkAction("collections", "domain")
    expect(actions.status).toBe(200)
    expect(actions.json().actions).toEqual(expect.arrayContaining(["read", "read-write"]))
    expect((await sdk.auth.checkAction("collections")).json().actions).toEqual(expect.arrayContaining(["read"]))
    expect((await sdk.auth.checkAction("users", "domain")).json().actions).toEqual([])
    expect((await sdk.auth.checkAction("no such feature", "domain")).json().actions).toEqual([])

    expect((await sdk.auth.checkPermission("collections", "read-write", "domain")).json()).toMatchObject({ permission: true })
    expect((await sdk.auth.checkPermission("collections", "read")).json()).toMatchObject({ permission: true })
    expect((await sdk.auth.checkPermission("users", "read", "domain")).json()).toMatchObject({ permission: false })

    // Management is refused readably to a caller without the permission.
    const users = await sdk.auth.getUsers()
    expect(users.status).toBe(403)
    expect(users.text).toMatch(/users:read/)
  })

  it("manages users and groups as sdk.auth does: profile fields, groups, members and grants", async () => {
    await seedDomainUser(admin, {
      domain: APP,
      username: "manager",
      password: "manager-password-123",
      group: "managers",
      permissions: [
        { feature: "users", action: "read-write", scope: "domain" },
        { feature: "groups", action: "read-write", scope: "domain" },
        { feature: "collections", action: "read-write", scope: "domain" },
        { feature: "tags", action: "read", scope: "domain" }
      ]
    })
    const sdk = browserSdk()
    expect((await sdk.login("manager", "manager-password-123")).status).toBe(200)

    const created = await sdk.auth.createUser("Ada", "Lovelace", "ada", "ada@example.com", "ada-password-123", "+44 20 7946 0000", "data:image/png;base64,iVBORw0KGgo=")
    expect(created.status).toBe(201)
    const ada = created.json()
    expect(ada).toMatchObject({ username: "ada", firstName: "Ada", lastName: "Lovelace", email: "ada@example.com", number: "+44 20 7946 0000", userImage: "data:image/png;base64,iVBORw0KGgo=", group_ids: [] })

    const listed = await sdk.auth.getUsers()
    expect(listed.status).toBe(200)
    expect(listed.json()).toEqual(expect.arrayContaining([expect.objectContaining({ id: ada.id, username: "ada", firstName: "Ada" })]))
    const one = await sdk.auth.getUserById(ada.id)
    expect(one.status).toBe(200)
    expect(one.json()).toMatchObject({ id: ada.id, email: "ada@example.com" })

    const group = await sdk.auth.createGroup("line-leads", [{ name: "collections", action: "read", scope: "domain" }])
    expect(group.status).toBe(201)
    const groupId = group.json().id
    expect(group.json()).toMatchObject({ name: "line-leads", features: [{ name: "collections", action: "read", scope: "domain", domain: APP }] })

    const added = await sdk.auth.addUserToGroup(ada.id, groupId)
    expect(added.status).toBe(200)
    const groups = await sdk.auth.getGroups()
    expect(groups.json()).toEqual(expect.arrayContaining([expect.objectContaining({ id: groupId, user_ids: [ada.id] })]))

    const granted = await sdk.auth.addPermissionsToGroup(groupId, [{ name: "tags", action: "read", scope: "domain" }])
    expect(granted.status).toBe(200)
    const permissions = await sdk.auth.getPermissions()
    expect(permissions.status).toBe(200)
    expect(permissions.json().permissions).toEqual(expect.arrayContaining([{ name: "tags", action: "read", scope: "domain" }, { name: "collections", action: "read", scope: "domain" }]))

    // The new user signs in through the SDK and holds what the group grants.
    const adaSdk = browserSdk()
    expect((await adaSdk.login("ada", "ada-password-123")).status).toBe(200)
    expect((await adaSdk.auth.getCurrentUser()).json()).toMatchObject({ id: ada.id, firstName: "Ada", group_ids: ["line-leads"] })
    expect((await adaSdk.auth.checkPermission("collections", "read", "domain")).json()).toMatchObject({ permission: true })
    expect((await adaSdk.auth.checkPermission("collections", "read-write", "domain")).json()).toMatchObject({ permission: false })
    expect((await adaSdk.collection("products").getAll()).status).toBe(200)
    expect((await adaSdk.collection("products").create({ name: "nope" })).status).toBe(403)
  })

  it("is refused by the browser when the page's origin is not listed", async () => {
    const stranger = new Sdk(server.url, APP, "https://elsewhere.example.com", developerKey)
    await expect(stranger.collection("products").getAll()).rejects.toThrow(/CORS preflight/)
  })
})
