// The SSH machine of the terminal benchmark, in its own process (like a real machine would be): the
// ssh2 server and shell emulation the tests use. Prints the port it listens on.
import { startSshTarget } from "../support/ssh-target.mjs"

const target = await startSshTarget({ username: "bench", password: process.env.SSH_PASSWORD ?? "bench-ssh-password" })
process.stdout.write(`listening ${target.port}\n`)
process.on("SIGTERM", () => process.exit(0))
