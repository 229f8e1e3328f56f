import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { z } from 'zod';
import { DatadietError } from '../core/index.ts';
import { findPreset, PRESETS } from './presets.ts';
import { SpecSchema, type Spec, type SpecInput } from './spec.ts';

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep merge of plain objects; arrays and scalars from `over` replace those in `base`. */
export function mergeSpecs(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] = isPlain(b) && isPlain(v) ? mergeSpecs(b, v) : v;
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): { field: string; message: string } {
  const field = issue.path.join('.') || '(spec)';
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length ? `${field}.` : '';
    return {
      field: `${where}${issue.keys.join(', ')}`,
      message: `unknown field${issue.keys.length > 1 ? 's' : ''}`,
    };
  }
  if (issue.code === 'invalid_value' && 'values' in issue) {
    return { field, message: `must be one of ${issue.values.map(String).join(', ')}` };
  }
  return { field, message: issue.message };
}

/** Validates a spec; the first problem becomes one DatadietError that names the field and the fix. */
export function parseSpec(input: unknown, source = 'spec'): Spec {
  const result = SpecSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const { field, message } = describeIssue(issue);
  const unknown = issue.code === 'unrecognized_keys';
  const hint = unknown
    ? `remove or rename it; \`datadiet presets --show default\` prints every field`
    : `fix \`${field}\` in ${source}`;
  const more = result.error.issues.length > 1 ? ` (+${result.error.issues.length - 1} more)` : '';
  // The field rides along so the CLI can name the flag that set it (cli/flags.ts).
  return fail(`${source}: ${field}: ${message}${more}`, hint, unknown ? undefined : field);
}

function fail(message: string, hint: string, field?: string): never {
  throw new DatadietError('SPEC_INVALID', message, {
    hint,
    ...(field === undefined ? {} : { field: { config: 'spec', path: field } }),
  });
}

export interface SpecSources {
  preset?: string | undefined;
  specFile?: string | undefined;
  /** Values from CLI flags, already shaped like the spec (undefined = not given). */
  overrides?: SpecInput;
}

/** preset (or `default`) ← spec file ← CLI flags, then validation. */
export async function resolveSpec(sources: SpecSources): Promise<Spec> {
  let base: Plain = {};
  if (sources.preset !== undefined) {
    const preset = findPreset(sources.preset);
    if (!preset) {
      throw new DatadietError('PRESET_UNKNOWN', `no preset named "${sources.preset}"`, {
        hint: `use one of ${PRESETS.map((p) => p.name).join(', ')} (\`datadiet presets\`)`,
      });
    }
    base = { name: preset.name, ...preset.spec };
  } else {
    base = { name: 'default', ...findPreset('default')!.spec };
  }
  if (sources.specFile !== undefined) {
    let text: string;
    try {
      text = await readFile(sources.specFile, 'utf8');
    } catch (e) {
      throw new DatadietError('SPEC_FILE_UNREADABLE', `cannot read ${sources.specFile}`, {
        hint: 'check the path given to --spec',
        cause: e,
      });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new DatadietError(
        'SPEC_INVALID',
        `${sources.specFile} is not valid JSON: ${(e as Error).message}`,
        { hint: 'fix the JSON syntax' },
      );
    }
    if (!isPlain(parsed)) fail(`${sources.specFile}: must hold a JSON object`, 'wrap fields in {}');
    base = mergeSpecs(
      { ...base, name: basename(sources.specFile).replace(/\.json$/i, '') },
      parsed,
    );
  }
  const merged = mergeSpecs(base, (sources.overrides ?? {}) as Plain);
  return parseSpec(merged, sources.specFile ?? 'spec');
}
