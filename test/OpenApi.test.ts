/**
 * The generated OpenAPI document, read the way a client generator or the
 * Scalar page reads it. Nothing in it is written by hand per endpoint: these
 * checks prove the errors reach it from the contract alone.
 */
import { assert, describe, it } from "@effect/vitest"
import { OpenApi } from "effect/http-api"
import { Api } from "../src/Api.ts"

const spec = OpenApi.fromApi(Api) as any
const operation = (path: string, method: string) => spec.paths[path][method]
const resolve = (ref: string) => spec.components.schemas[ref.replace("#/components/schemas/", "")]

const problemResponse = (path: string, method: string, status: string) => {
  const response = operation(path, method).responses[status]
  assert.isDefined(response, `${method.toUpperCase()} ${path} documents ${status}`)
  const media = response.content["application/problem+json"]
  assert.isDefined(media, `${method.toUpperCase()} ${path} ${status} is application/problem+json`)
  assert.isDefined(media.example, `${method.toUpperCase()} ${path} ${status} has an example`)
  return { schema: resolve(media.schema.$ref), example: media.example }
}

const collection = "/v1/animals"
const item = "/v1/animals/{id}"

describe("OpenAPI document", () => {
  it("is OpenAPI 3.1 with title, version, server and tags", () => {
    assert.strictEqual(spec.openapi, "3.1.0")
    assert.strictEqual(spec.info.title, "Zoo API")
    assert.strictEqual(spec.info.version, "1.0.0")
    // Relative: the origin serving the document, in any deployment; public (OWASP API9).
    assert.deepInclude(spec.servers[0], { url: "/", "x-internal": false })
    assert.deepInclude(spec.tags, { name: "Animals", description: "The animals living in the zoo" })
  })

  it("documents 404 on GET, PUT, PATCH and DELETE by id", () => {
    for (const method of ["get", "put", "patch", "delete"]) {
      const { schema, example } = problemResponse(item, method, "404")
      assert.deepStrictEqual(schema.properties.type.enum, ["/problems/animal-not-found"])
      assert.strictEqual(example.status, 404)
    }
  })

  it("documents 409 where a write can conflict: a taken id, a full habitat, an Idempotency-Key in flight; never on GET or DELETE", () => {
    const examplesOf = (path: string, method: string) =>
      Object.keys(operation(path, method).responses["409"].content["application/problem+json"].examples)
    assert.sameMembers(examplesOf(collection, "post"), ["AnimalAlreadyExists", "HabitatFull", "IdempotencyKeyInFlight"])
    assert.sameMembers(examplesOf(item, "patch"), ["HabitatFull", "IdempotencyKeyInFlight"])
    const { example } = problemResponse(item, "put", "409")
    assert.strictEqual(example.type, "/problems/habitat-full")
    for (const method of ["get", "delete"]) assert.isUndefined(operation(item, method).responses["409"])
  })

  it("documents a 400 problem listing every error on every endpoint with input", () => {
    for (const [path, method] of [[collection, "post"], [item, "get"], [item, "put"], [item, "patch"], [item, "delete"]] as const) {
      const { schema, example } = problemResponse(path, method, "400")
      assert.strictEqual(schema.properties.errors.type, "array")
      assert.isAbove(example.errors.length, 1)
    }
  })

  it("documents 500 everywhere, and 404/405 for the router", () => {
    for (const [path, methods] of Object.entries<Record<string, unknown>>(spec.paths)) {
      for (const method of Object.keys(methods)) problemResponse(path, method, "500")
    }
    assert.strictEqual(spec.components.responses.MethodNotAllowed.content["application/problem+json"].example.status, 405)
    assert.isDefined(spec.components.responses.MethodNotAllowed.headers.Allow)
    assert.isDefined(spec.components.schemas.MethodNotAllowedEncoded)
    assert.strictEqual(spec.components.responses.RouteNotFound.content["application/problem+json"].example.status, 404)
    assert.strictEqual(spec.components.responses.NotAcceptable.content["application/problem+json"].example.status, 406)
    assert.strictEqual(spec.components.responses.UnsupportedMediaType.content["application/problem+json"].example.status, 415)
  })

  it("documents 201 with Location and ETag on POST", () => {
    const created = operation(collection, "post").responses["201"]
    assert.containsAllKeys(created.headers, ["location", "etag"])
  })

  it("says what decoding enforces: closed bodies, name limits in code points, dates, species", () => {
    const create = resolve(operation(collection, "post").requestBody.content["application/json"].schema.$ref)
    assert.isFalse(create.additionalProperties)
    assert.sameMembers(create.required, ["name", "date_of_birth", "species"])
    const name = JSON.stringify(create.properties.name)
    assert.include(name, "\"minLength\":5")
    assert.include(name, "\"maxLength\":100")
    assert.strictEqual(create.properties.date_of_birth.format, "date")
    assert.deepStrictEqual(create.properties.species.enum, ["lion", "tiger", "elephant", "monkey", "zebra", "panda"])
    assert.strictEqual(create.properties.id.format, "uuid")
  })

  it("accepts merge-patch+json and json on PATCH, with null allowed only for the nickname", () => {
    const content = operation(item, "patch").requestBody.content
    assert.containsAllKeys(content, ["application/merge-patch+json", "application/json"])
    const patch = resolve(content["application/merge-patch+json"].schema.$ref)
    assert.deepStrictEqual(patch.required ?? [], [])
    assert.include(JSON.stringify(patch.properties.nickname), "\"type\":\"null\"")
    assert.notInclude(JSON.stringify(patch.properties.name), "\"type\":\"null\"")
  })
})
