/**
 * `npm run docs:tools`: rewrites the README's tool table (between the tools markers) from the tool
 * definitions, so the table cannot drift from the code. test/readme.test.ts checks that it did not.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { toolTable } from '../src/cli/tool-table.js';

export const START = '<!-- tools:start -->';
export const END = '<!-- tools:end -->';

export const README = fileURLToPath(new URL('../README.md', import.meta.url));

/** What stands between the markers; throws when the README lost them. */
export function toolSection(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start)
    throw new Error(`README.md must contain ${START} followed by ${END} where the tool table goes.`);
  return readme.slice(start + START.length, end);
}

/** The README with the section between the markers replaced by the table. */
export function withToolTable(readme: string, table: string): string {
  const current = toolSection(readme);
  const at = readme.indexOf(START) + START.length;
  return `${readme.slice(0, at)}\n\n${table.trimEnd()}\n\n${readme.slice(at + current.length)}`;
}

async function main(): Promise<void> {
  const before = await readFile(README, 'utf8');
  const after = withToolTable(before, toolTable('markdown'));
  if (after === before) {
    process.stdout.write('README.md tool table is up to date\n');
    return;
  }
  await writeFile(README, after);
  process.stdout.write('README.md tool table rewritten\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
