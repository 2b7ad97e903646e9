/**
 * Checks HTTP responses against the OpenAPI document the service publishes
 * (`/openapi.json`, generated from `src/Api.ts`), with a standard JSON
 * Schema validator (Ajv, JSON Schema 2020-12, `ajv-formats`), not with the
 * service's own schemas: the status must be documented for the operation
 * (or, for a path or method no operation has, the router's documented
 * 404/405), every header the response declares must be present when
 * required and match its schema when sent, and the body must match the
 * schema of its media type.
 *
 * `test/support/Fetch.ts` hands every response it receives to the observers
 * registered here; {@link validateResponses} registers this one for a test
 * file, and fails each test that received a response the document does not
 * describe. `OpenApiValidator.setup.ts` does so for every test file of the
 * suite (vitest's `setupFiles`).
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js"
import addFormats from "ajv-formats"
import { OpenApi } from "effect/http-api"
import { afterEach } from "vitest"
import { Api } from "../../src/Api.ts"
import { type Exchange, observeResponses } from "./Fetch.ts"

/** The document as `GET /openapi.json` serves it. */
export const document: Record<string, any> = JSON.parse(JSON.stringify(OpenApi.fromApi(Api)))

/** Routes the document does not cover by design: the document itself, the docs page and its assets, metrics. */
const undocumentedRoutes = [/^\/openapi\.json$/, /^\/docs(\/.*)?$/, /^\/metrics$/, /^\/$/, /^\/favicon\.ico$/]

const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false, unicodeRegExp: true })
addFormats.default(ajv)
ajv.addSchema(document, "openapi.json")

const pointer = (...segments: ReadonlyArray<string>) =>
  `openapi.json#/${segments.map((segment) => segment.replace(/~/g, "~0").replace(/\//g, "~1")).join("/")}`

const validators = new Map<string, ValidateFunction>()
/** A validator for the schema at `segments` in the document; its `$ref`s resolve within the document. */
const validatorAt = (...segments: ReadonlyArray<string>) => {
  const ref = pointer(...segments)
  let validate = validators.get(ref)
  if (validate === undefined) {
    validate = ajv.compile({ $ref: ref })
    validators.set(ref, validate)
  }
  return validate
}

/** Each path template of the document as a pattern; literal paths first, so `/x/{id}` does not shadow `/x/new`. */
const templates = Object.keys(document.paths ?? {})
  .map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`),
    params: (template.match(/\{/g) ?? []).length
  }))
  .sort((a, b) => a.params - b.params)

const resolve = (value: any): any => {
  if (value?.$ref === undefined) return value
  const [, kind, name] = /^#\/components\/(\w+)\/(.+)$/.exec(value.$ref) ?? []
  return resolve(document.components?.[kind!]?.[name!])
}

/** How a response object is reached in the document, for error messages and validators. */
interface Located {
  readonly response: any
  readonly at: ReadonlyArray<string>
  readonly where: string
}

/** The documented response for this status, or why there is none. */
const locate = (method: string, path: string, status: number): Located | string => {
  const match = templates.find(({ pattern }) => pattern.test(path))
  const routerResponse = (name: string): Located => ({
    response: resolve({ $ref: `#/components/responses/${name}` }),
    at: ["components", "responses", name],
    where: `components.responses.${name}`
  })
  if (match === undefined) {
    return status === 404 ? routerResponse("RouteNotFound") : `${method} ${path}: no path of the document matches, yet the status is ${status}, not 404`
  }
  const operations = document.paths[match.template]
  // HEAD is GET without a body (RFC 9110), as the router serves it.
  const operationMethod = method === "HEAD" && operations.head === undefined ? "get" : method.toLowerCase()
  const operation = operations[operationMethod]
  if (operation === undefined) {
    if (status === 405) return routerResponse("MethodNotAllowed")
    // The router answers 404 for a path whose parameters it cannot read, whatever the method.
    if (status === 404) return routerResponse("RouteNotFound")
    return `${method} ${match.template}: no such operation, yet the status is ${status}, not 405`
  }
  const key = String(status) in operation.responses
    ? String(status)
    : `${String(status)[0]}XX` in operation.responses
    ? `${String(status)[0]}XX`
    : "default" in operation.responses
    ? "default"
    : undefined
  if (key === undefined) {
    if (status === 404) return routerResponse("RouteNotFound")
    if (status === 406) return routerResponse("NotAcceptable")
    if (status === 415 && operation.requestBody !== undefined) return routerResponse("UnsupportedMediaType")
    return `${method} ${match.template}: status ${status} is not documented (documented: ${Object.keys(operation.responses).join(", ")})`
  }
  const raw = operation.responses[key]
  return raw.$ref !== undefined
    ? { response: resolve(raw), at: raw.$ref.slice(2).split("/"), where: raw.$ref.slice(2).replaceAll("/", ".") }
    : { response: raw, at: ["paths", match.template, operationMethod, "responses", key], where: `${method} ${match.template} ${key}` }
}

