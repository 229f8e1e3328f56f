/** The command line: `main(argv)` runs one command and returns its exit code (bin/datadiet.js). */
export { main } from './main.ts';
