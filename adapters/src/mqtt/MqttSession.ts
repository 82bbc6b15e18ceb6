import { randomUUID } from "node:crypto"
import type { Socket } from "node:net"
import mqttPacket, { type IConnectPacket, type IPublishPacket, type ISubackPacket, type ISubscribePacket, type Packet } from "mqtt-packet"
import { brokerCredentials, connectBroker } from "./brokerConnection.js"
import { brokerFilter, brokerUnsubscribeFilter, namespacePrefix } from "./brokerTopics.js"
import type { ClientAccess, MqttAuthenticate } from "./ClientAccess.js"
import type { BrokerEndpoint } from "./MosquittoBroker.js"
import { packetBytes, PacketFramer, writeFixedHeader } from "./PacketFramer.js"
import { encodePlainPublish } from "./publishBytes.js"
import { connackCode, V3_CONNACK, V3_SUBACK_FAILURE, V5, type ConnectRefusal } from "./reasonCodes.js"

/** One client connection as the session sees it: TCP socket or WebSocket. */
export interface ClientTransport {
  readonly remoteAddress: string
  /** Sends bytes; false once the transport holds more than it wants buffered (wait for `drain`). */
  write(data: Buffer): boolean
  /** Closes the connection (after what was written). */
  end(): void
  /** Stops and resumes reading from the client (a no-op where the transport cannot). */
  pause(): void
  resume(): void
}

export interface SessionOptions {
  readonly broker: () => BrokerEndpoint
  readonly authenticate: MqttAuthenticate
  readonly log: (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void
  /** Told when the session ends (the front forgets it). */
  readonly onClosed: (session: MqttSession) => void
}

/** Largest MQTT packet taken from a client, announced in MQTT 5's CONNACK (Maximum Packet Size). */
export const MAX_PACKET_BYTES = 1024 * 1024
/** Topic aliases a client may use towards the edge (MQTT 5); the edge resolves them itself. */
export const TOPIC_ALIAS_MAXIMUM = 1024
/** A connection that sends no CONNECT within this time is closed. */
const CONNECT_TIMEOUT_MS = 10_000
/** Packets a client may send before its CONNECT is decided. */
const MAX_EARLY_PACKETS = 1000

type Phase = "awaiting-connect" | "authenticating" | "open" | "closed"

/**
 * One client connection through the edge. It reads the client's packets, decides on CONNECT,
 * connects to the private broker with the internal credential and from then on relays every
 * packet both ways, rewriting topic names: the client's namespace prefix is added to what it
 * publishes, subscribes to and unsubscribes from (will message and v5 response topics included) and
 * stripped from what it receives. The broker keeps every MQTT semantic (QoS flows, retained values,
 * sessions); the edge answers by itself only the refusals it decides (SUBACK, PUBACK/PUBREC reason
 * codes, CONNACK), and resolves MQTT 5 topic aliases so that the broker only sees full topic names.
 */
export class MqttSession {
  private phase: Phase = "awaiting-connect"
  private version = 4
  private access: ClientAccess | undefined
  private prefix = ""
  private prefixBytes = Buffer.alloc(0)
  private upstream: Socket | undefined
  private readonly clientParser = mqttPacket.parser({})
  /**
   * The client's bytes cut into whole packets before anything reads them: a packet announcing more
   * than MAX_PACKET_BYTES ends the connection before its bytes are held, a plain PUBLISH is read
   * here (the packet clients send most), and every other packet goes whole to mqtt-packet's parser,
   * which so never holds part of one.
   */
  private readonly clientFramer = new PacketFramer(MAX_PACKET_BYTES, {
    packet: (packet, header) => {
      if (!this.plainPublish(packet, header)) this.clientParser.parse(packet)
    },
    // The parser reports what is not a packet at once, without waiting for a body.
    malformed: (rest) => this.clientParser.parse(rest),
    tooLarge: () => this.disconnect(V5.packetTooLarge),
    stopped: () => this.phase === "closed"
  })
  private upstreamParser: ReturnType<typeof mqttPacket.parser> | undefined
  private readonly early: Array<Packet> = []
  private readonly aliases = new Map<number, string>()
  /** MQTT 3.1.1 QoS 2 publishes refused but acknowledged with PUBREC: their PUBREL is answered here. */
  private readonly refusedQos2 = new Set<number>()
  /** SUBSCRIBEs partly refused here: the codes decided here by position, merged into the broker's SUBACK. */
  private readonly pendingSubacks = new Map<number, Array<number | undefined>>()
  /** A client id generated for an empty one, announced in MQTT 5's CONNACK. */
  private assignedClientId: string | undefined
  /** Whether the client has had its CONNACK: before it, a failure is answered with one. */
  private acknowledged = false
  private readonly connectTimer: NodeJS.Timeout
  /** Set while a chunk from the broker is read: what goes to the client then is written at once after it. */
  private outbox: Array<Buffer> | undefined
  /** The same towards the broker, while a chunk from the client is read. */
  private upstreamOutbox: Array<Buffer> | undefined

