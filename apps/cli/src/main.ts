import { runCli } from "./cli.js"
import { runMain } from "./runtime/runMain.js"

// A replay rebuilds readmodels.db and an export may write the log to a file: owner-only, like the
// server's own data files.
process.umask(0o077)
runMain(runCli(process.argv.slice(2)))
