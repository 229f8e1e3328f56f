import { main } from './main.ts';

/** Runs the CLI in-process and captures what it prints (tests only). */
export async function runCli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out, err };
}