  constructor(private readonly transport: ClientTransport, private readonly options: SessionOptions) {
    this.clientParser.on("packet", (packet: Packet) => this.fromClient(packet))
    this.clientParser.on("error", (error: Error) => this.clientError(error))
    this.connectTimer = setTimeout(() => {
      if (this.phase === "awaiting-connect") this.close()
    }, CONNECT_TIMEOUT_MS)
  }

  /** Who is connected, once CONNECT was accepted. */
  get clientAccess(): ClientAccess | undefined {
    return this.access
  }

  get protocolVersion(): number {
    return this.version
  }

  /** Bytes from the client. */
  data(chunk: Buffer): void {
    if (this.phase === "closed") return
    // Every packet of one chunk goes to the broker in one write.
    this.upstreamOutbox = []
    try {
      this.clientFramer.push(chunk)
    } catch (error) {
      // Whatever a client sends, it ends its own connection at worst.
      this.failed("a client's packet could not be handled", error)
    } finally {
      const batch = this.upstreamOutbox
      this.upstreamOutbox = undefined
      if (batch.length > 0) this.writeUpstream(batch.length === 1 ? batch[0]! : Buffer.concat(batch))
    }
  }

  /**
   * A PUBLISH of an open session without MQTT 5 properties, read without mqtt-packet (its general
   * parser costs more than the rest of the relay); false for anything else, which the parser reads.
   */
  private plainPublish(packet: Buffer, header: number): boolean {
    const first = packet[0]!
    if (this.phase !== "open" || first >> 4 !== 3) return false
    const qos = (first >> 1) & 0x03
    if (qos === 3 || packet.length < header + 2) return false
    const topicLength = packet.readUInt16BE(header)
    let at = header + 2 + topicLength
    if (topicLength === 0 || at > packet.length) return false
    const topic = packet.toString("utf8", header + 2, at)
    let messageId: number | undefined
    if (qos > 0) {
      if (at + 2 > packet.length) return false
      messageId = packet.readUInt16BE(at)
      at += 2
    }
    if (this.version === 5) {
      // A property length of 0 is one zero byte; anything else (aliases, response topics...) goes the long way.
      if (packet[at] !== 0) return false
      at += 1
    }
    if (at > packet.length) return false
    const access = this.access!
    const payload = packet.subarray(at)
    const retain = (first & 0x01) !== 0
    const verdict = access.mayPublish(topic)
    if (!verdict.ok) {
      const refused: IPublishPacket = { cmd: "publish", topic, payload, qos: qos as IPublishPacket["qos"], retain, dup: (first & 0x08) !== 0 }
      if (messageId !== undefined) refused.messageId = messageId
      this.refusePublish(refused, verdict.reason)
      return true
    }
    // To the broker: the same packet with the namespace prefix put before the topic, its other
    // bytes (packet id, properties, payload) copied as they came.
    const prefix = this.prefixBytes
    const tail = packet.length - header - 2
    const remaining = 2 + prefix.length + tail
    const bytes = Buffer.allocUnsafe(packetBytes(remaining))
    let out = writeFixedHeader(bytes, first, remaining)
    bytes.writeUInt16BE(prefix.length + topicLength, out)
    out += 2
    out += prefix.copy(bytes, out)
    packet.copy(bytes, out, header + 2)
    if (this.upstreamOutbox !== undefined) this.upstreamOutbox.push(bytes)
    else this.writeUpstream(bytes)
    access.published?.(topic, payload, retain)
    return true
  }

