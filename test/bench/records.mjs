// Data-plane figures for `npm run bench`: createRecord over HTTP, a filtered and sorted page from a
// 100,000-record collection (plain filters, and the SDK's filter_or groups, CONTAINSANY and ~), and
// the server's memory holding 1,000,000 records.
import { readFileSync } from "node:fs"
import { runWrk } from "./wrk.mjs"

// Every request creates a different record: a counter in the body, a price and a category to filter
// on, and an array of two tags for the array operators.
export const createScript = `
counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"name":"item-%06d","price":%d,"category":"c%d","inStock":%s,"tags":["t%d","u%d"]}', counter, (counter * 7919) % 1000, counter % 10, (counter % 3 == 0) and "true" or "false", counter % 7, counter % 11)
  return wrk.format(nil, nil, nil, body)
end
`

/**
 * List pages with the SDK's query forms (SPEC §6a), each request a different page (1,000 or more
 * distinct queries, more than the page cache keeps per collection): `path(counter)` is a Lua
 * expression for the request path, `example` one such path to check before measuring.
 */
const SDK_PAGES = [
  {
    label: "GET page of 20 of 100,000 (filter_or: 2 groups, 1 sort), distinct pages",
    example: "/machhub/bench_page/all?filter_or[0][category][%3D][string]=c3&filter_or[1][price][%3C][number]=100&sort=[name][desc]&limit=20",
    path: `"/machhub/bench_page/all?filter_or[0][category][%3D][string]=c" .. (counter % 10) .. "&filter_or[1][price][%3C][number]=" .. (counter % 1000) .. "&sort=[name][desc]&limit=20"`
  },
  {
    label: "GET page of 20 of 100,000 (CONTAINSANY on an array field, 1 sort), distinct pages",
    example: "/machhub/bench_page/all?filter[tags][CONTAINSANY][object]=t1,u2&sort=[name][desc]&limit=20",
    path: `"/machhub/bench_page/all?filter[tags][CONTAINSANY][object]=t" .. (counter % 7) .. ",u" .. (math.floor(counter / 7) % 11) .. "&sort=[name][desc]&limit=20&offset=" .. (math.floor(counter / 77) % 13)`
  },
  {
    label: "GET page of 20 of 100,000 (~ case-insensitive substring, 1 sort), distinct pages",
    example: "/machhub/bench_page/all?filter[category][~][string]=C3&sort=[name][desc]&limit=20",
    path: `"/machhub/bench_page/all?filter[category][~][string]=C" .. (counter % 10) .. "&sort=[name][desc]&limit=20&offset=" .. (math.floor(counter / 10) % 100)`
  }
]

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

  for (const { label, example, path } of SDK_PAGES) {
    const check = await fetchOnce(`${url}${example}`, { headers })
    const page = await check.json()
    if (check.status !== 200 || page.length !== 20) throw new Error(`${example} answered ${check.status}: ${JSON.stringify(page).slice(0, 200)}`)
    const script = `
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, ${path})
end
`
    const run = runWrk({ url: `${url}/`, seconds, headers: { Authorization: headers.Authorization }, lua: script })
    row(label, run.rps, "req/s", run.rps / baselineRps,
      `every request a new query; p50 ${run.p50.toFixed(2)} ms, p99 ${run.p99.toFixed(2)} ms${run.non2xx ? `; ${run.non2xx} non-2xx` : ""}`)
  }

  if (memoryRecords > 0) {
    log(`filling a ${memoryRecords.toLocaleString("en")}-record collection for the memory figure (takes a while)…`)
    await fill(url, headers, "bench_memory", memoryRecords, log)
    const { rss, peak } = rssOf(serverPid)
    row(`server RSS holding ${memoryRecords.toLocaleString("en")} records`, rss / 1024 / 1024, "MiB", undefined,
      `peak ${Math.round(peak / 1024 / 1024)} MiB during the fill; target < 1024 MiB`)
  }
}
