import type { SpecInput } from './spec.ts';

/** Named specs a user can start from (`--preset NAME`); `datadiet presets` prints this table. */
export interface Preset {
  name: string;
  summary: string;
  spec: SpecInput;
}

/** The shortcut train/test pair differ only in the correlation and the seed. */
const SHORTCUT_SPLIT: SpecInput = {
  sequences: 256,
  frames: 4,
  width: 64,
  height: 64,
  sequences_per_shard: 64,
  objects: { count: 1 },
};

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
  {
    name: 'movi-like',
    summary:
      'MOVi-like: 3–6 objects dropped and thrown onto the floor (Rapier physics), slow orbit, 128²',
    spec: {
      sequences: 64,
      frames: 24,
      fps: 12,
      width: 128,
      height: 128,
      sequences_per_shard: 16,
      objects: { count: [3, 6], area_radius_m: 1.2, motion: { kind: 'physics' } },
      camera: { trajectory: { kind: 'orbit', speed_deg_s: [3, 10] }, jitter_deg: 0.3 },
      layers: ['rgb', 'depth', 'seg', 'parts', 'flow'],
    },
  },
  {
    name: 'saccades',
    summary:
      'walking observer fixating objects and saccading between them (~2 Hz), 128², with flow',
    spec: {
      sequences: 64,
      frames: 30,
      fps: 15,
      width: 128,
      height: 128,
      sequences_per_shard: 16,
      objects: { count: [2, 5] },
      camera: {
        trajectory: { kind: 'walk' },
        jitter_deg: 0.5,
        gaze: { target: 'objects', saccade_rate_hz: 2 },
      },
      layers: ['rgb', 'depth', 'seg', 'parts', 'flow'],
    },
  },
  {
    name: 'shortcut-correlated',
    summary:
      "shortcut training split: one object on its category's home ground every time (ρ = 1), 64²",
    spec: { ...SHORTCUT_SPLIT, background: { category_correlation: 1 } },
  },
  {
    name: 'shortcut-decorrelated',
    summary:
      'matching test split: same objects and views, grounds independent of category (ρ = 0), new seed',
    spec: { ...SHORTCUT_SPLIT, seed: 1_000_003, background: { category_correlation: 0 } },
  },
  {
    name: 'textured',
    summary: 'every category wears its own signature texture (texture is a cue), one object, 64²',
    spec: {
      sequences: 256,
      frames: 4,
      width: 64,
      height: 64,
      sequences_per_shard: 64,
      objects: { count: 1, texture: 'category' },
    },
  },
  {
    name: 'cue-conflict',
    summary: "shape-bias probe: each object has one category's shape and another's texture, 64²",
    spec: {
      seed: 2_000_003,
      sequences: 256,
      frames: 1,
      width: 64,
      height: 64,
      sequences_per_shard: 64,
      objects: { count: 1, texture: 'category', cue_conflict: 1, motion: { p_moving: 0 } },
      camera: { trajectory: { kind: 'static' }, jitter_deg: 0 },
    },
  },
];

export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}
