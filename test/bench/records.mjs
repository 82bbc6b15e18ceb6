// Data-plane figures for `npm run bench`: createRecord over HTTP, a filtered and sorted page from a
// 100,000-record collection (plain filters, and the SDK's filter_or groups, CONTAINSANY and ~), the
// uncached query pages of benchQueryPages at 10,000 and at BENCH_MEMORY_RECORDS (1,000,000) records,
// and the server's memory holding those 1,000,000 records.
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

/** Creates records one POST at a time (32 in flight) until exactly `target` exist. */
export const fillExactly = async (url, headers, table, target) => {
  let next = await countOf(url, headers, table)
  const worker = async () => {
    while (next < target) {
      const n = ++next
      const body = { name: `item-${String(n).padStart(6, "0")}`, price: (n * 7919) % 1000, category: `c${n % 10}`, inStock: n % 3 === 0, tags: [`t${n % 7}`, `u${n % 11}`] }
      const response = await fetchOnce(`${url}/machhub/${table}`, { method: "POST", headers, body: JSON.stringify(body) })
      if (response.status >= 300) throw new Error(`creating a record answered ${response.status}: ${await response.text()}`)
      await response.arrayBuffer()
    }
  }
  await Promise.all(Array.from({ length: 32 }, worker))
}

const rssOf = (pid) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const kib = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0)
  return { rss: kib("VmRSS") * 1024, peak: kib("VmHWM") * 1024 }
}

/**
 * The uncached list pages users send, on a collection of `size` records (SPEC §6): an equality, a bound
 * on another field that changes on every request (so no page cache answers) and a descending sort on
 * that field; and the SDK's two OR groups sorted by a third field. Each row is the median of 3 runs.
 */
const QUERY_PAGES = [
  {
    label: "filter = + varying range, sort desc",
    example: (table) => `/machhub/${table}/all?filter[category][eq][string]=c3&filter[price][lt][number]=500&sort=[price][desc]&limit=20`,
    path: (table) => `"/machhub/${table}/all?filter[category][eq][string]=c3&filter[price][lt][number]=" .. (20 + counter % 980) .. "&sort=[price][desc]&limit=20"`
  },
  {
    label: "filter_or: 2 groups, sort desc",
    example: (table) => `/machhub/${table}/all?filter_or[0][category][%3D][string]=c3&filter_or[1][price][%3C][number]=100&sort=[name][desc]&limit=20`,
    path: (table) => `"/machhub/${table}/all?filter_or[0][category][%3D][string]=c" .. (counter % 10) .. "&filter_or[1][price][%3C][number]=" .. (counter % 1000) .. "&sort=[name][desc]&limit=20"`
  }
]

export const benchQueryPages = async ({ url, headers, table, size, seconds, baselineRps, row, runs = 3 }) => {
  for (const { label, example, path } of QUERY_PAGES) {
    const check = await fetchOnce(`${url}${example(table)}`, { headers })
    const page = await check.json()
    if (check.status !== 200 || page.length !== 20) throw new Error(`${example(table)} answered ${check.status}: ${JSON.stringify(page).slice(0, 200)}`)
    const script = `
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, ${path(table)})
end
`
    const results = Array.from({ length: runs }, () => runWrk({ url: `${url}/`, seconds, headers: { Authorization: headers.Authorization }, lua: script }))
    const median = [...results].sort((a, b) => a.rps - b.rps)[Math.floor(runs / 2)]
    const non2xx = results.reduce((n, r) => n + r.non2xx, 0)
    const target = size >= 1_000_000 ? "target >= 1%" : "target >= 5%"
    row(`GET page of 20 of ${size.toLocaleString("en")} (${label}), distinct pages`, median.rps, "req/s", median.rps / baselineRps,
      `median of ${runs} (${results.map((r) => Math.round(r.rps)).join(", ")}); p50 ${median.p50.toFixed(2)} ms, p99 ${median.p99.toFixed(2)} ms; ${target}${non2xx ? `; ${non2xx} non-2xx` : ""}`)
  }
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

  log("filling a 10,000-record collection for the uncached query figures…")
  await fillExactly(url, headers, "bench_query", 10_000)
  await benchQueryPages({ url, headers, table: "bench_query", size: 10_000, seconds, baselineRps, row })

  if (memoryRecords > 0) {
    log(`filling a ${memoryRecords.toLocaleString("en")}-record collection for the memory figure (takes a while)…`)
    await fill(url, headers, "bench_memory", memoryRecords, log)
    const { rss, peak } = rssOf(serverPid)
    row(`server RSS holding ${memoryRecords.toLocaleString("en")} records`, rss / 1024 / 1024, "MiB", undefined,
      `peak ${Math.round(peak / 1024 / 1024)} MiB during the fill; target < 1024 MiB`)
    // The same uncached queries on the large collection (its records have the same fields).
    await benchQueryPages({ url, headers, table: "bench_memory", size: memoryRecords, seconds, baselineRps, row })
  }
}
