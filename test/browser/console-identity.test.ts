import { readFile } from "node:fs/promises"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import type { Page } from "playwright-core"
import { ADMIN_PASSWORD, startTestServer, type TestServer } from "../support/server.js"
import { launchBrowser, screenshot, signInThroughForm, type TestBrowser } from "./support/browser.js"

/**
 * The web console in a real browser (SPEC §12), identity and collections: the bootstrap admin signs
 * in, sets up a read-only group and user, issues a key whose secret is shown once, defines a
 * collection with a schema, creates, edits and filters records (a schema error is shown at its
 * field, a file is uploaded and downloaded, the history shows the record as it was), and the
 * read-only user then sees no control that would write.
 */

const VIEWER = { username: "viewer", password: "viewer password 123" }

let server: TestServer
let browser: TestBrowser

beforeAll(async () => {
  server = await startTestServer()
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await server?.dispose()
})

const goTo = async (page: Page, hash: string, heading: string | RegExp) => {
  await page.goto(`${server.url}/console/${hash}`)
  await page.getByRole("heading", { level: 1, name: heading }).waitFor()
}

const dialog = (page: Page, name: string | RegExp) => page.getByRole("dialog", { name })

describe("console: identity, keys and collections", { timeout: 180_000 }, () => {
  let admin: Page
  let adminProblems: Array<string> = []
  let keySecret = ""

  // What the page showed when a step failed, next to the other screenshots.
  afterEach(async ({ task }) => {
    if (task.result?.state === "fail" && (admin as Page | undefined) !== undefined) await screenshot(admin, `failed-${task.name.slice(0, 40).replace(/\W+/g, "-")}`).catch(() => undefined)
  })

  it("serves the console shell with caching headers and signs the admin in", async () => {
    const index = await fetch(`${server.url}/console/`)
    expect(index.status).toBe(200)
    expect(index.headers.get("cache-control")).toBe("no-cache")
    expect(index.headers.get("content-security-policy")).toContain("default-src 'self'")
    const script = /\/console\/(assets\/[^"]+\.js)/.exec(await index.text())?.[1]
    expect(script).toBeDefined()
    const asset = await fetch(`${server.url}/console/${script}`)
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable")
    expect(asset.headers.get("content-type")).toMatch(/^text\/javascript/)
    expect((await fetch(`${server.url}/console/assets/missing.js`)).status).toBe(404)
    expect((await fetch(`${server.url}/console/%2e%2e/package.json`)).status).toBe(404)

    const opened = await browser.open(`${server.url}/console/`)
    admin = opened.page
    adminProblems = opened.problems
    await admin.getByRole("heading", { name: "Sign in to machhub" }).waitFor()
    await screenshot(admin, "sign-in")
    // A wrong password is answered at the form, in words.
    await admin.getByLabel("Username").fill("admin")
    await admin.getByLabel("Password").fill("not the password")
    await admin.getByRole("button", { name: "Sign in" }).click()
    await expect.poll(() => admin.getByRole("alert").textContent()).toMatch(/Invalid Username or Password/)

    await signInThroughForm(admin, "admin", ADMIN_PASSWORD)
    const nav = admin.getByRole("navigation", { name: "Pages" })
    for (const title of ["Users", "Groups", "Developer keys", "Collections"]) await nav.getByRole("link", { name: title }).waitFor()
    await expect.poll(() => admin.getByLabel("Domain").inputValue()).toBe("machhub_admin")
    await screenshot(admin, "home")
  })

  it("creates a read-only group and a user in it", async () => {
    await goTo(admin, "#/groups", "Groups and permissions")
    await admin.getByRole("button", { name: "New group" }).click()
    const create = dialog(admin, "New group")
    await create.getByLabel("Group name").fill("readers")
    for (const feature of ["collections", "api_keys", "users", "groups"]) {
      await create.getByLabel("Feature", { exact: true }).selectOption(feature)
      await create.getByLabel("Action").selectOption("read")
      await create.getByLabel("Scope").selectOption("domain")
      await create.getByRole("button", { name: "Add permission" }).click()
    }
    await create.getByRole("button", { name: "Create group" }).click()
    const row = admin.getByRole("row").filter({ hasText: "readers" })
    await row.getByText("collections:read:domain").waitFor()
    await row.getByText("groups:read:domain").waitFor()
    await screenshot(admin, "groups")

    await goTo(admin, "#/users", "Users")
    await admin.getByRole("button", { name: "New user" }).click()
    const newUser = dialog(admin, "New user")
    await newUser.getByLabel("Username").fill(VIEWER.username)
    await newUser.getByLabel("Password").fill(VIEWER.password)
    await newUser.getByLabel("readers").check()
    await newUser.getByRole("button", { name: "Create user" }).click()
    await admin.getByRole("row").filter({ hasText: VIEWER.username }).getByText("readers").waitFor()
    await screenshot(admin, "users")
  })

  it("issues a key whose secret is shown once, then suspends, resumes and revokes keys", async () => {
    await goTo(admin, "#/keys", "Developer keys")
    await admin.getByRole("button", { name: "New key" }).click()
    const create = dialog(admin, "New developer key")
    await create.getByLabel("Key name").fill("ci-reader")
    await create.getByLabel("collections:read").check()
    await create.getByRole("button", { name: "Create key" }).click()

    const shown = dialog(admin, /Key ci-reader created/)
    keySecret = (await shown.getByTestId("key-secret").textContent()) ?? ""
    expect(keySecret).toMatch(/^mchx_/)
    await shown.getByRole("button", { name: "Copy key" }).waitFor()
    await screenshot(admin, "keys-secret")
    // The secret shown is the key itself: the server takes it.
    const withKey = await fetch(`${server.url}/api/me`, { headers: { "X-Machhub-Api-Key": keySecret } })
    expect(withKey.status).toBe(200)
    expect(((await withKey.json()) as { kind: string }).kind).toBe("key")

    await shown.getByRole("button", { name: "Done" }).click()
    const row = admin.getByRole("row").filter({ hasText: "ci-reader" })
    await row.getByText("active").waitFor()
    expect(await admin.content()).not.toContain(keySecret)
    await admin.reload()
    await admin.getByRole("row").filter({ hasText: "ci-reader" }).waitFor()
    expect(await admin.content()).not.toContain(keySecret)
    expect(await admin.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage))).not.toContain(keySecret)

    await admin.getByRole("row").filter({ hasText: "ci-reader" }).getByRole("button", { name: "Suspend" }).click()
    await admin.getByRole("row").filter({ hasText: "ci-reader" }).getByText("suspended").waitFor()
    const whileSuspended = await fetch(`${server.url}/api/me`, { headers: { "X-Machhub-Api-Key": keySecret } })
    // The body says what the server saw if a suspended key is ever let through.
    expect(whileSuspended.status, await whileSuspended.text()).toBe(401)
    await admin.getByRole("row").filter({ hasText: "ci-reader" }).getByRole("button", { name: "Resume" }).click()
    await admin.getByRole("row").filter({ hasText: "ci-reader" }).getByText("active").waitFor()
    expect((await fetch(`${server.url}/api/me`, { headers: { "X-Machhub-Api-Key": keySecret } })).status).toBe(200)

    // Scopes change after issue; the secret stays the same.
    await admin.getByRole("row").filter({ hasText: "ci-reader" }).getByRole("button", { name: "Edit ci-reader" }).click()
    await dialog(admin, "Edit key ci-reader").getByLabel("audit").check()
    await dialog(admin, "Edit key ci-reader").getByRole("button", { name: "Save key" }).click()
    await admin.getByRole("row").filter({ hasText: "ci-reader" }).getByText(/audit, collections:read|collections:read, audit/).waitFor()
    expect((await fetch(`${server.url}/api/audit/events?limit=1`, { headers: { "X-Machhub-Api-Key": keySecret } })).status).toBe(200)

    // Escape closes a dialog without issuing anything.
    await admin.getByRole("button", { name: "New key" }).click()
    await dialog(admin, "New developer key").getByLabel("Key name").waitFor()
    await admin.keyboard.press("Escape")
    await dialog(admin, "New developer key").waitFor({ state: "hidden" })

    // A second key, revoked: it stops working and keeps no controls.
    await admin.getByRole("button", { name: "New key" }).click()
    await dialog(admin, "New developer key").getByLabel("Key name").fill("short-lived")
    await dialog(admin, "New developer key").getByRole("button", { name: "Create key" }).click()
    const second = (await dialog(admin, /Key short-lived created/).getByTestId("key-secret").textContent()) ?? ""
    await dialog(admin, /Key short-lived created/).getByRole("button", { name: "Done" }).click()
    await admin.getByRole("row").filter({ hasText: "short-lived" }).getByRole("button", { name: "Revoke" }).click()
    await dialog(admin, /Revoke short-lived/).getByRole("button", { name: "Revoke key" }).click()
    const revoked = admin.getByRole("row").filter({ hasText: "short-lived" })
    await revoked.getByText("revoked").waitFor()
    expect(await revoked.getByRole("button").count()).toBe(0)
    expect((await fetch(`${server.url}/api/me`, { headers: { "X-Machhub-Api-Key": second } })).status).toBe(401)
    await screenshot(admin, "keys")
  })

  it("switches the active domain: every page then reads the chosen domain", async () => {
    const token = ((await (await fetch(`${server.url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD })
    })).json()) as { tkn: string }).tkn
    const created = await fetch(`${server.url}/api/domains`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ name: "acme" }) })
    expect(created.status).toBeLessThan(300)

    await goTo(admin, "#/users", "Users")
    await admin.reload()
    await admin.getByRole("caption").filter({ hasText: "Users of machhub_admin" }).waitFor()
    await admin.getByLabel("Domain").selectOption("acme")
    await admin.getByRole("caption").filter({ hasText: "Users of acme" }).waitFor()
    // The viewer is a user of machhub_admin only.
    expect(await admin.getByRole("cell", { name: VIEWER.username, exact: true }).count()).toBe(0)
    await admin.getByLabel("Domain").selectOption("machhub_admin")
    await admin.getByRole("cell", { name: VIEWER.username, exact: true }).waitFor()
  })

  it("defines a collection, creates records (schema errors at the field, a file), filters, sorts and pages them", async () => {
    await goTo(admin, "#/collections", "Collections")
    await admin.getByRole("button", { name: "Define collection" }).click()
    const define = dialog(admin, "Define a collection")
    await define.getByLabel("Collection name").fill("products")
    await define.getByLabel("JSON Schema").fill(JSON.stringify({
      type: "object",
      properties: {
        name: { type: "string", minLength: 2 },
        price: { type: "number", minimum: 0 },
        datasheet: { type: "string", format: "binary" }
      },
      required: ["name"]
    }))
    await define.getByRole("button", { name: "Define collection" }).click()
    await admin.getByRole("link", { name: "products" }).click()
    await admin.getByRole("heading", { name: "Collection products" }).waitFor()

    const create = async (name: string, price: number, file?: { name: string; text: string }) => {
      await admin.getByRole("button", { name: "New record" }).click()
      const editor = dialog(admin, "New record in products")
      await editor.getByLabel("name (required)").fill(name)
      await editor.getByLabel("price").fill(String(price))
      if (file !== undefined) await editor.getByLabel("datasheet").setInputFiles({ name: file.name, mimeType: "text/plain", buffer: Buffer.from(file.text) })
      await editor.getByRole("button", { name: "Create record" }).click()
      return editor
    }

    // Refused by the schema: the server's 422 is shown at the field it names, and the dialog stays open.
    const refused = await create("B", 1)
    const nameField = refused.getByLabel("name (required)")
    await expect.poll(() => nameField.getAttribute("aria-invalid")).toBe("true")
    const described = await nameField.getAttribute("aria-describedby")
    expect(await refused.locator(`[id="${described?.split(" ")[0]}"]`).textContent()).toMatch(/fewer than 2 characters/)
    await screenshot(admin, "record-editor-error")
    await refused.getByRole("button", { name: "Cancel" }).click()

    await create("Bolt", 3, { name: "bolt.txt", text: "M6 bolt, zinc plated" })
    await admin.getByRole("cell", { name: "Bolt", exact: true }).waitFor()
    await create("Nut", 1)
    await admin.getByRole("cell", { name: "Nut", exact: true }).waitFor()
    await create("Washer", 7)
    await admin.getByRole("cell", { name: "Washer", exact: true }).waitFor()

    // Filter price > 2 (a number), then sort by price descending: built as the data plane's own query.
    const controls = admin.getByRole("region", { name: "Filters and sort" })
    await controls.getByLabel("Filter field").fill("price")
    await controls.getByLabel("Operator").selectOption(">")
    await controls.getByLabel("Type").selectOption("number")
    await controls.getByLabel("Value").fill("2")
    await controls.getByRole("button", { name: "Add filter" }).click()
    await expect.poll(() => admin.getByTestId("records-query").textContent()).toContain("filter[price][>][number]=2")
    await admin.getByRole("cell", { name: "Nut", exact: true }).waitFor({ state: "detached" })
    await controls.getByLabel("Sort field").fill("price")
    await controls.getByLabel("Direction").selectOption("desc")
    await controls.getByRole("button", { name: "Add sort" }).click()
    await expect.poll(() => admin.getByTestId("records-query").textContent()).toContain("sort=[price][desc]")
    const names = async () => (await admin.locator("tbody tr").allTextContents()).map((row) => (/Washer|Bolt|Nut/.exec(row) ?? [""])[0])
    await expect.poll(names).toEqual(["Washer", "Bolt"])
    await admin.getByRole("caption").filter({ hasText: "Records 1–2 of 2" }).waitFor()
    await screenshot(admin, "records")

    // Paging: one per page walks the same filtered, sorted list.
    await admin.getByLabel("Per page").selectOption("10")
    await admin.getByRole("caption").filter({ hasText: "of 2" }).waitFor()
    const url = new URL(admin.url())
    await admin.goto(`${server.url}/console/${url.hash.replace("limit=10", "limit=1")}`)
    await admin.getByRole("caption").filter({ hasText: "Records 1–1 of 2" }).waitFor()
    await expect.poll(names).toEqual(["Washer"])
    await admin.getByRole("button", { name: "Next page" }).click()
    await admin.getByRole("caption").filter({ hasText: "Records 2–2 of 2" }).waitFor()
    await expect.poll(names).toEqual(["Bolt"])
  })

  it("edits a record, downloads its file, and shows its history and its state as of an earlier version", async () => {
    await admin.locator("tbody tr").filter({ hasText: "Bolt" }).getByRole("link").click()
    await admin.getByRole("heading", { name: /^Record / }).waitFor()
    await expect.poll(() => admin.getByTestId("record-json").textContent()).toContain('"price": 3')

    const downloading = admin.waitForEvent("download")
    await admin.getByRole("button", { name: "Download datasheet (bolt.txt)" }).click()
    const file = await downloading
    expect(file.suggestedFilename()).toBe("bolt.txt")
    expect(await readFile((await file.path())!, "utf8")).toBe("M6 bolt, zinc plated")

    await admin.getByRole("button", { name: "Edit record" }).click()
    const editor = dialog(admin, /Edit record/)
    await editor.getByLabel("price").fill("-1")
    await editor.getByRole("button", { name: "Save record" }).click()
    await expect.poll(() => editor.getByLabel("price").getAttribute("aria-invalid")).toBe("true")
    await editor.getByText(/must be >= 0/).waitFor()
    await editor.getByLabel("price").fill("4")
    await editor.getByRole("button", { name: "Save record" }).click()
    await expect.poll(() => admin.getByTestId("record-json").textContent()).toContain('"price": 4')

    const history = admin.getByRole("region", { name: "History" })
    await history.getByRole("cell", { name: "RecordCreated" }).waitFor()
    await history.getByRole("cell", { name: "RecordUpdated" }).waitFor()
    await history.getByRole("button", { name: "Show as of version 1" }).click()
    const past = admin.getByTestId("record-as-of")
    await expect.poll(() => past.textContent()).toContain('"price": 3')
    expect(await past.textContent()).toContain("version 1")
    await screenshot(admin, "record")

    // Deleted, the record leaves the list; its page still shows its history and its past states.
    const recordPage = admin.url()
    await admin.getByRole("button", { name: "Delete record" }).click()
    await dialog(admin, "Delete this record?").getByRole("button", { name: "Delete" }).click()
    await admin.getByRole("heading", { name: "Collection products" }).waitFor()
    await admin.getByRole("cell", { name: "Washer", exact: true }).waitFor()
    expect(await admin.getByRole("cell", { name: "Bolt", exact: true }).count()).toBe(0)
    await admin.goto(recordPage)
    await admin.getByText(/does not exist now/).waitFor()
    await history.getByRole("cell", { name: "RecordDeleted" }).waitFor()
    await history.getByRole("button", { name: "Show as of version 2" }).click()
    await expect.poll(() => past.textContent()).toContain('"price": 4')
  })

  it("shows a read-only user no write controls, and a page it may not read says so", async () => {
    await admin.getByRole("button", { name: "Sign out" }).click()
    await admin.getByRole("heading", { name: "Sign in to machhub" }).waitFor()

    // Keyboard only: the username field has the focus on arrival, Tab moves on, Enter signs in.
    const { page: viewer, problems: viewerProblems } = await browser.open(`${server.url}/console/`)
    await expect.poll(() => viewer.evaluate("document.activeElement && document.activeElement.getAttribute('name')")).toBe("username")
    await viewer.keyboard.type(VIEWER.username)
    await viewer.keyboard.press("Tab")
    await viewer.keyboard.type(VIEWER.password)
    await viewer.keyboard.press("Enter")
    const nav = viewer.getByRole("navigation", { name: "Pages" })
    await nav.waitFor()
    await nav.getByRole("link", { name: "Collections" }).waitFor()
    // Pages for features the group does not grant are not offered.
    expect(await nav.getByRole("link", { name: "Audit log" }).count()).toBe(0)
    expect(await nav.getByRole("link", { name: "SSH machines" }).count()).toBe(0)

    await goTo(viewer, "#/collections", "Collections")
    await viewer.getByRole("link", { name: "products" }).waitFor()
    expect(await viewer.getByRole("button", { name: /Define collection|Edit definition/ }).count()).toBe(0)
    await screenshot(viewer, "readonly-collections")

    await viewer.getByRole("link", { name: "products" }).click()
    await viewer.getByRole("cell", { name: "Washer", exact: true }).waitFor()
    expect(await viewer.getByRole("button", { name: "New record" }).count()).toBe(0)
    await viewer.locator("tbody tr").filter({ hasText: "Washer" }).getByRole("link").click()
    await expect.poll(() => viewer.getByTestId("record-json").textContent()).toContain("Washer")
    expect(await viewer.getByRole("button", { name: /Edit record|Delete record/ }).count()).toBe(0)
    await viewer.getByText(/history is read from the audit log/).waitFor()
    await screenshot(viewer, "readonly-record")

    for (const [hash, heading, writes] of [
      ["#/keys", "Developer keys", /New key|Suspend|Resume|Revoke|^Edit/],
      ["#/users", "Users", /New user|^Edit/],
      ["#/groups", "Groups and permissions", /New group|Edit permissions/]
    ] as const) {
      await goTo(viewer, hash, heading)
      await viewer.getByRole("table").waitFor()
      await viewer.getByRole("status").filter({ hasText: "Loading" }).waitFor({ state: "detached" })
      expect(await viewer.getByRole("button", { name: writes }).count()).toBe(0)
    }
    await goTo(viewer, "#/keys", "Developer keys")
    await viewer.getByRole("row").filter({ hasText: "ci-reader" }).waitFor()
    await screenshot(viewer, "readonly-keys")

    // A page outside the user's permissions answers in words, not with an error page.
    await viewer.goto(`${server.url}/console/#/audit`)
    await viewer.getByRole("alert").filter({ hasText: /do not have permission/ }).waitFor()
    await screenshot(viewer, "readonly-no-permission")

    // The session survives a reload; an access token the server refuses (as an expired one is) is
    // renewed with the refresh token, without asking the user to sign in again.
    const stored = () => viewer.evaluate(() => JSON.parse(localStorage.getItem("machhub.console.session") ?? "null") as { credential: { kind: string; token: string } } | null)
    expect((await stored())?.credential.kind).toBe("session")
    await goTo(viewer, "#/keys", "Developer keys")
    await viewer.evaluate(() => {
      const session = JSON.parse(localStorage.getItem("machhub.console.session")!) as { credential: { token: string } }
      session.credential.token = "not-a-token-the-server-issued"
      localStorage.setItem("machhub.console.session", JSON.stringify(session))
    })
    await viewer.reload()
    await viewer.getByRole("navigation", { name: "Pages" }).waitFor()
    await viewer.getByRole("row").filter({ hasText: "ci-reader" }).waitFor()
    expect((await stored())?.credential.token).not.toBe("not-a-token-the-server-issued")
    await viewer.getByRole("button", { name: "Sign out" }).click()
    await viewer.getByRole("heading", { name: "Sign in to machhub" }).waitFor()
    expect(await viewer.evaluate(() => localStorage.getItem("machhub.console.session"))).toBeNull()

    // Signing in with a 24-hour token instead of a session works the same.
    await viewer.getByLabel("A 24-hour token").check()
    await signInThroughForm(viewer, VIEWER.username, VIEWER.password)
    expect((await stored())?.credential.kind).toBe("jwt")
    await goTo(viewer, "#/collections", "Collections")
    await viewer.getByRole("link", { name: "products" }).waitFor()

    // No page threw, and nothing was refused by the page's Content-Security-Policy.
    expect([...adminProblems, ...viewerProblems]).toEqual([])
  })
})
