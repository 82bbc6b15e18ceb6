import { brokerTopic, makeBrokerPublisher, makeMqttFront, startMosquitto, type BrokerEndpoint, type WebSocketRoutes } from "@machhub/adapters"
import type { RecordedEvent } from "@machhub/core"
import type { Authenticator } from "../auth/Authenticator.js"
import type { ServerConfig } from "../config.js"
import { log } from "../log.js"
import { startAccessSweep } from "./accessSweep.js"
import { makeMqttAuthenticate, type MqttAccessOptions } from "./mqttAccess.js"

/** Which MQTT listeners run, for `GET /machhub/`. */
export interface MqttListeners {
  /** The TCP port clients connect to; undefined when the TCP listener does not run. */
  readonly tcpPort: number | undefined
  /** Whether `/mqtt` on the HTTP port takes MQTT over WebSocket. */
  readonly webSocket: boolean
}

export interface RunningMqtt {
  readonly listeners: MqttListeners
  /**
   * Whether the broker is MQTT_URL's, shared by every node: a value another node took in is on it
   * already. False for the private broker, which only this node's edge publishes to.
   */
  readonly sharedBroker: boolean
  /** Sends a value that came in another way (HTTP, NATS) to the domain's MQTT subscribers. */
  readonly publish: (domain: string, topic: string, payload: Buffer | string, retain: boolean) => void
  /** Ends every client connection, then stops the broker (it saves retained values). */
  readonly stop: () => Promise<void>
}

export const MQTT_WEBSOCKET_PATH = "/mqtt"

export interface MqttDeps extends Omit<MqttAccessOptions, "authenticator"> {
  readonly config: ServerConfig
  readonly authenticator: Authenticator
  readonly sockets: WebSocketRoutes
  readonly onApplied: (listener: (events: ReadonlyArray<RecordedEvent>) => void) => void
}

const logMqtt = (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => log(level, message, fields)

/** The broker the edge relays to: MQTT_URL's, or a private Mosquitto started now (undefined when it cannot be). */
const brokerOf = async (config: ServerConfig): Promise<{ readonly endpoint: () => BrokerEndpoint; readonly stop: () => Promise<void> } | undefined> => {
  const external = config.mqttUrl
  if (external !== undefined) {
    const endpoint: BrokerEndpoint = { host: external.host, port: external.port, tls: external.tls, username: external.username, password: external.password }
    // Not checked here: an external broker may come up after the nodes; until it does, clients are
    // refused with "server unavailable" and the server's own connection says so once in the log.
    return { endpoint: () => endpoint, stop: async () => {} }
  }
  try {
    return await startMosquitto({ dataDir: config.dataDir, binary: config.mosquittoBinary, log: logMqtt })
  } catch (error) {
    log("warn", "MQTT is off: the broker could not be started", { error: error instanceof Error ? error.message : String(error) })
    return undefined
  }
}

/**
 * MQTT for the edge (SPEC §7): Mosquitto as the private broker, or the external broker MQTT_URL
 * names (several nodes share it in distributed mode), and in front of it the edge that clients
 * connect to, on MACHHUB_MQTT_PORT and at /mqtt on the HTTP port (added to `sockets`, so this runs
 * before the HTTP server starts). Without a broker the server runs without MQTT and says so once; a
 * TCP port already taken leaves the WebSocket listener running.
 */
export const startMqtt = async (deps: MqttDeps): Promise<RunningMqtt | undefined> => {
  const { config } = deps
  const broker = await brokerOf(config)
  if (broker === undefined) return undefined
  const front = makeMqttFront({ broker: broker.endpoint, authenticate: makeMqttAuthenticate(deps), log: logMqtt })
  deps.sockets.add(front.webSocketRoute(MQTT_WEBSOCKET_PATH))
  let tcpPort: number | undefined
  try {
    tcpPort = await front.listenTcp(config.host, config.mqttPort)
  } catch (error) {
    log("warn", "MQTT over TCP is off: its port could not be opened (set MACHHUB_MQTT_PORT); MQTT over WebSocket runs", {
      port: config.mqttPort,
      error: error instanceof Error ? error.message : String(error)
    })
  }
  const sweep = startAccessSweep(front, deps.onApplied)
  const publisher = makeBrokerPublisher({ broker: broker.endpoint, log: logMqtt })
  log("info", "MQTT runs", { tcpPort, webSocket: MQTT_WEBSOCKET_PATH, broker: config.mqttUrl?.shown ?? "private mosquitto" })
  return {
    listeners: { tcpPort, webSocket: true },
    sharedBroker: config.mqttUrl !== undefined,
    publish: (domain, topic, payload, retain) => publisher.publish(brokerTopic(domain, topic), payload, retain),
    stop: async () => {
      sweep.stop()
      publisher.close()
      await front.close()
      await broker.stop()
    }
  }
}
