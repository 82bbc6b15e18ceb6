import { readFileSync } from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Locator, Page } from "playwright-core"
import { adminApi, seedDomainUser, type Api } from "../support/api.js"
import { ADMIN_PASSWORD, startTestServer, type TestServer } from "../support/server.js"
import { startSshTarget, type SshTarget } from "../support/ssh-target.mjs"
import { launchBrowser, screenshot, signInThroughForm, type TestBrowser } from "./support/browser.js"

/**
 * The console's data pages in Debian's Chromium against a real server (its MQTT broker, historian,
 * sandbox, SSH bridge and event log) and a real SSH target: a tag value seen changing live over
 * /mqtt, a historian chart drawn from stored points and its CSV export, a function and a process run
 * from their pages, a production report, a terminal on the SSH target (a command's output, resize,
 * reconnect with a new ticket) and that session played back from the audit log. Each page is kept
 * as a screenshot in test/browser/artifacts/.
 */

const MASTER = "console master password 1"
const SSH_PASSWORD = "ssh-password-1"
const TEMPERATURE = "Plant1/LineA/Temperature"
const PRESSURE = "Plant1/LineA/Pressure"

/** Waits until the locator's text satisfies `check` (the page updates on its own: MQTT, sockets, players). */
const textOf = async (locator: Locator, check: (text: string) => boolean, what: string): Promise<string> => {
  let last = ""
  await expect.poll(async () => {
    last = (await locator.textContent()) ?? ""
    return check(last)
  }, { timeout: 20_000, interval: 100, message: `${what}; last seen: ${JSON.stringify(last.slice(-400))}` }).toBe(true)
  return last
}

const go = async (page: Page, route: string, heading: string | RegExp) => {
  // Evaluated in the page (the test's own typecheck has no DOM types).
  await page.evaluate(`window.location.hash = ${JSON.stringify(route)}`)
  await page.getByRole("heading", { level: 1, name: heading }).waitFor()
}

