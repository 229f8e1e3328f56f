/**
 * Child process for wasm-threads.e2e.test.ts: starts tfjs-wasm ($DATADIET_WASM_THREADS), takes one
 * seeded SGD step of a small conv net and prints the backend line and the loss before and after
 * as JSON. It does not call process.exit: the test checks that the process ends on its own.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from './backend.ts';

const backend = await selectBackend('wasm');
const x = tf.randomUniform([8, 32, 32, 16], 0, 1, 'float32', 1);
const w1 = tf.variable(tf.randomNormal([3, 3, 16, 32], 0, 0.1, 'float32', 2));
const w2 = tf.variable(tf.randomNormal([3, 3, 32, 8], 0, 0.1, 'float32', 3));
const loss = () =>
  tf.tidy(() => {
    const h = tf.relu(tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 1, 'same'));
    return tf.mean(tf.square(tf.conv2d(h, w2 as tf.Tensor4D, 2, 'same'))) as tf.Scalar;
  });
const before = loss().dataSync()[0];
tf.train.sgd(0.1).minimize(loss, false, [w1, w2]);
const after = loss().dataSync()[0];
console.log(JSON.stringify({ reason: backend.reason, before, after }));
