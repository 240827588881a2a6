/** How a command prints: a table or sentence for people, or `--json` for scripts. Data goes to stdout. */
export function print(flags: { json?: boolean }, data: unknown, text: () => string): void {
  process.stdout.write(flags.json ? `${JSON.stringify(data, null, 2)}\n` : `${text()}\n`);
}

/** Progress and notes go to stderr, so stdout stays parseable. */
export function note(message: string): void {
  process.stderr.write(`${message}\n`);
}