describe("console data pages in a real browser", () => {
  let server: TestServer
  let target: SshTarget
  let admin: Api
  let browser: TestBrowser
  let page: Page

  beforeAll(async () => {
    target = await startSshTarget({ username: "tester", password: SSH_PASSWORD })
    server = await startTestServer()
    admin = await adminApi(server.url)
    browser = await launchBrowser()
    page = (await browser.open(`${server.url}/console/`)).page
    await signInThroughForm(page, "admin", ADMIN_PASSWORD)
  })
  afterAll(async () => {
    await browser?.close()
    await server?.dispose()
    await target?.close()
  })

  it("shows a tag's value changing live over MQTT as it is written over HTTP", async () => {
    const defined = await admin.json("PUT", `/api/tags/${TEMPERATURE}`, { access: "RW", historize: { type: "event" } })
    expect(defined.status).toBe(200)
    await go(page, "#/tags", "Tags")
    await textOf(page.getByTestId("mqtt-status"), (t) => t === "live", "the page's MQTT connection is live")
    const cell = page.getByTestId(`value-${TEMPERATURE}`)
    expect((await admin.json("POST", `/machhub/tag/${TEMPERATURE}`, { value: 21.5 })).status).toBe(200)
    await textOf(cell, (t) => t === "21.5", "the first value")
    expect((await admin.json("POST", `/machhub/tag/${TEMPERATURE}`, { value: 22.75 })).status).toBe(200)
    await textOf(cell, (t) => t === "22.75", "the changed value")
    // A value published from the page reaches the server (read back over HTTP).
    const publish = page.getByRole("form", { name: "Publish a value" })
    await publish.getByLabel("Topic").fill("Plant1/LineA/Mode")
    await publish.getByLabel("Value (JSON or text)").fill("running")
    await publish.getByRole("button", { name: "Publish" }).click()
    await textOf(page.getByTestId("value-Plant1/LineA/Mode"), (t) => t === "running", "the value published from the page")
    expect((await admin.json("GET", "/machhub/tag/value/Plant1/LineA/Mode")).body).toMatchObject({ value: "running" })
    await screenshot(page, "data-tags")
  })

  it("draws two historized tags on one historian chart and exports them as CSV", async () => {
    expect((await admin.json("PUT", `/api/tags/${PRESSURE}`, { access: "RW", historize: { type: "event" } })).status).toBe(200)
    const now = Date.now()
    const points = Array.from({ length: 30 }, (_, i) => [
      { topic: TEMPERATURE, value: 20 + Math.sin(i / 4) * 3, timestamp: now - (30 - i) * 60_000 },
      { topic: PRESSURE, value: 1 + i / 30, timestamp: now - (30 - i) * 60_000 }
    ]).flat()
    expect((await admin.json("POST", "/machhub/tag/batch", points)).status).toBe(200)

    await go(page, "#/historian", "Historian")
    await page.getByRole("checkbox", { name: TEMPERATURE }).check()
    await page.getByRole("checkbox", { name: PRESSURE }).check()
    await page.getByLabel("Bucket").selectOption("1m")
    await page.getByRole("button", { name: "Show chart" }).click()
    const chart = page.locator(".chart")
    await chart.locator("canvas").waitFor()
    // Both series are drawn with points from the store: 30 or so one-minute buckets each.
    expect(Number(await chart.getAttribute("data-points"))).toBeGreaterThanOrEqual(50)
    expect(await chart.locator(".u-legend").textContent()).toContain(PRESSURE)
    await screenshot(page, "data-historian")

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export CSV" }).click()])
    const csv = readFileSync((await download.path())!, "utf8").trim().split(/\r?\n/)
    expect(csv[0]).toBe(`Timestamp,${TEMPERATURE},${PRESSURE}`)
    expect(csv.length).toBeGreaterThanOrEqual(25)
  })

  it("runs a function from its page, shows the result and the run's log, and runs it again after an edit", async () => {
    const created = await admin.json("POST", "/api/functions", {
      name: "double",
      language: "typescript",
      code: "const n: number = context.payload.n\nsdk.log('doubling ' + n)\nreturn { doubled: n * 2 }"
    })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    await go(page, "#/functions", "Functions")
    await page.getByRole("button", { name: "double" }).click()
    await page.getByLabel("Payload (JSON)").fill('{ "n": 21 }')
    await page.getByRole("button", { name: "Run", exact: true }).click()
    const outcome = await textOf(page.getByTestId("run-outcome"), (t) => t.includes("doubled"), "the function's result")
    expect(JSON.parse(outcome)).toEqual({ doubled: 42 })
    // The run is listed; its details hold the line the code logged.
    await page.getByRole("button", { name: "Steps and logs" }).first().click()
    await textOf(page.locator(".run-detail"), (t) => t.includes("doubling 21"), "the run's log line")
    await screenshot(page, "data-functions")

    // Edited in the page: the saved code is what runs next.
    const definition = page.getByRole("form", { name: "Function definition" })
    await definition.getByLabel(/^Code/).fill("return { tripled: context.payload.n * 3 }")
    await definition.getByRole("button", { name: "Save" }).click()
    await definition.getByText("Version 2").waitFor()
    await page.getByRole("button", { name: "Run", exact: true }).click()
    const edited = await textOf(page.getByTestId("run-outcome"), (t) => t.includes("tripled"), "the edited function's result")
    expect(JSON.parse(edited)).toEqual({ tripled: 63 })
    expect((await admin.json("GET", "/api/functions/double")).body).toMatchObject({ version: 2, code: "return { tripled: context.payload.n * 3 }" })
  })

  it("runs a process from its page", async () => {
    const created = await admin.json("POST", "/api/processes", {
      name: "greet",
      language: "javascript",
      code: "return { hello: context.inputs.who ?? 'nobody' }",
      triggers: [{ type: "manual", config: {} }]
    })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    await go(page, "#/processes", "Processes")
    await page.getByRole("button", { name: "greet" }).click()
    await page.getByLabel("Input (JSON)").fill('{ "who": "plant" }')
    await page.getByRole("button", { name: "Run", exact: true }).click()
    const outcome = await textOf(page.getByTestId("run-outcome"), (t) => t.includes("hello"), "the process's result")
    expect(JSON.parse(outcome)).toEqual({ hello: "plant" })
    await screenshot(page, "data-processes")
  })

  it("runs a deployed flow from its page and lists the run with a step per node", async () => {
    const flows = [
      { id: "tab1", type: "tab", label: "Flow 1" },
      { id: "shout-in", type: "machhub.flow.in", z: "tab1", name: "shout", wires: [["upper"]] },
      { id: "upper", type: "change", z: "tab1", rules: [{ t: "set", p: "payload", pt: "msg", to: "$uppercase(payload.word)", tot: "jsonata" }], wires: [["shout-out"]] },
      { id: "shout-out", type: "machhub.flow.response", z: "tab1", wires: [] }
    ]
    expect((await admin.json("POST", "/api/flows", flows)).status).toBe(200)
    await go(page, "#/flows", "Flows")
    // The editor opens in a new tab, signed in with the console's token (a cookie scoped to /flows).
    const [editor] = await Promise.all([page.context().waitForEvent("page"), page.getByRole("link", { name: "Open Node-RED's editor" }).click()])
    await editor.waitForLoadState("load")
    expect(await editor.title()).toContain("Node-RED")
    await editor.close()
    await page.getByLabel("Entry node").selectOption("shout")
    await page.getByLabel("msg.payload (JSON)").fill('{ "word": "hello" }')
    await page.getByRole("button", { name: "Run", exact: true }).click()
    const outcome = await textOf(page.getByTestId("run-outcome"), (t) => t.includes("HELLO"), "the flow's answer")
    expect(JSON.parse(outcome)).toBe("HELLO")
    await page.getByRole("button", { name: "Refresh" }).click()
    await page.getByRole("button", { name: "Steps and logs" }).first().click()
    await textOf(page.locator(".run-detail"), (t) => t.includes("upper"), "the run's steps name the flow's nodes")
    await screenshot(page, "data-flows")
  })

  it("shows a production report as a table and a chart", async () => {
    for (const topic of ["M1/execution", "M1/parts"]) {
      expect((await admin.json("PUT", `/api/tags/${topic}`, { access: "RW", historize: { type: "event" } })).status).toBe(200)
    }
    const registered = await admin.json("POST", "/api/reporting/machines", { name: "M1", group: "Mills", tags: { execution: "M1/execution", partCount: "M1/parts" }, idealCycleSeconds: 60 })
    expect(registered.status, JSON.stringify(registered.body)).toBe(201)
    const start = Date.now() - 2 * 3_600_000
    expect((await admin.json("POST", "/machhub/tag/batch", [
      { topic: "M1/execution", value: "ACTIVE", timestamp: start },
      ...Array.from({ length: 11 }, (_, i) => ({ topic: "M1/parts", value: i, timestamp: start + i * 60_000 }))
    ])).status).toBe(200)
    await go(page, "#/reports", "Production reports")
    await page.getByRole("button", { name: "Run report" }).click()
    const row = page.locator("table.report tbody tr", { hasText: "M1" })
    await row.waitFor()
    // totalParts is the first metric column: ten parts counted from 0 to 10.
    expect(await row.locator("td").first().textContent()).toBe("10")
    await page.locator(".chart canvas").waitFor()
    await screenshot(page, "data-reports")
  })

  it("opens a terminal to an SSH machine: a command's output, resize, reconnect with a new ticket", async () => {
    await go(page, "#/machines", "SSH machines")
    const register = page.getByRole("form", { name: "Register a machine" })
    await register.getByLabel("Name", { exact: true }).fill("Test target")
    await register.getByLabel("Host name").fill("127.0.0.1")
    await register.getByLabel("Port").fill(String(target.port))
    await register.getByLabel("SSH user").fill("tester")
    await register.getByLabel("SSH password").fill(SSH_PASSWORD)
    await register.getByLabel("Master password").fill(MASTER)
    await register.getByRole("button", { name: "Register" }).click()
    await page.locator("tr[data-machine='Test target']").waitFor()

    // A wrong master password is refused at the form, and no terminal opens.
    await page.getByRole("button", { name: "Connect" }).click()
    const connect = page.getByRole("form", { name: "Connect to Test target" })
    await connect.getByLabel("Master password").fill("not the master password")
    await connect.getByRole("button", { name: "Open terminal" }).click()
    await connect.locator("#connect-error").waitFor()
    expect(await page.locator("section.ssh-terminal").count()).toBe(0)

    await connect.getByLabel("Master password").fill(MASTER)
    await connect.getByRole("button", { name: "Open terminal" }).click()
    const terminal = page.locator("section.ssh-terminal")
    await textOf(page.getByTestId("terminal-status"), (t) => t.startsWith("connected"), "the terminal connects")
    const screen = page.locator(".xterm-rows")
    await textOf(screen, (t) => t.includes("$"), "the prompt")

    // The shell answers `stty size` with the PTY's size, which must be the terminal's fitted size.
    const sizeOf = async () => ({ cols: Number(await terminal.getAttribute("data-cols")), rows: Number(await terminal.getAttribute("data-rows")) })
    const first = await sizeOf()
    expect(first.cols).not.toBe(80)
    await page.locator(".xterm-helper-textarea").focus()
    await page.keyboard.type("stty size\r")
    await textOf(screen, (t) => t.includes(`${first.rows} ${first.cols}`), "stty size shows the fitted size")

    // A smaller window refits the terminal and sends the resize control message: the PTY follows.
    await page.setViewportSize({ width: 900, height: 700 })
    await expect.poll(async () => (await sizeOf()).cols, { timeout: 10_000 }).toBeLessThan(first.cols)
    const second = await sizeOf()
    await page.locator(".xterm-helper-textarea").focus()
    await page.keyboard.type("stty size\r")
    await textOf(screen, (t) => t.includes(`${second.rows} ${second.cols}`), "stty size shows the new size")
    await screenshot(page, "data-machines-terminal")

    // Paste sends the clipboard to the shell (it runs the command); Copy puts the selection on the clipboard.
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"])
    await page.evaluate(`navigator.clipboard.writeText("stty size\\r")`)
    await page.getByRole("button", { name: "Paste" }).click()
    await expect.poll(async () => ((await screen.textContent()) ?? "").split(`${second.rows} ${second.cols}`).length - 1, { timeout: 20_000 }).toBe(2)
    await page.evaluate(`navigator.clipboard.writeText("")`)
    await page.getByRole("button", { name: "Select all" }).click()
    await page.getByRole("button", { name: "Copy selection" }).click()
    await textOf(page.locator("section.ssh-terminal [role=status]").last(), (t) => t.includes("Copied"), "the copy is confirmed")
    const copied = (await page.evaluate("navigator.clipboard.readText()")) as string
    expect(copied).toContain(`stty size`)
    expect(copied).toContain(`${first.rows} ${first.cols}`)

    // Reconnect asks for a new ticket and opens a new session in the same terminal.
    await page.getByRole("button", { name: "Reconnect" }).click()
    await textOf(page.getByTestId("terminal-status"), (t) => t.startsWith("connected"), "the terminal reconnects")
    await page.locator(".xterm-helper-textarea").focus()
    await page.keyboard.type("stty size\r")
    await expect.poll(async () => ((await screen.textContent()) ?? "").split(`${second.rows} ${second.cols}`).length - 1, { timeout: 20_000 }).toBe(3)
    await page.keyboard.type("exit\r")
    await textOf(page.getByTestId("terminal-status"), (t) => t.startsWith("disconnected"), "the session ends at exit")
    expect(await page.getByRole("button", { name: "Reconnect with a new ticket" }).isEnabled()).toBe(true)
    await page.setViewportSize({ width: 1280, height: 860 })
  })

  it("lists the recorded SSH sessions in the audit log and plays one back", async () => {
    await go(page, "#/audit", "Audit log")
    await page.getByLabel("Type", { exact: true }).fill("TerminalOpened")
    await page.getByRole("button", { name: "Apply filters" }).click()
    await expect.poll(() => page.getByRole("link", { name: "Play session" }).count(), { timeout: 10_000 }).toBe(2)
    await screenshot(page, "data-audit")
    // One session's stream: its whole history, opened from the log.
    await page.locator("table.audit tbody button.link").first().click()
    await textOf(page.locator(".stream-history"), (t) => t.includes("v1 TerminalOpened") && t.includes("TerminalOutput"), "the session stream's history")
    // The export is the same filter as NDJSON.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export NDJSON" }).click()])
    const lines = readFileSync((await download.path())!, "utf8").trim().split("\n").map((line) => JSON.parse(line) as { type: string })
    expect(lines.map((e) => e.type)).toEqual(["TerminalOpened", "TerminalOpened"])

    // The first session: its output holds the answer to the first `stty size`.
    await page.getByRole("link", { name: "Play session" }).first().click()
    await page.getByRole("heading", { level: 1, name: "SSH sessions" }).waitFor()
    const player = page.locator(".cast-player")
    await player.locator(".ap-player").waitFor()
    await player.locator(".ap-player").click()
    await textOf(player.locator(".ap-term"), (t) => /\$ stty size\s*\d+ \d+/.test(t.replace(/\u00a0/g, " ")), "the played-back session shows the command and its output")
    await screenshot(page, "data-ssh-session-player")
  })

  it("hides write controls from a user who may only read", async () => {
    const reader = await seedDomainUser(admin, {
      domain: "plant",
      username: "reader",
      group: "readers",
      permissions: ["tags", "historian", "functions", "processes", "machines", "flows"].map((feature) => ({ feature, action: "read", scope: "domain" }))
    })
    const { context, page: readerPage } = await browser.open(`${server.url}/console/`)
    await signInThroughForm(readerPage, "reader", reader.password, "plant")
    await go(readerPage, "#/tags", "Tags")
    await textOf(readerPage.getByTestId("mqtt-status"), (t) => t === "live", "a reader's MQTT connection is live")
    expect(await readerPage.getByRole("button", { name: "Publish" }).count()).toBe(0)
    expect(await readerPage.getByRole("button", { name: "Define" }).count()).toBe(0)
    await go(readerPage, "#/functions", "Functions")
    expect(await readerPage.getByRole("button", { name: "New function" }).count()).toBe(0)
    await go(readerPage, "#/machines", "SSH machines")
    expect(await readerPage.getByRole("button", { name: "Register" }).count()).toBe(0)
    await go(readerPage, "#/flows", "Flows")
    expect(await readerPage.getByRole("button", { name: "Deploy" }).count()).toBe(0)
    expect(await readerPage.getByRole("link", { name: "Audit log" }).count()).toBe(0)
    await screenshot(readerPage, "data-reader-flows")
    await context.close()
  })
}, 120_000)