  /** The client reads again: relaying from the broker may resume. */
  drain(): void {
    this.upstream?.resume()
  }

  /** The client's connection is gone. */
  closed(): void {
    this.close()
  }

  /** Ends the session with MQTT 5's DISCONNECT carrying `reasonCode` (3.1.1 has none: the connection just closes). */
  disconnect(reasonCode: number): void {
    if (this.phase === "closed") return
    if (this.version === 5 && this.phase === "open") this.sendToClient({ cmd: "disconnect", reasonCode })
    this.close()
  }

  private close(): void {
    if (this.phase === "closed") return
    this.phase = "closed"
    clearTimeout(this.connectTimer)
    // What was relayed before the end (a broker's DISCONNECT or CONNACK refusal) still goes out.
    if (this.outbox !== undefined && this.outbox.length > 0) this.transport.write(Buffer.concat(this.outbox.splice(0)))
    // And what the client sent before it (its DISCONNECT) still reaches the broker.
    if (this.upstreamOutbox !== undefined && this.upstreamOutbox.length > 0) this.writeUpstream(Buffer.concat(this.upstreamOutbox.splice(0)))
    this.upstream?.end()
    this.transport.end()
    this.options.onClosed(this)
  }

  private encode(packet: Packet): Buffer {
    return (packet.cmd === "publish" ? encodePlainPublish(packet, this.version) : undefined) ?? mqttPacket.generate(packet, { protocolVersion: this.version })
  }

  private sendToClient(packet: Packet): void {
    const bytes = this.encode(packet)
    if (this.outbox !== undefined) this.outbox.push(bytes)
    else if (!this.transport.write(bytes)) this.upstream?.pause()
  }

  /** Packets relayed from one chunk of the broker's bytes go to the client in one write (one WebSocket message). */
  private fromBrokerBytes(framer: PacketFramer, chunk: Buffer): void {
    this.outbox = []
    try {
      framer.push(chunk)
    } catch (error) {
      this.failed("a packet from the broker could not be relayed", error)
    } finally {
      const batch = this.outbox
      this.outbox = undefined
      if (batch.length > 0 && this.phase !== "closed") {
        if (!this.transport.write(batch.length === 1 ? batch[0]! : Buffer.concat(batch))) this.upstream?.pause()
      }
    }
  }

  /**
   * A PUBLISH from the broker without MQTT 5 properties, under the client's prefix: relayed as the
   * bytes it came in with the prefix taken off its topic. False for anything else (the parser reads it).
   */
  private plainPublishFromBroker(packet: Buffer, header: number): boolean {
    const first = packet[0]!
    if (first >> 4 !== 3 || this.phase !== "open" || this.outbox === undefined) return false
    const prefix = this.prefixBytes
    if (packet.length < header + 2) return false
    const topicLength = packet.readUInt16BE(header)
    const topicStart = header + 2
    if (topicLength <= prefix.length || topicStart + topicLength > packet.length) return false
    if (prefix.compare(packet, topicStart, topicStart + prefix.length) !== 0) return false
    if (this.version === 5) {
      const propertiesAt = topicStart + topicLength + (((first >> 1) & 0x03) > 0 ? 2 : 0)
      if (packet[propertiesAt] !== 0) return false
    }
    const remaining = packet.length - header - prefix.length
    const bytes = Buffer.allocUnsafe(packetBytes(remaining))
    let out = writeFixedHeader(bytes, first, remaining)
    bytes.writeUInt16BE(topicLength - prefix.length, out)
    out += 2
    packet.copy(bytes, out, topicStart + prefix.length)
    this.outbox.push(bytes)
    return true
  }

  private sendUpstream(packet: Packet): void {
    const bytes = this.encode(packet)
    if (this.upstreamOutbox !== undefined) this.upstreamOutbox.push(bytes)
    else this.writeUpstream(bytes)
  }

  private writeUpstream(bytes: Buffer): void {
    if (this.upstream === undefined || this.upstream.destroyed) return
    if (!this.upstream.write(bytes)) this.transport.pause()
  }

  private failed(what: string, error: unknown): void {
    this.options.log("error", `MQTT edge: ${what}`, { error: error instanceof Error ? error.message : String(error) })
    this.disconnect(V5.implementationSpecific)
  }

