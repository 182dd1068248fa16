/** A command line the console cannot run, with what is wrong in it. */
export class CommandLineError extends Error {
  override readonly name = "CommandLineError";
}

/**
 * A command line split into argv as a POSIX shell splits it (without expanding anything):
 * 'single quotes' keep everything, "double quotes" keep spaces and take \" \\ \$ \` escapes,
 * a backslash outside quotes keeps the next character, and quoted and bare parts next to each
 * other make one word (`a"b c"` is `ab c`). An unterminated quote is an error, not a guess.
 */
export function commandWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  const add = (text: string) => (word = (word ?? "") + text);
  while (i < line.length) {
    const c = line[i]!;
    if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new CommandLineError(`the single quote at character ${i + 1} is never closed`);
      add(line.slice(i + 1, end));
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      let text = "";
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === "\\" && j + 1 < line.length && '"\\$`'.includes(line[j + 1]!)) text += line[++j];
        else text += line[j];
      }
      if (j >= line.length) throw new CommandLineError(`the double quote at character ${i + 1} is never closed`);
      add(text);
      i = j + 1;
    } else if (c === "\\") {
      if (i + 1 >= line.length) throw new CommandLineError("the line ends with a lone backslash");
      add(line[i + 1]!);
      i += 2;
    } else {
      add(c);
      i++;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}
