/**
 * tfjs model files on local disk without tfjs-node: a load IOHandler that reads `model.json` and
 * the weight files its manifest names, and a save handler that writes them (tests build baselines
 * with it; users can too).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DatadietError, writeFileAtomic } from '../core/index.ts';

const toArrayBuffer = (b: Buffer) =>
  b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/** Reads a tfjs `model.json` (LayersModel or GraphModel) and its weight files from disk. */
export function fileLoadHandler(modelJsonPath: string): tf.io.IOHandler {
  const dir = dirname(modelJsonPath);
  return {
    async load() {
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as tf.io.ModelJSON;
      } catch (e) {
        const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
        throw new DatadietError(
          missing ? 'MODEL_NOT_FOUND' : 'BASELINE_INVALID',
          missing ? `no model file at ${modelJsonPath}` : `${modelJsonPath} is not valid JSON`,
          { hint: 'point "model" at a tfjs model.json (tensorflowjs_converter output)', cause: e },
        );
      }
      if (json.modelTopology === undefined || !Array.isArray(json.weightsManifest)) {
        throw new DatadietError(
          'BASELINE_INVALID',
          `${modelJsonPath} has no modelTopology/weightsManifest: not a tfjs model.json`,
          {
            hint: 'convert the model with tensorflowjs_converter (tfjs_layers_model or tfjs_graph_model)',
          },
        );
      }
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          for (const p of group.paths) {
            try {
              buffers.push(toArrayBuffer(await readFile(join(dir, p))));
            } catch (e) {
              throw new DatadietError('MODEL_NOT_FOUND', `weight file ${join(dir, p)} is missing`, {
                hint: 'keep the weight files beside model.json, as the converter wrote them',
                cause: e,
              });
            }
          }
          specs.push(...group.weights);
        }
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

/** Saves a LayersModel as `dir/model.json` + `dir/weights.bin` (each written atomically). */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const data = a.weightData;
      const bytes =
        data === undefined
          ? new Uint8Array()
          : new Uint8Array(
              Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : (data as ArrayBuffer),
            );
      await writeFileAtomic(join(dir, 'weights.bin'), Buffer.from(bytes));
      const json = {
        format: a.format,
        generatedBy: a.generatedBy,
        convertedBy: a.convertedBy ?? null,
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs ?? [] }],
      };
      await writeFileAtomic(join(dir, 'model.json'), JSON.stringify(json));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(0),
          modelTopologyType: 'JSON',
          weightDataBytes: bytes.byteLength,
        },
      };
    }),
  );
  return join(dir, 'model.json');
}
