import type { Argv } from 'yargs';
import type { StorageOptions } from '../output/index.ts';

/** The object-storage flags shared by every command that takes a dataset location. */
export function s3Options<T>(y: Argv<T>) {
  return y.option('s3-endpoint', {
    type: 'string',
    describe: 'S3-compatible endpoint for s3:// locations (default $AWS_ENDPOINT_URL, else AWS)',
  });
}

export function storageOptions(args: { s3Endpoint?: string | undefined }): StorageOptions {
  return { s3: { endpoint: args.s3Endpoint } };
}
