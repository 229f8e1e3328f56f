import { CONV_POOL_OPS } from './conv-pool.ts';
import { ELEMENTWISE_OPS } from './elementwise.ts';
import { SHAPE_OPS } from './shape.ts';
import type { OpDef } from './types.ts';

/** Every ONNX operator datadiet runs (default domain), as an explicit registry. */
export const ONNX_OPS: OpDef[] = [...CONV_POOL_OPS, ...ELEMENTWISE_OPS, ...SHAPE_OPS];

export { Attrs, nodeLabel, type OpContext, type OpDef } from './types.ts';
