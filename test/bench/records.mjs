// Data-plane figures for `npm run bench`: createRecord over HTTP, a filtered and sorted page from a
// 100,000-record collection, and the server's memory holding 1,000,000 records.
import { readFileSync } from "node:fs"
import { runWrk } from "./wrk.mjs"

// Every request creates a different record: a counter in the body, a price and a category to filter on.
export const createScript = `
counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"name":"item-%06d","price":%d,"category":"c%d","inStock":%s}', counter, (counter * 7919) % 1000, counter % 10, (counter % 3 == 0) and "true" or "false")
  return wrk.format(nil, nil, nil, body)
end
`

/**
 * fetch, retried once: between wrk runs the server may close an idle keep-alive connection that
 * fetch's pool then reuses ("other side closed").
 */
const fetchOnce = async (url, init) => {
  try {
    return await fetch(url, init)
  } catch {
    return await fetch(url, init)
  }
}

const countOf = async (url, headers, table) => {
  const response = await fetchOnce(`${url}/machhub/${table}/count`, { headers })
  return (await response.json()).count
}

/** Creates records with wrk until `target` exist (wrk runs by time, so it is run in slices). */
const fill = async (url, headers, table, target, log) => {
  let count = await countOf(url, headers, table)
  while (count < target) {
    const seconds = Math.max(1, Math.min(10, Math.ceil((target - count) / 12_000)))
    runWrk({ url: `${url}/machhub/${table}`, seconds, method: "POST", headers, lua: createScript, timeoutSeconds: 10 })
    count = await countOf(url, headers, table)
    log(`  ${table}: ${count.toLocaleString("en")} records`)
  }
  return count
}

const rssOf = (pid) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const kib = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0)
  return { rss: kib("VmRSS") * 1024, peak: kib("VmHWM") * 1024 }
}

export const benchRecords = async ({ url, token, seconds, baselineRps, row, serverPid, memoryRecords }) => {
  const log = (line) => console.error(line)
  const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" }

  const create = runWrk({ url: `${url}/machhub/bench_create`, seconds, method: "POST", headers, lua: createScript, timeoutSeconds: 10 })
  row("POST /machhub/<table> (createRecord)", create.rps, "req/s", create.rps / baselineRps,
    `64 conns; p50 ${create.p50.toFixed(2)} ms, p99 ${create.p99.toFixed(2)} ms; target >= 15,000/s${create.non2xx ? `; ${create.non2xx} non-2xx` : ""}`)

  log("filling a 100,000-record collection for the page figure…")
  await fill(url, headers, "bench_page", 100_000, log)
  const page = `${url}/machhub/bench_page/all?filter[price][gt][number]=500&sort=[name][desc]&limit=20`
  const first = await fetchOnce(page, { headers })
  const body = await first.json()
  if (first.status !== 200 || body.length !== 20) throw new Error(`the page query answered ${first.status}: ${JSON.stringify(body).slice(0, 200)}`)
  // Distinct pages: a different price threshold on every request (1,000 of them, more than the page
  // cache keeps per collection, taken in turn), so each one walks the index.
  const distinctScript = `
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, "/machhub/bench_page/all?filter[price][gt][number]=" .. (counter % 1000) .. "&sort=[name][desc]&limit=20")
end
`
  const distinct = runWrk({ url: `${url}/`, seconds, headers: { Authorization: headers.Authorization }, lua: distinctScript })
  row("GET page of 20 of 100,000 (1 filter, 1 sort), distinct pages", distinct.rps, "req/s", distinct.rps / baselineRps,
    `every request a new query; p50 ${distinct.p50.toFixed(2)} ms, p99 ${distinct.p99.toFixed(2)} ms; target >= 40%${distinct.non2xx ? `; ${distinct.non2xx} non-2xx` : ""}`)
  const pageRun = runWrk({ url: page, seconds, headers: { Authorization: headers.Authorization } })
  row("GET page of 20 of 100,000 (1 filter, 1 sort), same page", pageRun.rps, "req/s", pageRun.rps / baselineRps,
    `answered from the page cache until the collection changes; p50 ${pageRun.p50.toFixed(2)} ms, p99 ${pageRun.p99.toFixed(2)} ms${pageRun.non2xx ? `; ${pageRun.non2xx} non-2xx` : ""}`)

  if (memoryRecords > 0) {
    log(`filling a ${memoryRecords.toLocaleString("en")}-record collection for the memory figure (takes a while)…`)
    await fill(url, headers, "bench_memory", memoryRecords, log)
    const { rss, peak } = rssOf(serverPid)
    row(`server RSS holding ${memoryRecords.toLocaleString("en")} records`, rss / 1024 / 1024, "MiB", undefined,
      `peak ${Math.round(peak / 1024 / 1024)} MiB during the fill; target < 1024 MiB`)
  }
}
