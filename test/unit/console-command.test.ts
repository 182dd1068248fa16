import { describe, expect, it } from "vitest";
import { commandWords } from "../../dashboard/console-command.js";

describe("the console's command line, split as a shell splits it", () => {
  it("keeps quoted spaces, joins quoted and bare parts, and takes backslashes", () => {
    expect(commandWords("sh -c 'echo hi'")).toEqual(["sh", "-c", "echo hi"]);
    expect(commandWords(`sh -c "echo \\"a  b\\" \\$HOME"`)).toEqual(["sh", "-c", 'echo "a  b" $HOME']);
    expect(commandWords(`a"b c"'d'`)).toEqual(["ab cd"]);
    expect(commandWords("echo a\\ b  ''")).toEqual(["echo", "a b", ""]);
    expect(commandWords("   ")).toEqual([]);
  });

  it("refuses an unterminated quote or a lone backslash instead of guessing", () => {
    expect(() => commandWords("sh -c 'echo hi")).toThrow(/single quote at character 7 is never closed/);
    expect(() => commandWords('echo "x')).toThrow(/double quote at character 6 is never closed/);
    expect(() => commandWords("echo \\")).toThrow(/lone backslash/);
  });
});
