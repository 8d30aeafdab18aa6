// Command-line flags of the benchmarks: `--name value` or `--name=value`, checked as they are read.

/** Calls `on` for each argument with its flag and a reader of its value (the inline one, else the next argument). */
export function eachFlag(argv: string[], on: (flag: string, value: () => string, arg: string) => void): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.split("=", 2) as [string, string | undefined];
    on(flag, () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    }, arg);
  }
}

/** A whole number ≥ min, or an error naming the flag. */
export function wholeNumber(flag: string, raw: string | undefined, min: number): number {
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw new Error(`${flag} needs a whole number ≥ ${min}, got "${raw}"`);
  return v;
}
