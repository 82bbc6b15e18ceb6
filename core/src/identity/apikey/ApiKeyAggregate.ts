import { fromDecider } from "../../decider/fromDecider.js"
import { API_KEY_COMMANDS } from "./ApiKeyCommands.js"
import { apiKeyDecider, type ApiKeyStatus } from "./ApiKeyDecider.js"
import { API_KEY_EVENTS } from "./ApiKeyEvents.js"

/** One API key of one domain. Stream `apikey-<domain>-<keyId>`: a key id names no key in another domain. */
export const API_KEY_CATEGORY = "apikey"

export const apiKeyAggregate = fromDecider({
  category: API_KEY_CATEGORY,
  decider: apiKeyDecider,
  commands: API_KEY_COMMANDS,
  events: API_KEY_EVENTS,
  // The stream names the key: its id in the payload cannot point elsewhere.
  fromEnvelope: (command) => ({ keyId: command.aggregateId }),
  reply: (state, _events, command): { readonly keyId: string; readonly status: ApiKeyStatus } =>
    state._tag === "Issued"
      ? { keyId: state.keyId, status: state.status }
      // Unreachable: every command but issuing is refused before the key exists.
      : { keyId: "keyId" in command ? command.keyId : "", status: "revoked" }
})
