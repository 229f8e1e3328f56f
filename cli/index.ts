/** The command line: `parseCli` and `main`. */
export { main } from './main.ts';
