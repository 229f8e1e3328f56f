import * as tf from '@tensorflow/tfjs';
import { original, type GradientKernel } from './shared.ts';

export const identity: GradientKernel = {
  // tfjs-wasm's Identity copies the buffer, and the engine clones every tensor a gradient
  // saves (~2,500 copies per PredNet step). Tensor data is immutable, so sharing it with a
  // reference count, as the cpu backend and wasm's own Reshape do, is the same result; it also
  // lets the filter-flip cache recognise a saved kernel as the variable it came from.
  name: tf.Identity,
  mode: 'faster',
  backends: ['wasm'],
  kernelFunc: (args) => {
    const { inputs, backend } = args;
    const { x } = inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string') return original(tf.Identity, args);
    (backend as unknown as { incRef(id: object): void }).incRef(x.dataId as object);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  },
};
