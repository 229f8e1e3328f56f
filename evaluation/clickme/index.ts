/** ClickMe human importance maps: TFRecord IO, tf.train.Example codec and the protocol loader. */
export {
  countTfRecords,
  crc32c,
  encodeTfRecord,
  maskCrc,
  readTfRecords,
  writeTfRecords,
  type TfRecord,
} from './tfrecord.ts';
export { decodeExample, encodeExample, type Example, type ExampleFeature } from './example.ts';
export {
  CLICKME_SHARD_SUFFIX,
  clickmeShards,
  loadClickMe,
  readClickMe,
  type ClickMeItem,
  type ClickMeSet,
  type ClickMeSource,
} from './clickme.ts';
