import { runCli } from "./cli.js"
import { runMain } from "./runtime/runMain.js"

runMain(runCli(process.argv.slice(2)))
