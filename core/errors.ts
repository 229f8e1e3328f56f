/**
 * The error catalogue. Every user-facing failure has a stable code, a message that names the
 * field or thing at fault, and a hint that says how to fix it. The CLI prints one line per error
 * and maps `exitCode` to the process exit status; it never prints a stack trace for these.
 */

export const ERRORS = {
  SPEC_INVALID: { exitCode: 2, title: 'invalid spec' },
  SPEC_FILE_UNREADABLE: { exitCode: 2, title: 'cannot read spec file' },
  PRESET_UNKNOWN: { exitCode: 2, title: 'unknown preset' },
  LAYER_UNKNOWN: { exitCode: 2, title: 'unknown layer' },
  CLI_USAGE: { exitCode: 2, title: 'bad command line' },
  CONFIG_INVALID: { exitCode: 2, title: 'invalid configuration' },
  ASSET_NOT_FOUND: { exitCode: 2, title: 'asset file not found' },
  ASSET_INVALID: { exitCode: 2, title: 'asset file unreadable or unsupported' },
  OUT_DIR_UNWRITABLE: { exitCode: 3, title: 'output directory not writable' },
  OUT_DIR_MISMATCH: { exitCode: 3, title: 'output directory holds a different dataset' },
  OUT_NO_SPACE: { exitCode: 3, title: 'no space left on the output device' },
  STORAGE_FAILED: { exitCode: 3, title: 'object storage request failed' },
  BROWSER_NOT_FOUND: { exitCode: 4, title: 'no browser found' },
  BROWSER_FAILED: { exitCode: 4, title: 'browser failed' },
  GL_UNAVAILABLE: { exitCode: 4, title: 'the chosen --gl renderer is not available' },
  RENDER_FAILED: { exitCode: 5, title: 'rendering failed' },
  DATASET_NOT_FOUND: { exitCode: 6, title: 'dataset not found' },
  DATASET_CORRUPT: { exitCode: 6, title: 'dataset corrupt' },
  SHARDS_MISSING: { exitCode: 6, title: 'shards missing' },
  SHARDS_MISMATCH: { exitCode: 6, title: 'shards from different datasets' },
  BACKEND_UNKNOWN: { exitCode: 2, title: 'unknown training backend' },
  OBJECTIVE_UNKNOWN: { exitCode: 2, title: 'unknown training objective' },
  BACKEND_UNAVAILABLE: { exitCode: 7, title: 'training backend cannot load' },
  MODEL_DATA_MISMATCH: { exitCode: 7, title: 'model and data shapes are incompatible' },
  CHECKPOINT_CORRUPT: { exitCode: 7, title: 'checkpoint corrupt' },
  RUN_MISMATCH: { exitCode: 3, title: 'run folder holds a different training run' },
  MODEL_NOT_FOUND: { exitCode: 7, title: 'model not found' },
  BASELINE_INVALID: { exitCode: 2, title: 'invalid baseline model descriptor' },
  EVAL_DATA_UNUSABLE: { exitCode: 6, title: 'dataset lacks what the evaluation needs' },
  TFRECORD_CORRUPT: { exitCode: 6, title: 'TFRecord file corrupt' },
  CLICKME_NOT_FOUND: { exitCode: 6, title: 'ClickMe data not found' },
  CLICKME_BAD_RECORD: { exitCode: 6, title: 'ClickMe record unusable' },
  ONNX_INVALID: { exitCode: 7, title: 'ONNX model unreadable' },
  ONNX_UNSUPPORTED: { exitCode: 7, title: 'ONNX operator or feature not supported' },
  DOWNLOAD_FAILED: { exitCode: 8, title: 'model download failed' },
  EXPORT_FAILED: { exitCode: 7, title: 'model export failed' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

/**
 * The config field an error is about, in the library's own names: `config` names the options
 * object (`train`, `spec`, `evaluate`, …), `path` the field in it (`encoder.width`), and the
 * message starts with `path`. cli/flags.ts renames it to the flag a user typed.
 */
export interface ErrorField {
  config: string;
  path: string;
}

export class DatadietError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly field: ErrorField | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown; field?: ErrorField } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DatadietError';
    this.code = code;
    this.hint = options.hint;
    this.field = options.field;
  }

  get exitCode(): number {
    return ERRORS[this.code].exitCode;
  }

  /** One line for a person: `error[SPEC_INVALID]: frames: must be ≥ 1 (fix: …)`. */
  format(): string {
    const hint = this.hint ? ` (fix: ${this.hint})` : '';
    return `error[${this.code}]: ${this.message}${hint}`;
  }
}

export function isDatadietError(e: unknown): e is DatadietError {
  return e instanceof DatadietError;
}
