/** Dataset locations: a local directory or an `s3://bucket/prefix` URL. */
import { join } from 'node:path';
import { DatadietError } from '../../core/index.ts';

export function isS3Url(location: string): boolean {
  return location.startsWith('s3://');
}

export interface S3Location {
  bucket: string;
  /** Key prefix without leading or trailing '/', possibly ''. */
  prefix: string;
}

export function parseS3Url(url: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  // Bucket naming rules, loosely: lowercase letters, digits, dots and dashes.
  if (!m || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(m[1]!)) {
    throw new DatadietError('CLI_USAGE', `'${url}' is not an s3://bucket/prefix URL`, {
      hint: 'write it as s3://BUCKET/PATH, e.g. s3://my-data/diets/orbit',
    });
  }
  return { bucket: m[1]!, prefix: m[2]!.replace(/^\/+|\/+$/g, '') };
}

/** Joins names onto a location; `path.join` would turn 's3://b' into 's3:/b'. */
export function joinLocation(base: string, ...names: string[]): string {
  if (!isS3Url(base)) return join(base, ...names);
  const parts = [base.replace(/\/+$/, ''), ...names.map((n) => n.replace(/^\/+|\/+$/g, ''))];
  return parts.filter((p) => p !== '').join('/');
}

/** Splits a location into its parent and last name (for opening one object). */
export function splitLocation(location: string): { parent: string; name: string } {
  const trimmed = location.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  return { parent: trimmed.slice(0, slash), name: trimmed.slice(slash + 1) };
}
