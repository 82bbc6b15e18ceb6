/** One JSON call to the server as a bench sets it up: a bearer token, a JSON body, the answer parsed; any status from 300 up throws. */
export const call = async (url, token, method, path, body) => {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await response.text()
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 200)}`)
  return text.length === 0 ? undefined : JSON.parse(text)
}
