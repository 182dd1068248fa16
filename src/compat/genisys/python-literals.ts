/** A Python literal as JSON-like data: str, int, float, True/False/None, list, dict. */
export type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

/** A statement the reader accepts: `NAME = <literal>` at the top level. */
export interface PyAssignment {
  name: string;
  line: number;
  value: PyValue;
}

export class PyLiteralError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

type Token = {
  kind: "name" | "string" | "number" | "op" | "newline" | "end";
  text: string;
  value?: PyValue;
  line: number;
};

const escapes: Record<string, string> = {
  n: "\n",
  t: "\t",
  r: "\r",
  "\\": "\\",
  "'": "'",
  '"': '"',
  "0": "\0",
  a: "\x07",
  b: "\b",
  f: "\f",
  v: "\v",
  "\n": "",
};

function readString(src: string, start: number, line: number): { value: string; end: number; lines: number } {
  let i = start;
  let raw = false;
  while (/[rRuU]/.test(src[i])) raw ||= /[rR]/.test(src[i++]);
  if (/[bBfF]/.test(src[i]))
    throw new PyLiteralError(line, "byte strings and f-strings are not literals dockhand reads");
  const quote = src.startsWith(src[i].repeat(3), i) ? src[i].repeat(3) : src[i];
  i += quote.length;
  let value = "";
  let lines = 0;
  for (;;) {
    if (i >= src.length || (quote.length === 1 && src[i] === "\n"))
      throw new PyLiteralError(line, "unterminated string");
    if (src.startsWith(quote, i)) return { value, end: i + quote.length, lines };
    const c = src[i];
    if (c === "\n") lines++;
    if (c === "\\" && !raw) {
      const e = src[i + 1];
      if (e === "x" || e === "u") {
        const width = e === "x" ? 2 : 4;
        const hex = src.slice(i + 2, i + 2 + width);
        if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) throw new PyLiteralError(line, `bad \\${e} escape`);
        value += String.fromCharCode(parseInt(hex, 16));
        i += 2 + width;
        continue;
      }
      if (e === "\n") lines++;
      value += escapes[e] ?? `\\${e}`;
      i += 2;
      continue;
    }
    value += c;
    i++;
  }
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let depth = 0;
  let i = 0;
  const push = (kind: Token["kind"], text: string, value?: PyValue) => tokens.push({ kind, text, value, line });
  while (i < src.length) {
    const c = src[i];
    if (c === "#") {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (c === "\n") {
      if (depth === 0 && tokens.length > 0 && tokens[tokens.length - 1].kind !== "newline") push("newline", "\n");
      line++;
      i++;
    } else if (c === "\\" && src[i + 1] === "\n") {
      line++;
      i += 2;
    } else if (c === " " || c === "\t" || c === "\r" || c === "\f") {
      i++;
    } else if (/^[rRuUbBfF]{0,2}['"]/.test(src.slice(i, i + 3))) {
      const { value, end, lines } = readString(src, i, line);
      push("string", src.slice(i, end), value);
      line += lines;
      i = end;
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(src[i + 1] ?? ""))) {
      const match = /^(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(\d[\d_]*)?\.?\d[\d_]*([eE][+-]?\d+)?)/.exec(
        src.slice(i),
      )!;
      const text = match[0].replace(/_/g, "");
      const value = /^0[xXoObB]/.test(text) ? Number(text.toLowerCase()) : Number(text);
      if (!Number.isFinite(value)) throw new PyLiteralError(line, `"${match[0]}" is not a number`);
      push("number", match[0], value);
      i += match[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))![0];
      push("name", name);
      i += name.length;
    } else if ("{}[]():,=-+".includes(c)) {
      if ("{[(".includes(c)) depth++;
      if ("}])".includes(c)) depth = Math.max(0, depth - 1);
      push("op", c);
      i++;
    } else {
      throw new PyLiteralError(
        line,
        `"${c}" is not part of a literal dockhand reads (only strings, numbers, lists, dicts, True, False and None)`,
      );
    }
  }
  push("end", "");
  return tokens;
}

/**
 * Reads a Python file without executing it: only top-level `NAME = <literal>` statements, whose
 * literals are strings, numbers, lists, dicts, True, False and None. Anything else (a call, an
 * import, an expression, a tuple) throws PyLiteralError with its line number.
 */
export function readPythonAssignments(src: string): PyAssignment[] {
  const tokens = tokenize(src);
  let at = 0;
  const peek = () => tokens[at];
  const next = () => tokens[at++];
  const expect = (text: string) => {
    const token = next();
    if (token.text !== text) throw new PyLiteralError(token.line, `expected "${text}", found ${describe(token)}`);
  };
  const describe = (t: Token) =>
    t.kind === "end"
      ? "the end of the file"
      : t.kind === "newline"
        ? "the end of the line"
        : `"${t.text.slice(0, 30)}"`;

  function value(): PyValue {
    const token = next();
    if (token.kind === "string") {
      let text = token.value as string;
      // Adjacent strings are one, as Python joins them.
      while (peek().kind === "string") text += next().value as string;
      return text;
    }
    if (token.kind === "number") return token.value as number;
    if (token.text === "-" || token.text === "+") {
      const number = next();
      if (number.kind !== "number") throw new PyLiteralError(number.line, `expected a number after "${token.text}"`);
      return token.text === "-" ? -(number.value as number) : (number.value as number);
    }
    if (token.kind === "name") {
      if (token.text === "True") return true;
      if (token.text === "False") return false;
      if (token.text === "None") return null;
      throw new PyLiteralError(
        token.line,
        `"${token.text}" is not a literal (only strings, numbers, lists, dicts, True, False and None are read)`,
      );
    }
    if (token.text === "[") {
      const items: PyValue[] = [];
      while (peek().text !== "]") {
        items.push(value());
        if (peek().text !== "]") expect(",");
      }
      next();
      return items;
    }
    if (token.text === "{") {
      const dict: Record<string, PyValue> = {};
      while (peek().text !== "}") {
        const keyToken = peek();
        const key = value();
        if (typeof key !== "string") throw new PyLiteralError(keyToken.line, "dict keys must be strings");
        expect(":");
        dict[key] = value();
        if (peek().text !== "}") expect(",");
      }
      next();
      return dict;
    }
    throw new PyLiteralError(token.line, `${describe(token)} is not a literal dockhand reads`);
  }

  const assignments: PyAssignment[] = [];
  while (peek().kind !== "end") {
    if (peek().kind === "newline") {
      next();
      continue;
    }
    const name = next();
    const equals = peek();
    if (name.kind !== "name" || equals.text !== "=") {
      throw new PyLiteralError(
        name.line,
        `only NAME = {...} statements are read, found ${describe(name.kind === "name" ? equals : name)}`,
      );
    }
    next();
    const v = value();
    const end = next();
    if (end.kind !== "newline" && end.kind !== "end")
      throw new PyLiteralError(end.line, `expected the end of the statement, found ${describe(end)}`);
    assignments.push({ name: name.text, line: name.line, value: v });
    if (end.kind === "end") break;
  }
  return assignments;
}
