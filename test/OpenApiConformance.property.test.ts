/**
 * Requests generated from the OpenAPI document (issue 14): for each write
 * body and each list's query string, values are drawn from the document's
 * own schemas and classified by it (Ajv, JSON Schema 2020-12 with formats)
 * — valid ones must not be refused (no 400, no 5xx: a 404/409/422 about the
 * data is fine), invalid ones must be (400). Every response is also checked
 * against the document (`validateResponses`). On memory and PGlite.
 *
 * What a JSON Schema cannot state is kept out of the valid values and said
 * here: a date of birth or hiring date "not in the future" (the description
 * says it); the generated dates stay in the past.
 */
import { assert, layer } from "@effect/vitest"
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js"
import addFormats from "ajv-formats"
import { Effect, Layer } from "effect"
import * as fc from "fast-check"
import { MemoryRepositories, type Repositories, SqlRepositories } from "../src/Repositories.ts"
import { pgliteLayer } from "./support/Databases.ts"
import { document, validateResponses } from "./support/OpenApiValidator.ts"
import { withTestKey } from "./support/Credentials.ts"
import { fetchText } from "./support/Fetch.ts"
import { baseUrl, request, TestServer } from "./support/TestServer.ts"

validateResponses()

const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false })
addFormats.default(ajv)
ajv.addSchema(document, "doc")
const validatorFor = (ref: string): ValidateFunction => ajv.compile({ $ref: `doc${ref}` })

const resolve = (schema: any): any => (schema?.$ref ? resolve(document.components.schemas[schema.$ref.split("/").at(-1)]) : schema)

/** Text of any kind: ASCII, any code point, and the characters the document's patterns are about. */
const character = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }) },
  { weight: 3, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(" ", "\t", "\n", "\u0000", "\u0085", "\u00a0", "\ufeff", "\u202e", "\u2067", "\ud800", "\udc00", "🦁", "é")
  }
)
const anyText = (minLength = 0, maxLength = 40) => fc.string({ unit: character, minLength, maxLength })

const today = new Date().toISOString().slice(0, 10)
/** A date the document takes, in the past (what "not in the future" in its description asks). */
const pastDate = fc.date({ min: new Date("0001-01-01T00:00:00.000Z"), max: new Date(`${today}T00:00:00.000Z`), noInvalidDate: true })
  .map((date) => date.toISOString().slice(0, 10))

/**
 * Values for a schema of the document: what it describes (`clean`), or now
 * and then something else; the document classifies each, not this.
 */
const valueOf = (raw: any, clean: boolean): fc.Arbitrary<unknown> => {
  const schema = resolve(raw)
  const mostly = (described: fc.Arbitrary<unknown>, other: fc.Arbitrary<unknown>) =>
    clean ? described : fc.oneof({ weight: 4, arbitrary: described }, { weight: 1, arbitrary: other })
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((member: any) => valueOf(member, clean)))
  if (schema.enum) return mostly(fc.constantFrom(...schema.enum), anyText(0, 8))
  switch (schema.type) {
    case "null":
      return fc.constant(null)
    case "integer":
      return mostly(
        fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000 }),
        fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom("12", null, true))
      )
    case "array":
      return fc.array(valueOf(schema.items, clean), { maxLength: (schema.maxItems ?? 3) + (clean ? 0 : 1) })
    case "string":
      switch (schema.format) {
        case "uuid":
          return mostly(fc.uuid({ version: 4 }), fc.constantFrom("not-a-uuid", "0B9D2C4E-7F1A-4E0B-9C1D-2A3B4C5D6E7F"))
        case "date":
          return mostly(pastDate, fc.constantFrom("0000-01-01", "2021-02-30", "20210101", "2021-1-1"))
        case "email":
          return mostly(
            fc.emailAddress(),
            fc.constantFrom(".k@zoo.example", "a..b@zoo.example", "ab.@zoo.example", "a@b", "a b@zoo.example", "ké@zoo.example")
          )
        default: {
          const [min, max] = [schema.minLength ?? 0, Math.min(schema.maxLength ?? 40, 60)]
          return mostly(
            fc.string({ unit: "grapheme-ascii", minLength: min, maxLength: max }),
            anyText(Math.max(0, min - 1), max + 1)
          )
        }
      }
    default:
      return fc.jsonValue()
  }
}

/**
 * A body for an object schema: half the time every required property and
 * some optional ones, each as the document describes it; else any of its
 * properties with any values, now and then one it does not declare.
 */
const bodyOf = (ref: string) => {
  const schema = resolve({ $ref: ref })
  const required: ReadonlyArray<string> = schema.required ?? []
  const record = (clean: boolean) =>
    fc.record(
      Object.fromEntries(Object.entries<any>(schema.properties).map(([name, property]) => [name, valueOf(property, clean)])),
      { requiredKeys: clean ? [...required] : [] }
    )
  return fc.oneof(
    record(true),
    fc.tuple(record(false), fc.option(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue()), { freq: 4 })).map((
      [body, extra]
    ) => (extra === null ? body : { ...body, [extra[0]]: extra[1] }))
  )
}

/** Text as a URL carries it: a lone surrogate becomes U+FFFD, as URL encoding makes it. */
const wellFormed = (text: string) => text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd")

/** The statuses a request the document accepts may end in: about the data, never about its form. */
const acceptedStatuses = new Set([200, 201, 204, 404, 409, 422])

const numRuns = 100

