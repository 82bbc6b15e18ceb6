import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeSqliteEventStore } from "@machhub/adapters"
import { runCli } from "../cli/cliProcess.js"
import { ADMIN_PASSWORD } from "../support/server.js"
import { spawnServer, waitForLogin, type ServerProcess } from "../support/serverProcess.js"
import { tempDir } from "../support/temp.js"
import { readWholeLog } from "../support/readWholeLog.js"
import { createdRecords, eventually, getStatus, postRecord, recordBody, stopProcess, WriteLoad } from "./writeLoad.js"

/**
 * Fault test: the embedded server (SQLite log and read models in its data dir, in-process bus) is
 * killed with SIGKILL in the middle of a write load, then started again on the same data dir. What
 * it acknowledged before dying must all be there, once; what it was doing when it died is in doubt
 * and, retried with the same Idempotency-Key, must end up there exactly once too.
 */

const TABLE = "crash"
/** Far above any legitimate answer; a request still open then is a hang. */
const REQUEST_TIMEOUT_MS = 15_000

describe("the embedded server killed with SIGKILL under write load", () => {
  const dir = tempDir("machhub-crash-")
  const env = { MACHHUB_DATA_DIR: dir.path, MACHHUB_ADMIN_PASSWORD: ADMIN_PASSWORD }
  const started: Array<ServerProcess> = []

  beforeAll(async () => {
    started.push(await spawnServer(env))
  })

  afterAll(async () => {
    // Always: no server process outlives the file, whatever failed above.
    await Promise.all(started.map((server) => stopProcess(server.child, server.exited)))
    dir.cleanup()
  })

  it("restarts on the same data dir with every acknowledged record exactly once", async () => {
    const first = started[0]!
    const token = await waitForLogin(first.url, "admin", ADMIN_PASSWORD)
    const load = new WriteLoad({
      targets: [first.url],
      token,
      table: TABLE,
      writers: 4,
      runId: `cr${Date.now().toString(36)}`,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      retryDelayMs: 50,
      // Once the process is dead nothing answers: the writer's current key is left in doubt.
      onNetworkError: "abandon"
    })
    load.start()
    try {
      // Enough acknowledged writes that the kill lands among group commits in progress.
      expect(await eventually(async () => load.acknowledged.size >= 200, 30_000, 10)).toBe(true)
      first.child.kill("SIGKILL")
      expect(await first.exited).toBe("SIGKILL")
      await load.stop()
    } finally {
      await load.stop()
    }
    const acknowledgedBeforeCrash = [...load.acknowledged.values()]
    const inDoubt = [...load.inDoubt.entries()]
    // Before the kill nothing failed; after it, only "no answer" (connection refused or reset).
    const statuses = load.tally()
    console.info("crash-embedded outcomes", { statuses, slowestMs: load.slowest(), acknowledged: acknowledgedBeforeCrash.length, inDoubt: inDoubt.map(([key]) => key) })
    expect(Object.keys(statuses).filter((label) => label !== "201" && label !== "network")).toEqual([])

    // SIGKILL left the dead process's lock file behind; it must not block the restart (stale: pid gone).
    const lockPath = join(dir.path, "machhub.lock")
    expect(existsSync(lockPath)).toBe(true)
    expect((JSON.parse(readFileSync(lockPath, "utf8")) as { pid: number }).pid).toBe(first.child.pid)
    const second = await spawnServer(env)
    started.push(second)
    expect(await eventually(async () => (await getStatus(`${second.url}/readyz`)).status === 200, 20_000)).toBe(true)
    // Where the log stood after the crash: in-doubt writes at or before it were committed by the dead process.
    const headAfterCrash = (JSON.parse((await getStatus(`${second.url}/readyz`)).body) as { position: number }).position
    // The signing key survived too: the token issued before the crash still works.
    expect((await getStatus(`${second.url}/api/me`, token)).status).toBe(200)

    // Every acknowledged record is readable, with the body it was written with.
    const unreadable: Array<string> = []
    for (const ack of acknowledgedBeforeCrash) {
      const read = await getStatus(`${second.url}/machhub/${ack.id}`, token)
      if (read.status !== 200 || (JSON.parse(read.body) as { marker: string }).marker !== ack.marker) unreadable.push(`${ack.key}:${read.status}`)
    }
    expect(unreadable).toEqual([])

    // The requests the crash cut off, retried as a client would (same key, same body): each is
    // acknowledged now, whether or not the dead process had committed it.
    const retried = new Map<string, string>()
    for (const [key, { writer, n }] of inDoubt) {
      const outcome = await postRecord(second.url, token, TABLE, key, recordBody(key, writer, n), REQUEST_TIMEOUT_MS)
      expect(outcome.kind === "status" ? outcome.status : outcome.kind, key).toBe(201)
      if (outcome.kind === "status") retried.set(key, (JSON.parse(outcome.body) as { id: string }).id)
    }
    const expected = [...acknowledgedBeforeCrash.map((ack) => ack.marker), ...retried.keys()].sort()
    const count = await getStatus(`${second.url}/machhub/${TABLE}/count`, token)
    expect(JSON.parse(count.body)).toEqual({ count: expected.length })

    // Stop gracefully, then replay the log with the SQLite adapter opened on the data dir's events.db:
    // every record created exactly once, and none that nobody asked for.
    expect(await stopProcess(second.child, second.exited)).toBe(0)
    const events = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const store = yield* makeSqliteEventStore({ path: join(dir.path, "events.db"), backgroundCheckpoint: false })
      return yield* readWholeLog((from, limit) => store.readAll(from, limit))
    })))
    const { byMarker, byId } = createdRecords(events, TABLE)
    const notOnce = expected.filter((marker) => byMarker.get(marker) !== 1).map((marker) => `${marker}×${byMarker.get(marker) ?? 0}`)
    expect(notOnce).toEqual([])
    expect([...byMarker.keys()].sort()).toEqual(expected)
    expect([...byId.values()].every((n) => n === 1)).toBe(true)
    const committedByTheDead = events.filter((e) =>
      e.type === "RecordCreated" && e.position <= headAfterCrash && retried.has(String((e.data as { data: { marker?: unknown } }).data.marker))
    ).length
    console.info(`in doubt at the crash: ${retried.size}, of which already committed by the killed process: ${committedByTheDead}`)
    expect(events.every((event, i) => i === 0 || event.position > events[i - 1]!.position)).toBe(true)

    // And the read models the restarted server left behind equal a fresh replay of that log.
    const verify = await runCli(["verify", "--data-dir", dir.path])
    expect(verify.code, `${verify.stdout}\n${verify.stderr}`).toBe(0)
  }, 90_000)
})
