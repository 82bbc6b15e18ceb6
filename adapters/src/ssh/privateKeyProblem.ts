import ssh2 from "ssh2"

// ssh2 is CommonJS: Node's ESM loader offers only its default export, not named ones.
const { utils } = ssh2

/**
 * Checks, before anything is stored, that a private key can be used: it parses, it is a private key,
 * and an encrypted one opens with the given passphrase. Returns what is wrong, or undefined.
 */
export const privateKeyProblem = (privateKey: string, passphrase: string | undefined): string | undefined => {
  let parsed: ReturnType<typeof utils.parseKey>
  try {
    parsed = utils.parseKey(privateKey, passphrase)
  } catch (error) {
    return `private_key cannot be read: ${error instanceof Error ? error.message : String(error)}`
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed
  if (key === undefined) return "private_key holds no key"
  if (key instanceof Error) {
    return /passphrase/i.test(key.message) || /decrypt/i.test(key.message)
      ? `private_key is encrypted and ${passphrase === undefined ? "no passphrase was given" : "the passphrase does not open it"}`
      : `private_key cannot be read: ${key.message}`
  }
  if (!key.isPrivateKey()) return "private_key holds a public key; send the private key"
  return undefined
}
