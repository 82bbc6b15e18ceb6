import type { Command } from "../../commands/Command.js"
import { fromDecider } from "../../decider/fromDecider.js"
import type { ApiKeyCommand } from "./ApiKeyCommands.js"
import { apiKeyDecider, type ApiKeyState, type ApiKeyStatus } from "./ApiKeyDecider.js"
import type { ApiKeyEvent } from "./ApiKeyEvents.js"

/** One API key of one domain. Stream `apikey-<domain>-<keyId>`: a key id names no key in another domain. */
export const API_KEY_CATEGORY = "apikey"

const toApiKeyCommand = (command: Command): ApiKeyCommand | undefined => {
  const payload = command.payload as Record<string, unknown> | null
  if (payload === null || typeof payload !== "object") return undefined
  switch (command.type) {
    case "issueKey":
      // The stream names the key: its id in the payload cannot point elsewhere.
      return { ...payload, type: command.type, keyId: command.aggregateId } as ApiKeyCommand
    case "updateKey":
    case "revokeKey":
    case "suspendKey":
    case "resumeKey":
      return { ...payload, type: command.type } as ApiKeyCommand
    default:
      return undefined
  }
}

export const apiKeyAggregate = fromDecider<ApiKeyState, ApiKeyCommand, ApiKeyEvent>({
  category: API_KEY_CATEGORY,
  decider: apiKeyDecider,
  toCommand: toApiKeyCommand,
  reply: (state): { readonly keyId: string; readonly status: ApiKeyStatus } => ({ keyId: state.keyId, status: state.status })
})
