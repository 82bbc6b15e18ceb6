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
