/**
 * The one way the tests call a server over HTTP: `fetch` with a bounded wait
 * (a hung server fails the test instead of hanging it), the body read eagerly
 * as text so the socket is freed.
 */
export const fetchText = async (url: string, init: RequestInit & { readonly timeoutMs?: number } = {}) => {
  const { timeoutMs = 10_000, ...rest } = init
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), ...rest })
  const text = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: (): any => JSON.parse(text)
  }
}