  private clientError(error: Error): void {
    if (this.phase === "awaiting-connect") {
      // A protocol level nobody here speaks: 3.1.1's "unacceptable protocol version", as MQTT 5 asks.
      if (/protocol version/i.test(error.message)) {
        this.transport.write(mqttPacket.generate({ cmd: "connack", returnCode: V3_CONNACK.unacceptableProtocolVersion, sessionPresent: false }, { protocolVersion: 4 }))
      }
      this.close()
      return
    }
    this.disconnect(V5.malformedPacket)
  }

  private fromClient(packet: Packet): void {
    switch (this.phase) {
      case "closed":
        return
      case "awaiting-connect":
        if (packet.cmd !== "connect") return this.close()
        this.phase = "authenticating"
        this.onConnect(packet).catch((error: unknown) => this.failed("a CONNECT could not be handled", error))
        return
      case "authenticating":
        if (this.early.length >= MAX_EARLY_PACKETS) return this.close()
        this.early.push(packet)
        return
      case "open":
        this.relayFromClient(packet)
    }
  }

  private refuseConnect(refusal: ConnectRefusal | "identifier-rejected"): void {
    const code = refusal === "identifier-rejected"
      ? (this.version === 5 ? V5.clientIdentifierNotValid : V3_CONNACK.identifierRejected)
      : connackCode(this.version, refusal)
    const connack: Packet = this.version === 5
      ? { cmd: "connack", reasonCode: code, sessionPresent: false }
      : { cmd: "connack", returnCode: code, sessionPresent: false }
    this.transport.write(mqttPacket.generate(connack, { protocolVersion: this.version }))
    this.close()
  }

  private async onConnect(connect: IConnectPacket): Promise<void> {
    clearTimeout(this.connectTimer)
    this.version = connect.protocolVersion ?? 4
    if (connect.properties?.authenticationMethod !== undefined) {
      // MQTT 5 enhanced authentication is not offered: credentials go in username and password.
      this.transport.write(mqttPacket.generate({ cmd: "connack", reasonCode: V5.badAuthenticationMethod, sessionPresent: false }, { protocolVersion: 5 }))
      return this.close()
    }
    let decision
    try {
      decision = await this.options.authenticate({
        username: connect.username,
        password: connect.password,
        clientId: connect.clientId,
        remoteAddress: this.transport.remoteAddress,
        protocolVersion: this.version
      })
    } catch (error) {
      this.options.log("error", "MQTT CONNECT could not be decided", { error: error instanceof Error ? error.message : String(error) })
      decision = { ok: false as const, reason: "unavailable" as const, message: "internal error" }
    }
    if (this.phase === "closed") return
    if (!decision.ok) return this.refuseConnect(decision.reason)
    const access = decision.access
    this.access = access
    this.prefix = namespacePrefix(access.namespace)
    this.prefixBytes = Buffer.from(this.prefix)

    let clientId = connect.clientId
    if (clientId === "") {
      // 3.1.1 requires a client id for a session that is kept.
      if (this.version !== 5 && connect.clean === false) return this.refuseConnect("identifier-rejected")
      clientId = `auto-${randomUUID()}`
      if (this.version === 5) this.assignedClientId = clientId
    }
    if (connect.will !== undefined) {
      const verdict = access.mayPublish(connect.will.topic)
      if (!verdict.ok) return this.refuseConnect(verdict.reason === "topic-invalid" ? "topic-invalid" : "not-authorized")
    }

    const endpoint = this.options.broker()
    const upstream = connectBroker(endpoint)
    this.upstream = upstream
    const parser = mqttPacket.parser({ protocolVersion: this.version })
    this.upstreamParser = parser
    parser.on("packet", (packet: Packet) => this.fromBroker(packet))
    parser.on("error", (error: Error) => {
      this.options.log("error", "the MQTT broker sent a packet the edge cannot read", { error: error.message })
      this.disconnect(V5.unspecified)
    })
    // The broker's bytes are cut into packets the same way: a plain PUBLISH to a subscriber is relayed
    // as its bytes with the prefix taken off its topic; everything else goes whole to the parser.
    const framer = new PacketFramer(Number.MAX_SAFE_INTEGER, {
      packet: (packet, header) => {
        if (!this.plainPublishFromBroker(packet, header)) parser.parse(packet)
      },
      malformed: (rest) => parser.parse(rest),
      tooLarge: () => {},
      stopped: () => this.phase === "closed"
    })
    upstream.on("data", (chunk: Buffer) => this.fromBrokerBytes(framer, chunk))
    upstream.on("drain", () => this.transport.resume())
    upstream.on("error", (error: Error) => {
      if (!this.acknowledged) this.options.log("error", "the MQTT broker cannot be reached", { error: error.message })
    })
    upstream.on("close", () => {
      if (this.phase === "closed") return
      if (!this.acknowledged) return this.refuseConnect("unavailable")
      this.disconnect(V5.serverUnavailable)
    })

    const properties = { ...connect.properties }
    // The broker never uses topic aliases towards the edge: it rewrites every topic it relays.
    delete properties.topicAliasMaximum
    // The client's own credentials never reach the broker: the edge's replace them (or none, for a
    // broker that takes anonymous clients).
    const own: IConnectPacket = { ...connect }
    delete own.username
    delete own.password
    const forwarded: IConnectPacket = {
      ...own,
      clientId: `${access.namespace}/${access.identity}/${clientId}`,
      ...brokerCredentials(endpoint),
      properties: Object.keys(properties).length === 0 ? undefined : properties
    }
    if (connect.will !== undefined) {
      const willProperties = connect.will.properties === undefined ? undefined : { ...connect.will.properties }
      if (willProperties?.responseTopic !== undefined) willProperties.responseTopic = this.prefix + willProperties.responseTopic
      forwarded.will = { ...connect.will, topic: this.prefix + connect.will.topic, properties: willProperties }
    }
    if (this.version !== 5) delete forwarded.properties
    this.phase = "open"
    this.sendUpstream(forwarded)
    for (const packet of this.early.splice(0)) this.relayFromClient(packet)
  }

