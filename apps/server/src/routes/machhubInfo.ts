import { readFileSync } from "node:fs"
import { Schema } from "effect"
import { json, type HttpResponse } from "@machhub/adapters"
import { anyCaller, ok, route, type AnyRoute } from "../api/RouteDeclaration.js"
import type { ServerContext } from "../ServerContext.js"

/** The server's version, from its package (src/routes and dist/routes are both two levels below it). */
const VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version

const Listener = Schema.Struct({ host: Schema.String, port: Schema.Number, enabled: Schema.Boolean })
const DeviceInfo = Schema.Struct({
  device_name: Schema.String,
  uns: Schema.Struct({
    basePath: Schema.String,
    bind: Schema.Struct({ mqtt: Listener, mqtts: Listener, ws: Listener, wss: Listener })
  }),
  storage: Schema.Struct({ store: Schema.Literals(["sqlite", "jetstream", "kurrentdb"]) }),
  version: Schema.String
})

/**
 * `GET /machhub/` (SPEC §6a, §7): the device's name and how to reach its MQTT listeners, which MACHHUB
 * clients read instead of hard-coding ports. TCP on MACHHUB_MQTT_PORT, TLS on MACHHUB_MQTTS_PORT,
 * WebSocket at `/mqtt` on the HTTP port (its TLS form is the same path behind a TLS proxy). A
 * listener says `enabled: true` only while it runs (TCP and WebSocket when MQTT started; the TLS
 * forms belong to a TLS proxy and say false), so a client does not try a port nothing answers on. Any authenticated caller may read it: the SDK calls it with
 * its developer key or its user's token.
 */
export const machhubInfoRoutes = (context: ServerContext): ReadonlyArray<AnyRoute> => {
  const { config, httpPort } = context
  let answer: HttpResponse | undefined
  // Built on first request: the HTTP port is known only once the server listens (PORT=0 picks one).
  const info = (): HttpResponse => {
    const host = config.host
    const listener = (port: number, enabled = false) => ({ host, port, enabled })
    const mqtt = context.mqttListeners()
    return (answer ??= json(200, {
      device_name: config.deviceName,
      uns: {
        basePath: "",
        bind: {
          mqtt: listener(mqtt?.tcpPort ?? config.mqttPort, mqtt?.tcpPort !== undefined),
          mqtts: listener(config.mqttsPort),
          ws: listener(httpPort(), mqtt?.webSocket === true),
          wss: listener(httpPort())
        }
      },
      storage: { store: config.store },
      version: VERSION
    }))
  }
  const declaration = {
    method: "GET",
    tag: "data",
    access: anyCaller,
    responses: { 200: ok("The device and how to reach its MQTT listeners", DeviceInfo) },
    handler: info
  } as const
  return [
    // The Router treats "/machhub/" and "/machhub" as one path; the SDK sends the trailing slash.
    route({ ...declaration, path: "/machhub", summary: "GET /machhub/: the device name, the MQTT listeners' bind info (host, port, enabled), the event store and the server version" }),
    // What the SDK's HTTP client asks for as its server info (`getInfo`): the same answer.
    route({ ...declaration, path: "/machhub/info", summary: "The same as GET /machhub/, at the path the SDK's getInfo reads" })
  ]
}