const propertySuite = (name: string, repositories: Layer.Layer<Repositories, unknown>) =>
  layer(TestServer(repositories), { excludeTestServices: true, timeout: "300 seconds" })(`Requests generated from the document: ${name}`, (it) => {
    /** A resource of each collection to write to and list under. */
    const existing = Effect.gen(function*() {
      const create = (path: string, body: unknown) =>
        Effect.map(request(path, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } }), (response) => {
          assert.strictEqual(response.status, 201, response.text)
          return response.json().id as string
        })
      const suffix = globalThis.crypto.randomUUID().slice(0, 8)
      return {
        animals: yield* create("/v2/animals", { name: "Target Animal", date_of_birth: "2015-01-01", species: "panda" }),
        habitats: yield* create("/v2/habitats", { name: `Target ${suffix}`, climate: "polar", capacity: 1000 }),
        zookeepers: yield* create("/v2/zookeepers", { name: "Target Keeper", email: `t.${suffix}@zoo.example`, hired_on: "2019-01-01" })
      }
    })

    for (const collection of ["animals", "habitats", "zookeepers"] as const) {
      const singular = { animals: "Animal", habitats: "Habitat", zookeepers: "Zookeeper" }[collection]
      for (const [method, schemaName] of [["POST", `${singular}Create`], ["PUT", `${singular}Create`], ["PATCH", `${singular}Patch`]] as const) {
        it.effect(`${method} /v2/${collection}: bodies the document takes are not refused, bodies it refuses are a 400`, () =>
          Effect.gen(function*() {
            const ids = yield* existing
            const url = yield* baseUrl
            const path = method === "POST" ? `/v2/${collection}` : `/v2/${collection}/${ids[collection]}`
            const validate = validatorFor(`#/components/schemas/${schemaName}`)
            const seen = { valid: 0, invalid: 0 }
            yield* Effect.promise(() =>
              fc.assert(
                fc.asyncProperty(bodyOf(`#/components/schemas/${schemaName}`), async (generated) => {
                  // The description's rule a schema cannot state: a replacement's body id, if any, is the path's.
                  const body = method === "PUT" && "id" in generated ? { ...generated, id: ids[collection] } : generated
                  const text = JSON.stringify(body)
                  // What the server receives: JSON text, whose lone surrogates are escapes it decodes as they were.
                  const valid = validate(JSON.parse(text))
                  const response = await fetchText(url + path, withTestKey({ method, body: text, headers: { "content-type": "application/json" } }))
                  seen[valid ? "valid" : "invalid"]++
                  if (valid) assert.isTrue(acceptedStatuses.has(response.status), `${method} ${path} ${text} → ${response.status} ${response.text}`)
                  else assert.strictEqual(response.status, 400, `${method} ${path} ${text} (invalid: ${ajv.errorsText(validate.errors)}) → ${response.text}`)
                }),
                { numRuns }
              )
            )
            // Both kinds were tried: the property cannot pass by drawing only one.
            assert.isAbove(seen.valid, 5, JSON.stringify(seen))
            assert.isAbove(seen.invalid, 5, JSON.stringify(seen))
          }))
      }
    }

    for (const [template, owner] of [["/v2/animals", undefined], ["/v2/habitats", undefined], ["/v2/zookeepers", undefined], ["/v2/habitats/{id}/animals", "habitats"], ["/v2/zookeepers/{id}/animals", "zookeepers"]] as const) {
      it.effect(`GET ${template}: query strings the document takes are answered, others are a 400`, () =>
        Effect.gen(function*() {
          const ids = yield* existing
          const url = yield* baseUrl
          const path = owner === undefined ? template : template.replace("{id}", ids[owner])
          const parameters = document.paths[template].get.parameters.filter((p: any) => p.in === "query" && p.name !== "cursor")
          const querySchema = {
            type: "object",
            properties: Object.fromEntries(parameters.map((p: any) => [p.name, p.schema])),
            additionalProperties: false
          }
          // Query values arrive as text: the document's integers are read from it.
          const validate = new Ajv2020({ strict: false, coerceTypes: true, allErrors: true })
          addFormats.default(validate)
          const check = validate.compile(querySchema)
          const seen = { valid: 0, invalid: 0 }
          yield* Effect.promise(() =>
            fc.assert(
              fc.asyncProperty(
                fc.boolean().chain((clean) =>
                  // A clean query names any of the parameters; an unclean one names them all, so that one of its
                  // values is likely off (with optional keys, too few unclean draws were invalid: 4 in 100 once).
                  fc.record(Object.fromEntries(parameters.map((p: any) => [p.name, valueOf(p.schema, clean)])), clean ? { requiredKeys: [] } : {})
                ),
                async (query) => {
                  const params = new URLSearchParams()
                  const sent: Record<string, unknown> = {}
                  for (const [name, value] of Object.entries(query)) {
                    if (value === null || typeof value === "object" && !Array.isArray(value)) continue
                    // What a URL can carry: text, with lone surrogates made U+FFFD as URL encoding does.
                    const texts = (Array.isArray(value) ? value : [value]).map((item) => wellFormed(String(item)))
                    for (const text of texts) params.append(name, text)
                    sent[name] = Array.isArray(value) ? texts : texts[0]
                  }
                  const valid = check(structuredClone(sent))
                  const response = await fetchText(`${url}${path}?${params}`)
                  seen[valid ? "valid" : "invalid"]++
                  if (valid) assert.strictEqual(response.status, 200, `${path}?${params} → ${response.text}`)
                  else assert.strictEqual(response.status, 400, `${path}?${params} (invalid: ${validate.errorsText(check.errors)}) → ${response.text}`)
                }
              ),
              { numRuns }
            )
          )
          assert.isAbove(seen.valid, 5, JSON.stringify(seen))
          assert.isAbove(seen.invalid, 5, JSON.stringify(seen))
        }))
    }
  })

propertySuite("memory", MemoryRepositories)
propertySuite("PGlite", SqlRepositories.pipe(Layer.provide(pgliteLayer())))
