/**
 * JSON Merge Patch (RFC 7396) over a flat resource: a key that is absent keeps
 * its value, `null` removes it, anything else replaces it. The patch schemas
 * already rejected `null` on required fields, so the result is a valid body.
 */
export const applyMergePatch = <A extends object>(target: A, patch: Readonly<Record<string, unknown>>): A => {
  const result: Record<string, unknown> = { ...(target as Record<string, unknown>) }
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key]
    else if (value !== undefined) result[key] = value
  }
  return result as A
}
