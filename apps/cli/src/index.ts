export { machhub, runCli, version } from "./cli.js"
export { ExitCode } from "./errors.js"
