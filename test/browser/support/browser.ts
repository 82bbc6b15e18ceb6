import { existsSync, mkdirSync } from "node:fs"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core"

/**
 * Debian's Chromium driven by playwright-core (SPEC §12): headless, a fresh profile per launch, and
 * nothing that talks to Google's services, so a test reaches only the server it started.
 */

export const CHROMIUM = "/usr/bin/chromium"
export const ARTIFACTS = resolve(fileURLToPath(new URL("../artifacts", import.meta.url)))
const CONSOLE_INDEX = resolve(fileURLToPath(new URL("../../../apps/console/dist/index.html", import.meta.url)))

export interface TestBrowser {
  readonly browser: Browser
  /**
   * A new browser context (own storage: a second signed-in user) with a page open on `url`.
   * `problems` collects what the page threw uncaught and every Content-Security-Policy violation, for
   * a test to assert there were none.
   */
  readonly open: (url: string) => Promise<{ context: BrowserContext; page: Page; problems: Array<string> }>
  readonly close: () => Promise<void>
}

/** Fails with what to do when the console or the browser is missing, rather than with a timeout. */
export const assertConsoleBuilt = (): void => {
  if (!existsSync(CONSOLE_INDEX)) throw new Error(`The console is not built (${CONSOLE_INDEX} is missing): run \`npm run build\` first`)
}

export const launchBrowser = async (): Promise<TestBrowser> => {
  assertConsoleBuilt()
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does)`)
  // A plain launch runs on a fresh temporary profile that playwright removes at close (it refuses a
  // --user-data-dir argument); each context is then a separate user with its own storage.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-quic",
      "--disable-sync"
    ]
  })
  return {
    browser,
    open: async (url) => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } })
      // A step that cannot happen fails in seconds, naming the locator, well inside the test's timeout.
      context.setDefaultTimeout(15_000)
      const page = await context.newPage()
      const problems: Array<string> = []
      page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`))
      page.on("console", (message) => {
        if (/Content Security Policy/i.test(message.text())) problems.push(`policy: ${message.text()}`)
      })
      await page.goto(url)
      return { context, page, problems }
    },
    close: async () => {
      await browser.close().catch(() => undefined)
    }
  }
}

/** A full-page screenshot to test/browser/artifacts/<name>.png (kept as a test artifact, ignored by git). */
export const screenshot = async (page: Page, name: string): Promise<string> => {
  mkdirSync(ARTIFACTS, { recursive: true })
  const path = join(ARTIFACTS, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}

/** Signs in through the console's form (the default: a session). */
export const signInThroughForm = async (page: Page, username: string, password: string, domain?: string): Promise<void> => {
  await page.getByLabel("Username").fill(username)
  await page.getByLabel("Password").fill(password)
  if (domain !== undefined) await page.getByLabel("Domain", { exact: true }).fill(domain)
  await page.getByRole("button", { name: "Sign in" }).click()
  await page.getByRole("navigation", { name: "Pages" }).waitFor()
}
