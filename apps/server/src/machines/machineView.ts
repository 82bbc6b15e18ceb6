import type { MachineRow } from "@machhub/projections"

/** A machine as the seed answers it: never a secret, never a ciphertext. */
export const machineView = (row: MachineRow) => ({
  id: row.machineId,
  name: row.name,
  username: row.username,
  hostname: row.hostname,
  port: row.port,
  owner_id: row.ownerName,
  owner_type: "user" as const
})
