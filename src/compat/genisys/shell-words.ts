/**
 * Splits a command line into words as a POSIX shell does (quotes, backslashes), with no
 * expansion: `$HOME`, `*` and `~` stay as written. Returns an error text for an unterminated
 * quote or a trailing backslash.
 */
export function splitShellWords(line: string): string[] | string {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === " " || c === "\t" || c === "\n") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return `unterminated single quote at character ${i + 1}`;
      word += line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= line.length) return "unterminated double quote";
        const d = line[i];
        if (d === '"') break;
        // Inside double quotes a backslash escapes only these; elsewhere it is itself.
        if (d === "\\" && i + 1 < line.length && '$`"\\\n'.includes(line[i + 1])) {
          if (line[i + 1] !== "\n") word += line[i + 1];
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      i++;
    } else if (c === "\\") {
      if (i + 1 >= line.length) return "trailing backslash";
      // A backslash-newline joins lines; any other escaped character is taken as is.
      if (line[i + 1] !== "\n") word += line[i + 1];
      else if (word === "") inWord = false;
      i += 2;
    } else {
      word += c;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

const plainWord = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Joins words into a line that `splitShellWords` splits back into the same words. */
export function joinShellWords(words: readonly string[]): string {
  return words.map((w) => (plainWord.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(" ");
}
