/** `datadiet demo`: the whole pipeline at a small size — generate, train three models, compare. */
export { chooseMachine, stageRunner } from './runner.ts';
export { runDemo, type DemoHooks, type DemoResult } from './run-demo.ts';
export {
  planDemo,
  stepFactor,
  parseDemoOptions,
  datasetSeed,
  DemoOptionsSchema,
  DIET_FRAMES,
  PROBE_FRAMES,
  type DemoOptions,
  type DemoOptionsInput,
  type DemoPlan,
  type DatasetPlan,
  type RunPlan,
} from './plan.ts';
export {
  DEMO_FILE,
  DEMO_FORMAT,
  readDemoRecord,
  type DemoRecord,
  type StageRecord,
} from './record.ts';
export { MODEL_NAMES, type CompareSummary } from './evaluate-stage.ts';
export type { DemoProgress } from './stages.ts';
export { planDatasets, type DatasetsInput } from './plan.ts';
export {
  generateStage,
  trainStage,
  dietSource,
  runStep,
  elapsed,
  type StageContext,
  type StageOutcome,
  type TrainPlan,
} from './stages.ts';
export { versions, carryRanSeconds } from './record.ts';
