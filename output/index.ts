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
  readManifest,
  readShard,
  readShardStream,
  sampleArray,
  sampleJson,
  sampleMember,
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
export { contactSheetPng, type RgbTile } from './preview.ts';
export {
  isS3Url,
  joinLocation,
  openObject,
  openStorage,
  type DatasetStorage,
  type S3Options,
  type StorageOptions,
  writeError,
} from './storage/index.ts';
export {
  VERIFY_CODES,
  verifyDataset,
  type VerifyCode,
  type VerifyOptions,
  type VerifyProblem,
  type VerifyReport,
} from './verify.ts';
export {
  DEFAULT_LAYERS,
  DERIVED_INPUTS,
  DERIVED_LAYERS,
  type Eye,
  EYES,
  LAYER_NAMES,
  layerDef,
  type LayerName,
  LAYERS,
  layerShape,
  memberName,
} from './layers.ts';