  private relayFromClient(packet: Packet): void {
    const access = this.access!
    switch (packet.cmd) {
      case "publish":
        return this.publishFromClient(packet, access)
      case "subscribe":
        return this.subscribeFromClient(packet, access)
      case "unsubscribe":
        return this.sendUpstream({ ...packet, unsubscriptions: packet.unsubscriptions.map((filter) => brokerUnsubscribeFilter(this.prefix, filter)) })
      case "pubrel":
        if (this.refusedQos2.delete(packet.messageId!)) return this.sendToClient({ cmd: "pubcomp", messageId: packet.messageId! })
        return this.sendUpstream(packet)
      case "connect":
        // A second CONNECT is a protocol violation.
        return this.disconnect(V5.protocolError)
      case "auth":
        return this.disconnect(V5.badAuthenticationMethod)
      case "disconnect":
        this.sendUpstream(packet)
        return this.close()
      default:
        return this.sendUpstream(packet)
    }
  }

  private publishFromClient(packet: IPublishPacket, access: ClientAccess): void {
    let topic = packet.topic
    let properties = packet.properties
    const alias = properties?.topicAlias
    if (alias !== undefined) {
      if (alias === 0 || alias > TOPIC_ALIAS_MAXIMUM) return this.disconnect(V5.topicAliasInvalid)
      if (topic === "") {
        const known = this.aliases.get(alias)
        if (known === undefined) return this.disconnect(V5.protocolError)
        topic = known
      } else {
        this.aliases.set(alias, topic)
      }
      properties = { ...properties }
      delete properties.topicAlias
    }
    const verdict = access.mayPublish(topic)
    if (!verdict.ok) return this.refusePublish(packet, verdict.reason)
    if (properties?.responseTopic !== undefined) properties = { ...properties, responseTopic: this.prefix + properties.responseTopic }
    this.sendUpstream({ ...packet, topic: this.prefix + topic, properties })
    const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload
    access.published?.(topic, payload, packet.retain)
  }

