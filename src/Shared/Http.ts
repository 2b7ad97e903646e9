/**
 * Small HTTP helpers the resources share.
 */

/** A strong ETag from the row version: it changes with every write. */
export const etagOf = (resource: { readonly version: number }): string => `"${resource.version}"`
