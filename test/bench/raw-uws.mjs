// The baseline: the smallest possible uWebSockets.js server on this machine, in its own process like
// the server under test. Prints the port it listens on.
import * as uWS from "uWebSockets.js"

uWS.App()
  .get("/*", (res) => {
    res.cork(() => res.writeStatus("200 OK").writeHeader("Content-Type", "text/plain").end("hello"))
  })
  .listen("127.0.0.1", 0, (socket) => {
    if (!socket) process.exit(1)
    process.stdout.write(`listening ${uWS.us_socket_local_port(socket)}\n`)
  })
process.on("SIGTERM", () => process.exit(0))
