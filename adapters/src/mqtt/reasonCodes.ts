/**
 * The reason codes the edge answers with itself, for MQTT 5 (reason codes) and 3.1.1 (CONNACK
 * return codes; SUBACK 0x80). Names follow the specifications (MQTT 5 §2.4, 3.1.1 §3.2.2.3).
 */
export const V5 = {
  success: 0x00,
  unspecified: 0x80,
  malformedPacket: 0x81,
  protocolError: 0x82,
  implementationSpecific: 0x83,
  unsupportedProtocolVersion: 0x84,
  clientIdentifierNotValid: 0x85,
  badUserNameOrPassword: 0x86,
  notAuthorized: 0x87,
  serverUnavailable: 0x88,
  serverShuttingDown: 0x8b,
  badAuthenticationMethod: 0x8c,
  topicFilterInvalid: 0x8f,
  topicNameInvalid: 0x90,
  topicAliasInvalid: 0x94,
  packetTooLarge: 0x95,
  quotaExceeded: 0x97,
  sharedSubscriptionsNotSupported: 0x9e,
  connectionRateExceeded: 0x9f
} as const

export const V3_CONNACK = {
  accepted: 0,
  unacceptableProtocolVersion: 1,
  identifierRejected: 2,
  serverUnavailable: 3,
  badUserNameOrPassword: 4,
  notAuthorized: 5
} as const

/** SUBACK's only refusal in MQTT 3.1.1. */
export const V3_SUBACK_FAILURE = 0x80

/** Why a client's CONNECT is refused, in terms that map to both protocol versions. */
export type ConnectRefusal = "bad-credentials" | "not-authorized" | "unavailable" | "rate-limited" | "topic-invalid"

export const connackCode = (version: number, refusal: ConnectRefusal): number => {
  if (version === 5) {
    switch (refusal) {
      case "bad-credentials":
        return V5.badUserNameOrPassword
      case "not-authorized":
        return V5.notAuthorized
      case "unavailable":
        return V5.serverUnavailable
      case "rate-limited":
        return V5.connectionRateExceeded
      case "topic-invalid":
        return V5.topicNameInvalid
    }
  }
  switch (refusal) {
    case "bad-credentials":
      return V3_CONNACK.badUserNameOrPassword
    case "unavailable":
    case "rate-limited":
      return V3_CONNACK.serverUnavailable
    // 3.1.1 has no code for a will topic that is not accepted; not authorized is the nearest.
    case "not-authorized":
    case "topic-invalid":
      return V3_CONNACK.notAuthorized
  }
}
