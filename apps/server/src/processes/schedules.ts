import { Cron } from "croner"
import type { ProcessTrigger } from "@machhub/core"

/** The schedule of an interval or cron trigger: its due times (slots), the same on every node. */
export interface Schedule {
  /** The first due time strictly after `after` (ms), or undefined when there is none. */
  readonly next: (after: number) => number | undefined
  /** The latest due time at or before `at` (ms), or undefined. */
  readonly latest: (at: number) => number | undefined
}

const UNIT_MILLIS = { s: 1_000, m: 60_000, h: 3_600_000 } as const

/** The shortest interval accepted: shorter ones would be a busy loop of runs. */
export const MIN_INTERVAL_MILLIS = 1_000
/** The longest: a year. */
export const MAX_INTERVAL_MILLIS = 366 * 24 * 3_600_000

/** Whether Intl knows a time-zone name. */
export const isTimeZone = (name: string): boolean => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name })
    return true
  } catch {
    return false
  }
}

/**
 * A cron expression parsed by croner (5 fields, or 6 with seconds first), in a time zone: the
 * trigger's own `timezone`, else the server's MACHHUB_TIMEZONE. Answers the problem as croner names it.
 */
export const parseCron = (expression: string, timeZone: string): { ok: true; cron: Cron } | { ok: false; message: string } => {
  try {
    return { ok: true, cron: new Cron(expression, { timezone: timeZone, paused: true }) }
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) }
  }
}

/**
 * The schedule of a trigger. Interval slots are multiples of the interval since the epoch, so every
 * node computes the same ones (and claims of one slot collide); cron slots are the expression's times.
 */
export const scheduleOf = (trigger: ProcessTrigger, defaultTimeZone: string): Schedule | undefined => {
  if (trigger.type === "interval") {
    const every = trigger.config.interval_value * UNIT_MILLIS[trigger.config.interval_unit]
    return {
      next: (after) => (Math.floor(after / every) + 1) * every,
      latest: (at) => Math.floor(at / every) * every
    }
  }
  if (trigger.type === "cron") {
    const parsed = parseCron(trigger.config.cron_expression, trigger.config.timezone ?? defaultTimeZone)
    if (!parsed.ok) return undefined
    const cron = parsed.cron
    return {
      next: (after) => cron.nextRun(new Date(after))?.getTime(),
      latest: (at) => {
        // previousRuns looks strictly before its reference: a slot exactly at `at` counts too.
        if (cron.match(new Date(at)) && at % 1000 === 0) return at
        return cron.previousRuns(1, new Date(at))[0]?.getTime()
      }
    }
  }
  return undefined
}

/** An interval's length in milliseconds. */
export const intervalMillis = (value: number, unit: "s" | "m" | "h"): number => value * UNIT_MILLIS[unit]
