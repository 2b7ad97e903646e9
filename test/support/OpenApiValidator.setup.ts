/**
 * Every response any test receives through `test/support/Fetch.ts` is checked
 * against the OpenAPI document (issue 14): a test that got one the document
 * does not describe fails, naming it. Listed in `vitest.config.ts` `setupFiles`.
 */
import { validateResponses } from "./OpenApiValidator.ts"

validateResponses()
