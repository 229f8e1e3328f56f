/**
 * One declarative flag table per command. Each entry is a yargs option plus the library field it
 * sets; from the table come the yargs options, the args → config mapping, and the translation of a
 * library error naming a config field into one naming the flag. Only cli/ names flags: libraries
 * name their own fields (`encoder.width`, `decorrelated`) and this file maps them back.
 */
import type { Argv } from 'yargs';
import type { z } from 'zod';
import { DatadietError, isDatadietError, type ErrorField } from '../core/index.ts';

export interface Flag {
  type: 'string' | 'number' | 'boolean';
  describe: string;
  default?: string | number | boolean;
  demandOption?: boolean;
  /** A positional `<name>` instead of `--name`. */
  positional?: boolean;
  /**
   * The library field(s) the flag sets: `target.path`, where `target` names one of the command's
   * targets (`config.encoder.width`, `spec.camera.baseline_m`). None: the CLI itself consumes it.
   */
  field?: string | readonly string[];
  /** Shapes the flag's text into the field's value ('3,16' → [3, 16]). */
  parse?: (text: string) => unknown;
  /** The fix printed when the library refuses the field's value (default: the library's, else see --help). */
  hint?: string;
}

/** Flags by name (kebab-case, as typed); the order is --help's order. */
export type FlagTable = Readonly<Record<string, Flag>>;

/**
 * What a table's fields point into: a zod schema (checked field by field in flags.test.ts), or the
 * keys of an options interface (checked by the compiler with `satisfies (keyof X)[]`).
 */
export type Target = z.ZodType | readonly string[];

type Camel<S extends string> = S extends `${infer H}-${infer T}`
  ? `${H}${Capitalize<Camel<T>>}`
  : S;
type ValueOf<F extends Flag> = F['type'] extends 'number'
  ? number
  : F['type'] extends 'boolean'
    ? boolean
    : string;
type Given<F extends Flag> = F extends { demandOption: true }
  ? true
  : F extends { default: string | number | boolean }
    ? true
    : false;
/** The parsed arguments a table produces, under yargs's camelCase names. */
export type ArgsOf<T extends FlagTable> = {
  [K in keyof T & string as Camel<K>]: Given<T[K]> extends true
    ? ValueOf<T[K]>
    : ValueOf<T[K]> | undefined;
};

export const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** A command: registered once in main.ts from this record. */
export interface Command {
  /** yargs command string, e.g. 'verify <location>'. */
  command: string;
  describe: string;
  flags: FlagTable;
  /** What `field`s point into, by their first segment. */
  targets: Readonly<Record<string, Target>>;
  examples?: readonly (readonly [string, string])[];
  run(args: Readonly<Record<string, unknown>>, log: (line: string) => void): Promise<void> | void;
}

/**
 * Types a command from its table: `run` gets the table's typed args, and any library error naming
 * a field of the table comes out naming its flag.
 */
export function defineCommand<T extends FlagTable>(c: {
  command: string;
  describe: string;
  flags: T;
  targets: Readonly<Record<string, Target>>;
  examples?: readonly (readonly [string, string])[];
  /** The fix for a refused field (default: see the command's --help). */
  hint?: (flag: string) => string;
  run(args: ArgsOf<T>, log: (line: string) => void): Promise<void> | void;
}): Command {
  const name = c.command.split(' ')[0]!;
  return {
    ...c,
    async run(raw, log) {
      try {
        await c.run(readArgs(c.flags, raw), log);
      } catch (e) {
        throw flagError(
          c.flags,
          e,
          c.hint ?? ((f) => `pass a valid ${f} (see \`datadiet ${name} --help\`)`),
        );
      }
    },
  };
}

/** The table as yargs options (and positionals), in the table's order. */
export function withFlags(y: Argv, c: Pick<Command, 'flags' | 'examples'>): Argv {
  let out = y;
  for (const [name, f] of Object.entries(c.flags)) {
    const o = {
      type: f.type,
      describe: f.describe,
      ...(f.default !== undefined ? { default: f.default } : {}),
      ...(f.demandOption ? { demandOption: true } : {}),
    };
    out = f.positional ? out.positional(name, o) : out.option(name, o);
  }
  for (const [cmd, what] of c.examples ?? []) out = out.example(cmd, what);
  return out;
}

/** yargs's parsed record → the table's typed args (yargs checked each type against this table). */
export function readArgs<T extends FlagTable>(table: T, raw: Readonly<Record<string, unknown>>) {
  const args: Record<string, unknown> = {};
  for (const name of Object.keys(table)) args[camel(name)] = raw[camel(name)];
  return args as ArgsOf<T>;
}

const fieldsOf = (f: Flag): readonly string[] =>
  f.field === undefined ? [] : typeof f.field === 'string' ? [f.field] : f.field;

/**
 * The given flags' values placed at their fields under `target` (nested objects for dotted paths),
 * each shaped by the flag's `parse`; flags not given are left out, so the library's defaults apply.
 */
export function fieldsFromArgs(
  table: FlagTable,
  args: Readonly<Record<string, unknown>>,
  target: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(table)) {
    const v = args[camel(name)];
    if (v === undefined) continue;
    const value = f.parse && typeof v === 'string' ? f.parse(v) : v;
    for (const field of fieldsOf(f)) {
      const [root, ...path] = field.split('.');
      if (root !== target || path.length === 0) continue;
      let node = out;
      for (const k of path.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
      node[path[path.length - 1]!] = value;
    }
  }
  return out;
}

/** The flag (`--name`, or `<name>` for a positional) that sets `path` of the `config` target. */
export function flagFor(table: FlagTable, field: ErrorField): string | undefined {
  const want = `${field.config}.${field.path}`;
  for (const [name, f] of Object.entries(table)) {
    if (fieldsOf(f).includes(want)) return f.positional ? `<${name}>` : `--${name}`;
  }
  return undefined;
}

/**
 * A library error that names one of the table's fields, renamed for a person at the command line:
 * the message starts with the flag instead of the field, a config error becomes CLI_USAGE (the
 * code users have always seen for a bad flag), and the hint says which flag to fix. A spec field
 * can also be fixed in the spec file, so a SPEC_INVALID message stays as it is and the hint says both.
 */
export function flagError(table: FlagTable, e: unknown, hint: (flag: string) => string): unknown {
  if (!isDatadietError(e) || e.field === undefined) return e;
  const flag = flagFor(table, e.field);
  if (flag === undefined) return e;
  const { path } = e.field;
  const entry = table[flag.replace(/^--|^<|>$/g, '')];
  if (e.code === 'SPEC_INVALID') {
    return new DatadietError('SPEC_INVALID', e.message, {
      hint: entry?.hint ?? `pass a valid ${flag} or fix \`${path}\` in the spec`,
      cause: e,
    });
  }
  const message = e.message.startsWith(path) ? `${flag}${e.message.slice(path.length)}` : e.message;
  // A library hint is specific (a generic one is left out), so it wins over the command's default.
  return new DatadietError(e.code === 'CONFIG_INVALID' ? 'CLI_USAGE' : e.code, message, {
    hint: entry?.hint ?? e.hint ?? hint(flag),
    cause: e,
  });
}
