import type { Api } from "./api.js"

export const MASTER_PASSWORD = "my master password 1"

/** A machine body as the seed sends it. */
export const machineBody = (port: number, extra: Record<string, unknown> = {}) => ({
  name: "Production Server",
  hostname: "127.0.0.1",
  port: String(port),
  username: "tester",
  password: "ssh-password-1",
  ...extra
})

/** Creates a machine and returns its id (from Location; the seed's answer carries no data). */
export const createMachine = async (api: Api, body: Record<string, unknown>, master = MASTER_PASSWORD): Promise<number> => {
  const created = await api.json("POST", "/api/v1/machine", body, { "x-master-password": master })
  if (created.status !== 200) throw new Error(`create machine: ${created.status} ${JSON.stringify(created.body)}`)
  return Number(/\/api\/v1\/machine\/(\d+)$/.exec(created.headers.get("location") ?? "")?.[1])
}

/** Connects and returns the ticket. */
export const connect = async (api: Api, id: number, master = MASTER_PASSWORD): Promise<string> => {
  const connected = await api.json("POST", `/api/v1/machine/${id}/connect`, { password: master })
  if (connected.status !== 200) throw new Error(`connect: ${connected.status} ${JSON.stringify(connected.body)}`)
  return connected.body.data as string
}

/**
 * An ed25519 key pair whose private key is encrypted with `passphrase`. ssh2 1.17's generator now and
 * then drops a leading zero byte of the public key and emits a malformed key (about 1 in 256): such a
 * pair is generated again rather than letting the test fail on it.
 */
export const encryptedKeyPair = async (passphrase: string): Promise<{ readonly private: string; readonly public: string }> => {
  const { utils } = (await import("ssh2")).default
  for (;;) {
    const pair = utils.generateKeyPairSync("ed25519", { passphrase, cipher: "aes256-ctr", rounds: 16 })
    if (!(utils.parseKey(pair.private, passphrase) instanceof Error)) return pair
  }
}
