/** The dataset format layer: NumPy arrays, WebDataset tar shards, manifests, readers, previews. */
export {
  DTYPES,
  decodeNpy,
  encodeNpy,
  encodeNpyParts,
  itemsize,
  ndarray,
  npyHeader,
  shapeSize,
  typedView,
  type AnyTypedArray,
  type DType,
  type NdArray,
  type TypedArrayFor,
} from './npy.ts';
export {
  ShardWriter,
  sha256File,
  shardFileMatches,
  tempPathFor,
  type ShardFileRecord,
  type ShardMember,
} from './tar-shard.ts';
export {
  readDataset,
  parseManifest,
  readManifest,
  readShard,
  readShardStream,
  sampleArray,
  sampleJson,
  sampleMember,
  sampleRecord,
  shardPath,
  shardRelPath,
  splitMemberName,
  type Sample,
} from './reader.ts';
export {
  MANIFEST_FILE,
  SHARDS_DIR,
  readJson,
  shardFileName,
  stableJson,
  writeJsonAtomic,
  type Manifest,
  type ShardRecord,
} from './manifest.ts';
export {
  CategoryEntrySchema,
  LayerEntrySchema,
  ManifestSchema,
  MotionBlockSchema,
  SampleJsonSchema,
  ShardRecordSchema,
  ShardSidecarSchema,
  describeIssue,
  isShardFileName,
  type KnownFields,
  type ManifestInput,
  type SampleJson,
} from './manifest-schema.ts';
export { contactSheetPng, type RgbTile } from './preview.ts';
export {
  isS3Url,
  joinLocation,
  openObject,
  openStorage,
  type DatasetStorage,
  type S3Options,
  type StorageOptions,
} from './storage/index.ts';
export {
  VERIFY_CODES,
  verifyDataset,
  type VerifyCode,
  type VerifyOptions,
  type VerifyProblem,
  type VerifyReport,
} from './verify.ts';
