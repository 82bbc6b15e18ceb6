import { Result } from "effect"
import { CommandRejected } from "../commands/errors.js"
import type { HistorizeInput } from "./TagCommands.js"
import { DURATION_FORMAT, parseDuration } from "./TagDuration.js"
import type { HistorizeSettings } from "./TagEvents.js"

/** Bounds of the historize durations: a sample at least each second and at most each week; points kept 1 minute to 100 years. */
export const SAMPLING_TIME_BOUNDS = { min: "1s", max: "1w" } as const
export const RETENTION_BOUNDS = { min: "1m", max: "36500d" } as const

const invalid = (message: string) => Result.fail(new CommandRejected({ reason: "invalid", message }))
const unprocessable = (message: string) => Result.fail(new CommandRejected({ reason: "unprocessable", message }))

const within = (field: string, text: string, millis: number, bounds: { readonly min: string; readonly max: string }) =>
  millis < parseDuration(bounds.min)! || millis > parseDuration(bounds.max)!
    ? `historize.${field} "${text}" is outside ${bounds.min} to ${bounds.max}`
    : undefined

/**
 * Historize settings as sent → as recorded, or a refusal naming the field: a duration that does not
 * parse is invalid (400); settings that parse but cannot work together are unprocessable (422).
 * An empty string stands for an absent field (what a form sends).
 */
export const historizeSettings = (input: HistorizeInput): Result.Result<HistorizeSettings, CommandRejected> => {
  const samplingTime = input.samplingTime === "" ? undefined : input.samplingTime
  const retention = input.retention === "" ? undefined : input.retention
  const samplingMillis = samplingTime === undefined ? undefined : parseDuration(samplingTime)
  const retentionMillis = retention === undefined ? undefined : parseDuration(retention)
  if (samplingTime !== undefined && samplingMillis === undefined) {
    return invalid(`historize.samplingTime "${samplingTime}" is not a duration: write ${DURATION_FORMAT}`)
  }
  if (retention !== undefined && retentionMillis === undefined) {
    return invalid(`historize.retention "${retention}" is not a duration: write ${DURATION_FORMAT}`)
  }
  if (input.type === "event" && samplingTime !== undefined) {
    return unprocessable("historize.samplingTime applies to type timeseries only; an event tag keeps every change")
  }
  if (input.type === "timeseries" && samplingMillis === undefined) {
    return unprocessable("historize.samplingTime is required for type timeseries (e.g. \"1s\", \"1m\")")
  }
  const problem = (samplingMillis === undefined ? undefined : within("samplingTime", samplingTime!, samplingMillis, SAMPLING_TIME_BOUNDS)) ??
    (retentionMillis === undefined ? undefined : within("retention", retention!, retentionMillis, RETENTION_BOUNDS))
  if (problem !== undefined) return unprocessable(problem)
  if (samplingMillis !== undefined && retentionMillis !== undefined && retentionMillis < samplingMillis) {
    return unprocessable(`historize.retention "${retention}" is shorter than historize.samplingTime "${samplingTime}": no point would be kept`)
  }
  return Result.succeed({
    type: input.type,
    ...(samplingTime === undefined ? {} : { samplingTime }),
    ...(retention === undefined ? {} : { retention })
  })
}
