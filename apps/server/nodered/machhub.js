// This product's Node-RED nodes. Node-RED's registry loads node files as CommonJS from disk, so this
// file is plain JavaScript; everything it reaches of the server goes through the bridge the server
// installs (apps/server/src/flows/FlowBridge.ts). A node's domain is the prefix of its runtime id (or
// of its flow's, for nodes inside a subflow): the flow never names a domain itself.
"use strict"

const BRIDGE = Symbol.for("machhub.flows.bridge")
const EXECUTION = "_machhubExecution"

module.exports = function (RED) {
  const bridge = () => globalThis[BRIDGE]

  const domainOf = (node) => {
    const candidates = [node.id, node.z]
    for (let flow = node._flow; flow !== undefined && flow !== null; flow = flow.parent) candidates.push(flow.id, flow.path)
    for (const id of candidates) {
      if (typeof id !== "string") continue
      const dot = id.indexOf(".")
      if (dot > 0 && /^[a-z0-9][a-z0-9_]{0,62}$/.test(id.slice(0, dot))) return id.slice(0, dot)
    }
    return undefined
  }

  const start = (node, config) => {
    RED.nodes.createNode(node, config)
    const domain = domainOf(node)
    if (domain === undefined) node.status({ fill: "red", shape: "ring", text: "no domain" })
    return domain
  }

  const problem = (node, done, text) => {
    node.status({ fill: "red", shape: "dot", text })
    done(new Error(text))
  }

  // Entry: POST /machhub/flow/execute/name/<name> starts here, the body as msg.payload.
  function FlowIn(config) {
    const domain = start(this, config)
    const node = this
    const name = String(config.name || "").trim()
    if (domain === undefined || name === "") return
    const withdraw = bridge().registerEntry(domain, name, (msg) => node.send(msg))
    node.on("close", () => withdraw())
  }
  RED.nodes.registerType("machhub.flow.in", FlowIn)

  // Response: the payload reaching it answers the execution (`{ success: true, msg }`).
  function FlowResponse(config) {
    start(this, config)
    this.on("input", (msg, send, done) => {
      // Done first: this node is the run's last step, recorded before the run's end.
      done()
      bridge().respond(msg[EXECUTION], msg.payload)
    })
  }
  RED.nodes.registerType("machhub.flow.response", FlowResponse)

  // Tag read: subscribes to a topic (MQTT wildcards allowed) and emits its values; a message in
  // emits the topic's last value instead.
  function TagRead(config) {
    const domain = start(this, config)
    const node = this
    const topic = String(config.topic || "").trim()
    if (domain === undefined) return
    if (config.subscribe !== false && topic !== "") {
      const stop = bridge().subscribeTags(domain, topic, (t, value, timestamp) => node.send({ topic: t, payload: value, timestamp }))
      node.on("close", () => stop())
    }
    node.on("input", (msg, send, done) => {
      const t = topic !== "" && !/[+#]/.test(topic) ? topic : typeof msg.topic === "string" ? msg.topic : ""
      if (t === "") return problem(node, done, "no topic: set one or send msg.topic")
      const last = bridge().readTag(domain, t)
      msg.topic = t
      msg.payload = last === undefined ? null : last.value
      msg.timestamp = last === undefined ? null : last.timestamp
      send(msg)
      done()
    })
  }
  RED.nodes.registerType("machhub.tag.read", TagRead)

  // Tag write: msg.payload to the topic, through the server's tag value pipeline and tag rules.
  function TagWrite(config) {
    const domain = start(this, config)
    const node = this
    const topic = String(config.topic || "").trim()
    node.on("input", (msg, send, done) => {
      if (domain === undefined) return problem(node, done, "no domain")
      const t = topic !== "" ? topic : typeof msg.topic === "string" ? msg.topic : ""
      if (t === "") return problem(node, done, "no topic: set one or send msg.topic")
      bridge().writeTag(domain, t, msg.payload).then((refused) => {
        if (refused !== undefined) return problem(node, done, refused)
        node.status({})
        send(msg)
        done()
      }, (error) => problem(node, done, error instanceof Error ? error.message : String(error)))
    })
  }
  RED.nodes.registerType("machhub.tag.write", TagWrite)

  // Record read: one record (id from the node or msg.id) or the collection's records, as msg.payload.
  function RecordRead(config) {
    const domain = start(this, config)
    const node = this
    node.on("input", (msg, send, done) => {
      if (domain === undefined) return problem(node, done, "no domain")
      const collection = String(config.collection || msg.collection || "")
      const id = config.recordId || (typeof msg.id === "string" ? msg.id : undefined)
      bridge().readRecords(domain, collection, id || undefined).then((records) => {
        msg.payload = records
        send(msg)
        done()
      }, (error) => problem(node, done, error instanceof Error ? error.message : String(error)))
    })
  }
  RED.nodes.registerType("machhub.record.read", RecordRead)

  // Record write: msg.payload (an object) created in the collection, or merged into msg.id's record.
  function RecordWrite(config) {
    const domain = start(this, config)
    const node = this
    node.on("input", (msg, send, done) => {
      if (domain === undefined) return problem(node, done, "no domain")
      const collection = String(config.collection || msg.collection || "")
      const data = msg.payload
      if (typeof data !== "object" || data === null || Array.isArray(data)) return problem(node, done, "msg.payload must be an object (the record's fields)")
      bridge().writeRecord(domain, collection, typeof msg.id === "string" ? msg.id : undefined, data).then((record) => {
        msg.payload = record
        send(msg)
        done()
      }, (error) => problem(node, done, error instanceof Error ? error.message : String(error)))
    })
  }
  RED.nodes.registerType("machhub.record.write", RecordWrite)

  // Domain event trigger: each committed event of the type (in this flow's domain) as a message.
  function EventTrigger(config) {
    const domain = start(this, config)
    const node = this
    const type = String(config.eventType || "").trim() || "*"
    if (domain === undefined) return
    const stop = bridge().subscribeEvents(domain, type, (event) => node.send({ topic: event.type, payload: event.data, event }))
    node.on("close", () => stop())
  }
  RED.nodes.registerType("machhub.event", EventTrigger)

  // NATS publish / subscribe on the domain's flow subjects (mh.flow.<domain>.<subject>).
  function NatsOut(config) {
    const domain = start(this, config)
    const node = this
    if (!bridge().natsAvailable) node.status({ fill: "grey", shape: "ring", text: "this server has no NATS" })
    node.on("input", (msg, send, done) => {
      if (domain === undefined) return problem(node, done, "no domain")
      if (!bridge().natsAvailable) return problem(node, done, "this server has no NATS (NATS_URL unset)")
      const subject = String(config.subject || msg.topic || "")
      const refused = bridge().natsPublish(domain, subject, msg.payload)
      if (refused !== undefined) return problem(node, done, refused)
      done()
    })
  }
  RED.nodes.registerType("machhub.nats.out", NatsOut)

  function NatsIn(config) {
    const domain = start(this, config)
    const node = this
    if (domain === undefined) return
    if (!bridge().natsAvailable) {
      node.status({ fill: "grey", shape: "ring", text: "this server has no NATS" })
      return
    }
    try {
      const stop = bridge().natsSubscribe(domain, String(config.subject || ""), (subject, payload) => node.send({ topic: subject, payload }))
      node.on("close", () => stop())
    } catch (error) {
      node.status({ fill: "red", shape: "dot", text: error instanceof Error ? error.message : String(error) })
    }
  }
  RED.nodes.registerType("machhub.nats.in", NatsIn)
}
