import { ConfigError, loadConfig } from "./config.js"
import { log } from "./log.js"
import { describeRoles } from "./roles.js"
import { startServer } from "./Server.js"

/** `npm start`: runs the server until SIGTERM/SIGINT, then stops gracefully (exit 0 within ~10 s). */
const main = async () => {
  let config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`)
      process.exit(2)
    }
    throw error
  }
  const server = await startServer(config, {
    onAdminPasswordGenerated: (password) =>
      process.stdout.write(
        `\n  Created user "admin" (domain machhub_admin, group superuser) with the generated password:\n\n      ${password}\n\n` +
          `  It is shown only this once. To choose it yourself, set MACHHUB_ADMIN_PASSWORD before the first start.\n\n`
      )
  })
  log("info", `listening on http://${config.host}:${server.port}`, {
    dataDir: config.dataDir,
    bus: config.natsUrl === undefined ? "in-process" : "nats",
    store: config.store,
    roles: describeRoles(config.roles)
  })

  let signalled = false
  const shutdown = (signal: string) => {
    if (signalled) return
    signalled = true
    log("info", `${signal} received: finishing in-flight requests, then stopping`)
    // A hard deadline, so a stuck dependency can never keep the process alive past ~10 s.
    setTimeout(() => {
      log("error", "graceful shutdown took too long; exiting")
      process.exit(1)
    }, 9_500).unref()
    server.stop().then(
      () => {
        log("info", "stopped")
        process.exit(0)
      },
      (error: unknown) => {
        log("error", "error while stopping", { error: error instanceof Error ? error.message : String(error) })
        process.exit(1)
      }
    )
  }
  process.on("SIGTERM", () => shutdown("SIGTERM"))
  process.on("SIGINT", () => shutdown("SIGINT"))
}

main().catch((error: unknown) => {
  log("error", "the server could not start", { error: error instanceof Error ? error.message : String(error) })
  process.exit(1)
})
