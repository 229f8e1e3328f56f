import type { StorageOptions } from '../output/index.ts';

/** The object-storage flag shared by every command that takes a dataset location. */
export const S3_ENDPOINT_FLAG = {
  type: 'string',
  describe: 'S3-compatible endpoint for s3:// locations (default $AWS_ENDPOINT_URL, else AWS)',
} as const;

export function storageOptions(args: { s3Endpoint?: string | undefined }): StorageOptions {
  return { s3: { endpoint: args.s3Endpoint } };
}
