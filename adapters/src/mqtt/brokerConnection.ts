import { connect as connectTcp, type Socket } from "node:net"
import { connect as connectTls } from "node:tls"
import type { BrokerEndpoint } from "./MosquittoBroker.js"

/**
 * A connection to the broker the edge relays to: the private Mosquitto on loopback, or an external
 * broker (MQTT_URL), over TLS when it asks for it.
 */
export const connectBroker = (endpoint: BrokerEndpoint): Socket => {
  const socket = endpoint.tls === true
    ? connectTls({ host: endpoint.host, port: endpoint.port, servername: endpoint.host })
    : connectTcp({ host: endpoint.host, port: endpoint.port })
  socket.setNoDelay(true)
  // An external broker may be across a network, where a peer that vanished shows only as silence.
  socket.setKeepAlive(true, 30_000)
  return socket
}

/** The credential fields of a CONNECT to the broker: none for a broker that takes anonymous clients. */
export const brokerCredentials = (endpoint: BrokerEndpoint): { username?: string; password?: Buffer } => ({
  ...(endpoint.username === undefined ? {} : { username: endpoint.username }),
  ...(endpoint.password === undefined ? {} : { password: Buffer.from(endpoint.password) })
})
