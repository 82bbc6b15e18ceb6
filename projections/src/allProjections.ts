import type { Projection } from "./runner/Projection.js"
import { apiKeysProjection } from "./apikeys/ApiKeysProjection.js"
import { domainsProjection } from "./domains/DomainsProjection.js"
import { groupsProjection } from "./groups/GroupsProjection.js"
import { machinesProjection } from "./machines/MachinesProjection.js"
import { machineVaultsProjection } from "./machines/MachineVaultsProjection.js"
import { recordsProjection } from "./records/RecordsProjection.js"
import { sessionsProjection } from "./sessions/SessionsProjection.js"
import { usersProjection } from "./users/UsersProjection.js"
import { tagsProjection } from "./tags/TagsProjection.js"
import { auditProjection } from "./audit/AuditProjection.js"
import { processesProjection } from "./processes/ProcessesProjection.js"
import { runsProjection } from "./processes/RunsProjection.js"
import { reportingMachinesProjection } from "./reporting/ReportingMachinesProjection.js"

/**
 * Every read model a node serves, in the order they are applied. The ONE list: the server runs it and
 * the CLI replays and verifies it, so a projection added here is rebuilt and checked by `replay` and
 * `verify` without further wiring.
 */
export const allProjections: ReadonlyArray<Projection> = [
  usersProjection,
  groupsProjection,
  domainsProjection,
  apiKeysProjection,
  sessionsProjection,
  machinesProjection,
  machineVaultsProjection,
  recordsProjection,
  tagsProjection,
  processesProjection,
  runsProjection,
  reportingMachinesProjection,
  auditProjection
]
