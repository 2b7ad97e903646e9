/**
 * Wording helpers for descriptions, summaries and problem details.
 */

/** The noun with its indefinite article: `an animal`, `a habitat`. */
export const article = (noun: string) => (/^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`)

export const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1)
