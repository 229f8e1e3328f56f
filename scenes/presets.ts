import type { SpecInput } from './spec.ts';

/** Named specs a user can start from (`--preset NAME`); `datadiet presets` prints this table. */
export interface Preset {
  name: string;
  summary: string;
  spec: SpecInput;
}

export const PRESETS: readonly Preset[] = [
  {
    name: 'default',
    summary: 'tiny smoke test: 4 sequences × 8 frames at 64², orbiting camera, 1–3 objects',
    spec: { sequences: 4, frames: 8, width: 64, height: 64, sequences_per_shard: 2 },
  },
  {
    name: 'objects-orbit',
    summary: 'pilot diet: 64 sequences × 16 frames at 128², slow orbit around 1–4 objects',
    spec: {
      sequences: 64,
      frames: 16,
      width: 128,
      height: 128,
      sequences_per_shard: 16,
      objects: { count: [1, 4] },
      camera: { trajectory: { kind: 'orbit' } },
    },
  },
  {
    name: 'walkthrough',
    summary: 'walking observer fixating the scene while passing it, outdoors and in rooms, 128²',
    spec: {
      sequences: 64,
      frames: 24,
      width: 128,
      height: 128,
      sequences_per_shard: 16,
      objects: { count: [2, 5] },
      camera: { trajectory: { kind: 'walk' }, jitter_deg: 1 },
      background: { kinds: ['outdoor', 'room'] },
    },
  },
  {
    name: 'single-object',
    summary: 'one object per sequence, static camera, 64² — for probes and quick alignment tests',
    spec: {
      sequences: 128,
      frames: 4,
      width: 64,
      height: 64,
      sequences_per_shard: 32,
      objects: { count: 1, motion: { p_moving: 0 } },
      camera: { trajectory: { kind: 'static' }, jitter_deg: 0 },
    },
  },
];

export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}
