/**
 * The one way the tests call a server over HTTP: `fetch` with a bounded wait
 * (a hung server fails the test instead of hanging it), the body read eagerly
 * as text so the socket is freed.
 */
/** One request and the response it got, as an observer sees it. */
export interface Exchange {
  readonly method: string
  readonly url: string
  readonly status: number
  readonly headers: Headers
  readonly text: string
}

const observers: Array<(exchange: Exchange) => void> = []

/**
 * Hands every later response of this test file to `observer`, e.g. the
 * OpenAPI conformance check (`test/support/OpenApiValidator.ts`).
 */
export const observeResponses = (observer: (exchange: Exchange) => void) => {
  observers.push(observer)
}

export const fetchText = async (url: string, init: RequestInit & { readonly timeoutMs?: number } = {}) => {
  const { timeoutMs = 10_000, ...rest } = init
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), ...rest })
  const text = await response.text()
  for (const observer of observers) {
    observer({ method: rest.method ?? "GET", url, status: response.status, headers: response.headers, text })
  }
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: (): any => JSON.parse(text)
  }
}
