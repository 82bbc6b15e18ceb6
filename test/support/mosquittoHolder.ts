/**
 * Run as its own process (`tsx test/support/mosquittoHolder.ts <data dir>`): starts the private
 * broker, prints its pid, and waits to be killed; lets a test kill a broker's owner outright.
 */
// The module itself, not the package: the package's index also loads the HTTP edge, which this does not need.
import { startMosquitto } from "../../adapters/src/mqtt/MosquittoBroker.js"

const broker = await startMosquitto({ dataDir: process.argv[2]!, log: () => {} })
process.stdout.write(`${broker.pid()}\n`)
setInterval(() => {}, 60_000)
