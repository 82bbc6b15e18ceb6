import type { MachineTagBindings } from "@machhub/core"
import type { TagsReadModel } from "@machhub/projections"

/**
 * Why a machine's tags cannot feed reports, if they cannot: every bound tag must be defined in the
 * domain and historized as `event` (a point per change), because reports rebuild the signals'
 * intervals from their changes. A `timeseries` tag keeps one value per interval, which loses the
 * exact moments a machine entered and left its cycle. Required, not done silently: historize
 * settings need `historian:read-write`, which whoever registers a machine may not hold.
 */
export const unfitBoundTag = (tags: TagsReadModel, domain: string, bindings: MachineTagBindings): string | undefined => {
  const roles: Array<[string, string | undefined]> = [
    ["execution", bindings.execution],
    ["partCount", bindings.partCount],
    ["rejectCount", bindings.rejectCount],
    ["alarm", bindings.alarm]
  ]
  for (const [role, topic] of roles) {
    if (topic === undefined) continue
    const tag = tags.get(domain, topic)
    if (tag === undefined) return `tags.${role}: no tag ${topic} in this domain; define it (PUT /api/tags/${topic}) with historize { "type": "event" }`
    if (tag.historize?.type !== "event") {
      return `tags.${role}: tag ${topic} must be historized as event (it is ${tag.historize === undefined ? "not historized" : "historized as timeseries"}); set historize { "type": "event" } on it`
    }
  }
  return undefined
}
