import type { MachineRow } from "@machhub/projections"

/**
 * A machine as the seed answers it, with the `organization` label it was created with (null when
 * none): never a secret, never a ciphertext.
 */
export const machineView = (row: MachineRow) => ({
  id: row.machineId,
  name: row.name,
  username: row.username,
  hostname: row.hostname,
  port: row.port,
  organization: row.organization,
  owner_id: row.ownerName,
  owner_type: "user" as const
})
