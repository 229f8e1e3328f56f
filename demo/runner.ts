/**
 * What `datadiet demo` and `datadiet study` both do around their stages: choose the renderer and
 * the training backend once, before any work, and run stages in order while recording each one's
 * outcome (wall and CPU time) in a record written after every stage, so a killed command resumes.
 */
import { chooseGl, findBrowser, type GlMode } from '../generator/index.ts';
import { selectBackend } from '../training/index.ts';
import { carryRanSeconds, versions, type StageRecord } from './record.ts';
import type { StageOutcome } from './stages.ts';

/** Fails fast when rendering cannot start; says what it chose. */
export async function chooseMachine(
  o: { browser?: string | undefined; gl: GlMode; backend: string },
  log: (line: string) => void,
) {
  const browser = findBrowser(o.browser);
  const gl = await chooseGl(browser, o.gl);
  log(`renderer: ${gl.record.renderer} (--gl ${gl.record.gl}; ${gl.note})`);
  const v = await versions();
  // Chosen once up front: evaluation needs it too, even when every run is reused.
  const backend = await selectBackend(o.backend);
  log(`backend: ${backend.name}${backend.reason ? ` (${backend.reason})` : ''}`);
  return { browser, gl, versions: v, backend };
}

/**
 * Returns `stage(label, work)`: logs `[n/total] label`, runs `work`, appends its outcome to
 * `record.stages` (a reused stage keeps the `ran_seconds` of the run that made it), updates the
 * total and calls `write` — after every stage.
 */
export function stageRunner(o: {
  record: { stages: StageRecord[]; total_seconds: number };
  previous: { stages?: StageRecord[] } | null;
  total: number;
  log: (line: string) => void;
  write: () => Promise<void>;
  onStage?: ((s: StageRecord, index: number, total: number) => void) | undefined;
}) {
  const { record } = o;
  return async (label: string, work: () => Promise<StageOutcome>): Promise<void> => {
    o.log(`[${record.stages.length + 1}/${o.total}] ${label}`);
    const cpuStart = process.cpuUsage();
    const outcome = await work();
    const cpu = process.cpuUsage(cpuStart);
    const cpu_seconds = +((cpu.user + cpu.system) / 1e6).toFixed(2);
    const s = carryRanSeconds({ ...outcome, cpu_seconds }, o.previous);
    record.stages.push(s);
    record.total_seconds = +record.stages.reduce((a, x) => a + x.seconds, 0).toFixed(2);
    await o.write();
    o.onStage?.(s, record.stages.length, o.total);
  };
}
