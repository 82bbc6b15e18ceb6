import { join } from "node:path"
import { loadOrCreateHmacKey, makeApiKeyHasher, type ApiKeyHasher } from "@machhub/adapters"

/** Where the server secret that API-key hashes are keyed with lives (created on first start). */
export const apiKeyHmacKeyPath = (dataDir: string): string => join(dataDir, "keys", "api-key-hmac.key")

/** The hasher both the key routes (issuing) and the verifier (checking) use: same file, same secret. */
export const apiKeyHasherFor = (dataDir: string): ApiKeyHasher => makeApiKeyHasher(loadOrCreateHmacKey(apiKeyHmacKeyPath(dataDir)))