/** A header's text as its schema types it: headers carry text, the document may say integer. */
const headerValue = (schema: any, text: string): unknown =>
  (schema?.type === "integer" || schema?.type === "number") && /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text

const describeErrors = (validate: ValidateFunction) =>
  (validate.errors ?? []).map((error) => `${error.instancePath || "/"} ${error.message}`).join("; ")

/** What is wrong with a response according to the document; empty when it conforms. */
export const mismatches = (exchange: Exchange): ReadonlyArray<string> => {
  const url = new URL(exchange.url)
  const path = url.pathname
  if (undocumentedRoutes.some((route) => route.test(path))) return []
  const method = exchange.method.toUpperCase()
  // A CORS preflight is the browser's protocol (SPEC §6), not an operation of the API.
  if (method === "OPTIONS" && exchange.headers.has("access-control-allow-origin")) return []
  const located = locate(method, path, exchange.status)
  if (typeof located === "string") return [located]
  const problems = check(exchange, method, located)
  // The router answers its own 404 for any path it does not serve, even one a template matches (`/v2/animals/<id>;x`).
  if (problems.length > 0 && exchange.status === 404 && located.where !== "components.responses.RouteNotFound") {
    const asRouteNotFound = check(exchange, method, {
      response: resolve({ $ref: "#/components/responses/RouteNotFound" }),
      at: ["components", "responses", "RouteNotFound"],
      where: "components.responses.RouteNotFound"
    })
    if (asRouteNotFound.length === 0) return []
  }
  return problems
}

/** What is wrong with a response, measured against one response object of the document. */
const check = (exchange: Exchange, method: string, located: Located): ReadonlyArray<string> => {
  const { at, response, where } = located
  const problems: Array<string> = []

  for (const [name, declared] of Object.entries<any>(response.headers ?? {})) {
    const header = resolve(declared)
    const value = exchange.headers.get(name)
    if (value === null) {
      if (header.required === true) problems.push(`${where}: header ${name} is required, not sent`)
      continue
    }
    if (header.schema === undefined) continue
    // A header declared by reference is validated where it is declared.
    const validate = declared.$ref !== undefined
      ? validatorAt(...declared.$ref.slice(2).split("/"), "schema")
      : validatorAt(...at, "headers", name, "schema")
    if (!validate(headerValue(header.schema, value))) {
      problems.push(`${where}: header ${name}: ${JSON.stringify(value)}: ${describeErrors(validate)}`)
    }
  }

  // HEAD, 204 and 304 carry no body.
  if (method === "HEAD" || exchange.status === 204 || exchange.status === 304 || exchange.text === "") {
    if (exchange.text !== "" && method !== "HEAD") problems.push(`${where}: a body where none is expected`)
    return problems
  }
  const contentType = (exchange.headers.get("content-type") ?? "").split(";", 1)[0]!.trim().toLowerCase()
  const content = response.content?.[contentType]
  if (content === undefined) {
    problems.push(`${where}: media type ${contentType || "(none)"} is not documented (documented: ${Object.keys(response.content ?? {}).join(", ") || "no body"})`)
    return problems
  }
  if (content.schema === undefined) return problems
  let body: unknown
  try {
    body = JSON.parse(exchange.text)
  } catch {
    problems.push(`${where}: the ${contentType} body is not JSON`)
    return problems
  }
  const validate = validatorAt(...at, "content", contentType, "schema")
  if (!validate(body)) problems.push(`${where}: body ${exchange.text.slice(0, 300)}: ${describeErrors(validate)}`)
  return problems
}

/**
 * Checks every response this test file receives through `test/support/Fetch.ts`
 * against the document; a test that received one the document does not
 * describe fails, listing each mismatch.
 */
let validating = false
export const validateResponses = () => {
  // Once per test file, whether the setup file, the test file or both ask for it.
  if (validating) return
  validating = true
  // Checked after each test, not as they arrive: a test's timing (a rate-limit window) stays its own.
  const received: Array<Exchange> = []
  observeResponses((exchange) => received.push(exchange))
  afterEach(() => {
    const found = received.splice(0).flatMap((exchange) =>
      mismatches(exchange).map((problem) => `${exchange.method} ${exchange.url} → ${exchange.status}: ${problem}`)
    )
    if (found.length > 0) throw new Error(`responses the OpenAPI document does not describe:\n  ${found.join("\n  ")}`)
  })
}
