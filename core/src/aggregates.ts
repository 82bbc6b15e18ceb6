import { collectionAggregate } from "./data/collection/CollectionAggregate.js"
import { recordAggregate } from "./data/record/RecordAggregate.js"
import { apiKeyAggregate } from "./identity/apikey/ApiKeyAggregate.js"
import { apiKeyUseAggregate } from "./identity/apikey/ApiKeyUseAggregate.js"
import { domainAggregate } from "./identity/domain/DomainAggregate.js"
import { groupAggregate } from "./identity/group/GroupAggregate.js"
import { failedLoginAggregate } from "./identity/login/FailedLoginAggregate.js"
import { sessionAggregate } from "./identity/session/SessionAggregate.js"
import { userAggregate } from "./identity/user/UserAggregate.js"
import { usernameAggregate } from "./identity/username/UsernameAggregate.js"
import { machineAggregate } from "./machines/MachineAggregate.js"
import { machineIdsAggregate } from "./machines/MachineIdsAggregate.js"
import { machineVaultAggregate } from "./machines/MachineVaultAggregate.js"
import { tagAggregate } from "./tags/TagAggregate.js"
import { flowsAggregate } from "./flows/FlowsAggregate.js"
import { functionAggregate } from "./processes/FunctionAggregate.js"
import { processAggregate } from "./processes/ProcessAggregate.js"
import { runAggregate } from "./processes/RunAggregate.js"
import { scheduleAggregate } from "./processes/ScheduleAggregate.js"
import { reportingMachineAggregate } from "./reporting/ReportingAggregate.js"

/** Every aggregate core declares: what an actor system hosts, and whose commands the edge may send. */
export const coreAggregates = [
  userAggregate,
  failedLoginAggregate,
  usernameAggregate,
  domainAggregate,
  groupAggregate,
  apiKeyAggregate,
  apiKeyUseAggregate,
  sessionAggregate,
  machineAggregate,
  machineVaultAggregate,
  machineIdsAggregate,
  recordAggregate,
  collectionAggregate,
  tagAggregate,
  flowsAggregate,
  processAggregate,
  functionAggregate,
  runAggregate,
  scheduleAggregate,
  reportingMachineAggregate
] as const
