/** `datadiet study`: several seeds of every objective on one diet, compared with intervals. */
export {
  runStudy,
  studyCommand,
  STUDY_FILE,
  STUDY_FORMAT,
  type StudyRecord,
  type StudyResult,
} from './run-study.ts';
export {
  planStudy,
  parseStudyOptions,
  SCALES,
  SCALE_NAMES,
  STUDY_FRAMING,
  STUDY_OBJECTIVES,
  StudyOptionsSchema,
  type Scale,
  type StudyOptions,
  type StudyOptionsInput,
  type StudyPlan,
} from './plan.ts';
export { objectPixelFraction, type ObjectFraction } from './framing.ts';
export { studyResults } from './results.ts';
