/** What a client presented in its CONNECT, for the server to decide who it is. */
export interface MqttCredentials {
  readonly username: string | undefined
  readonly password: Buffer | undefined
  readonly clientId: string
  readonly remoteAddress: string
  readonly protocolVersion: number
}

/** A refusal of one topic: not allowed for this client, or not a valid topic (name or filter). */
export type TopicRefusal = { readonly ok: false; readonly reason: "not-authorized" | "topic-invalid"; readonly message: string }

export type PublishVerdict = { readonly ok: true } | TopicRefusal

/** A filter accepted for subscription: the filter proper and, for `$share/<name>/<filter>`, the share name. */
export type SubscribeVerdict = { readonly ok: true; readonly filter: string; readonly shareName?: string } | TopicRefusal

/**
 * What one authenticated client may do, decided once at CONNECT. Topics here are the client's own
 * (without the namespace prefix the edge adds for the broker).
 */
export interface ClientAccess {
  /** The client's namespace (its domain): the broker sees every topic under `<namespace prefix>`. */
  readonly namespace: string
  /** Who connected (a user or key id): client ids are scoped to it, so no one takes over another's session. */
  readonly identity: string
  mayPublish(topic: string): PublishVerdict
  maySubscribe(filter: string): SubscribeVerdict
  /** A publish of this client went to the broker (for the tag value pipeline); must return at once. */
  published?(topic: string, payload: Buffer, retain: boolean): void
}

export type ConnectDecision =
  | { readonly ok: true; readonly access: ClientAccess }
  | { readonly ok: false; readonly reason: "bad-credentials" | "not-authorized" | "unavailable" | "rate-limited"; readonly message: string }

/** Decides on a CONNECT; the edge replaces the client's credentials with its own before the broker sees it. */
export type MqttAuthenticate = (credentials: MqttCredentials) => ConnectDecision | Promise<ConnectDecision>
