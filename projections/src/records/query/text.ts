/**
 * The text rules of `~` and `@@`, written once for both engines. Case-insensitivity is ASCII only
 * because that is what SQLite's built-in lower() does (it has no Unicode tables without ICU): JS must
 * not fold more than SQL can.
 */

/** Lower-cases A-Z only, exactly as SQLite's lower(). */
export const asciiLower = (text: string): string => text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase())

/**
 * The characters that separate words for `@@`: ASCII whitespace and ASCII punctuation. Not NUL or
 * other control characters: SQLite's replace() cannot replace a NUL (it takes a pattern starting with
 * one for the empty pattern), and GLOB/LIKE stop reading at one, so only instr sees past it.
 */
export const WORD_SEPARATORS = "\t\n\u000b\f\r !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

const SEPARATOR_RUN = /[\t\n\u000b\f\r !-/:-@[-`{-~]+/

/** The words of a text, ASCII-lower-cased, in order (duplicates kept). */
export const words = (text: string): Array<string> => asciiLower(text).split(SEPARATOR_RUN).filter((word) => word.length > 0)

/**
 * SQL for the text `x` lower-cased, with every separator turned into a space and a space added at
 * both ends: `' <word> '` is then a substring exactly when <word> is one of its words (instr, which
 * compares bytes over the whole text). Built from char() codes so no separator needs quoting.
 */
export const sqlWordText = (x: string): string => {
  let sql = `lower(${x})`
  for (const separator of WORD_SEPARATORS) if (separator !== " ") sql = `replace(${sql}, char(${separator.charCodeAt(0)}), ' ')`
  return `(' ' || ${sql} || ' ')`
}

/** What `sqlWordText` holds when the text has `word` as one of its words. */
export const wordNeedle = (word: string): string => ` ${word} `