  /**
   * A publish the edge does not pass on. MQTT 5 answers QoS 1 and 2 with the reason; QoS 0 has no
   * answer (a topic that is not a topic name ends the connection, as MQTT 5 requires). MQTT 3.1.1 has
   * no reason codes: the publish is acknowledged and dropped, as 3.1.1 §3.3.5 allows, except for a
   * topic that is not valid, which closes the connection (§4.7.3).
   */
  private refusePublish(packet: IPublishPacket, reason: "not-authorized" | "topic-invalid"): void {
    const code = reason === "not-authorized" ? V5.notAuthorized : V5.topicNameInvalid
    if (this.version === 5) {
      if (packet.qos === 1) return this.sendToClient({ cmd: "puback", messageId: packet.messageId!, reasonCode: code })
      if (packet.qos === 2) return this.sendToClient({ cmd: "pubrec", messageId: packet.messageId!, reasonCode: code })
      if (reason === "topic-invalid") return this.disconnect(V5.topicNameInvalid)
      return
    }
    if (reason === "topic-invalid") return this.close()
    if (packet.qos === 1) return this.sendToClient({ cmd: "puback", messageId: packet.messageId! })
    if (packet.qos === 2) {
      this.refusedQos2.add(packet.messageId!)
      this.sendToClient({ cmd: "pubrec", messageId: packet.messageId! })
    }
  }

  private subscribeFromClient(packet: ISubscribePacket, access: ClientAccess): void {
    const codes: Array<number | undefined> = []
    const accepted: ISubscribePacket["subscriptions"] = []
    for (const subscription of packet.subscriptions) {
      const verdict = access.maySubscribe(subscription.topic)
      if (verdict.ok) {
        codes.push(undefined)
        accepted.push({ ...subscription, topic: brokerFilter(this.prefix, verdict.filter, verdict.shareName) })
      } else {
        codes.push(this.version === 5 ? (verdict.reason === "not-authorized" ? V5.notAuthorized : V5.topicFilterInvalid) : V3_SUBACK_FAILURE)
      }
    }
    if (accepted.length === 0) {
      return this.sendToClient({ cmd: "suback", messageId: packet.messageId!, granted: codes as Array<number> })
    }
    if (accepted.length < codes.length) this.pendingSubacks.set(packet.messageId!, codes)
    this.sendUpstream({ ...packet, subscriptions: accepted })
  }

  private fromBroker(packet: Packet): void {
    if (this.phase === "closed") return
    switch (packet.cmd) {
      case "connack":
        return this.connackFromBroker(packet)
      case "publish": {
        if (!packet.topic.startsWith(this.prefix)) {
          // Never expected (every subscription is under the prefix): acknowledged and not passed on.
          if (packet.qos === 1) this.sendUpstream({ cmd: "puback", messageId: packet.messageId! })
          if (packet.qos === 2) this.sendUpstream({ cmd: "pubrec", messageId: packet.messageId! })
          return
        }
        let properties = packet.properties
        if (properties?.responseTopic !== undefined && properties.responseTopic.startsWith(this.prefix)) {
          properties = { ...properties, responseTopic: properties.responseTopic.slice(this.prefix.length) }
        }
        return this.sendToClient({ ...packet, topic: packet.topic.slice(this.prefix.length), properties })
      }
      case "suback":
        return this.sendToClient(this.mergeSuback(packet))
      case "disconnect":
        this.sendToClient(packet)
        return this.close()
      default:
        return this.sendToClient(packet)
    }
  }

  private connackFromBroker(packet: Extract<Packet, { cmd: "connack" }>): void {
    this.acknowledged = true
    if (this.version !== 5) {
      this.sendToClient(packet)
      if ((packet.returnCode ?? 0) !== 0) this.close()
      return
    }
    const properties = { ...packet.properties }
    delete properties.assignedClientIdentifier
    properties.topicAliasMaximum = TOPIC_ALIAS_MAXIMUM
    properties.maximumPacketSize = Math.min(properties.maximumPacketSize ?? MAX_PACKET_BYTES, MAX_PACKET_BYTES)
    if (this.assignedClientId !== undefined) properties.assignedClientIdentifier = this.assignedClientId
    this.sendToClient({ ...packet, properties })
    if ((packet.reasonCode ?? 0) >= 0x80) this.close()
  }

  private mergeSuback(packet: ISubackPacket): ISubackPacket {
    const codes = this.pendingSubacks.get(packet.messageId!)
    if (codes === undefined) return packet
    this.pendingSubacks.delete(packet.messageId!)
    const fromBroker = [...(packet.granted as Array<number>)]
    return { ...packet, granted: codes.map((code) => code ?? fromBroker.shift() ?? V3_SUBACK_FAILURE) }
  }
}
