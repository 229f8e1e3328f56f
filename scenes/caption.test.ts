/**
 * Captions are true to the scene record: they name only categories, colours and grounds the record
 * holds, directions as the camera sees them, and the same record always gets the same words.
 */
import { describe, expect, it } from 'vitest';
import { COLOUR_NAMES, MAX_DESCRIBED, captionScene, colourName } from './caption.ts';
import { CATEGORY_NAMES } from './categories.ts';
import { GROUND_KINDS } from './spec.ts';
import { parseSpec } from './load-spec.ts';
import { rotationOf } from './matrix.ts';
import { findPreset } from './presets.ts';
import { prepareSampler, sampleScene } from './sampler.ts';
import type { SceneRecord, Vec3 } from './types.ts';

const words = (text: string) => new Set(text.toLowerCase().match(/[a-z]+/g) ?? []);

/** Every claim of the caption that can be checked against the record; returns what is wrong. */
function falseClaims(text: string, rec: SceneRecord): string[] {
  const w = words(text);
  const wrong: string[] = [];
  const categories = new Set(rec.objects.map((o) => o.category));
  for (const c of CATEGORY_NAMES) if (w.has(c) && !categories.has(c)) wrong.push(`category ${c}`);
  const colours = new Set(
    rec.objects.flatMap((o) => [
      colourName(o.materials.primary.color),
      colourName(o.materials.primary.pattern_color),
    ]),
  );
  for (const c of COLOUR_NAMES)
    if (w.has(c.name) && !colours.has(c.name)) wrong.push(`colour ${c.name}`);
  const ground = rec.background.name.replace(/^room-/, '');
  for (const g of GROUND_KINDS) if (w.has(g) && g !== ground) wrong.push(`ground ${g}`);
  if (w.has('room') !== (rec.background.kind === 'room')) wrong.push('room');
  const kind = rec.camera.trajectory.kind;
  if ((w.has('orbits') || w.has('circles')) !== (kind === 'orbit')) wrong.push('orbit');
  // The eye orbits at angle θ0 + speed·t in the x–z plane: for speed > 0 the camera travels
  // along its own −x, i.e. to the left.
  if (kind === 'orbit') {
    const left = (rec.camera.trajectory.speed_deg_s as number) > 0;
    if (!text.includes(`to the ${left ? 'left' : 'right'}`)) wrong.push('orbit direction');
  }
  const walking = /walks (past|by)/.test(text);
  if (walking !== (kind === 'walk')) wrong.push('walk');
  if (w.has('walks') && !walking && !categories.has('quadruped')) wrong.push('walks');
  if (/glancing|looks around/.test(text) !== rec.camera.gaze.some((g) => g.saccade))
    wrong.push('saccades');
  return wrong;
}

async function scenes(preset: string, seeds: number[], per = 3): Promise<SceneRecord[]> {
  const out: SceneRecord[] = [];
  for (const seed of seeds) {
    // 12 frames keep the physics presets quick.
    const spec = parseSpec({ ...findPreset(preset)!.spec, seed, frames: 12 });
    await prepareSampler(spec);
    for (let i = 0; i < per; i++) out.push(sampleScene(spec, i));
  }
  return out;
}

describe('colour names', () => {
  it('name the basic colours and the palette by themselves', () => {
    for (const c of COLOUR_NAMES) expect(colourName(c.hex)).toBe(c.name);
    expect(colourName('#ff0000')).toBe('red');
    expect(colourName('#00ff00')).toBe('green');
    expect(colourName('#0000ff')).toBe('blue');
    expect(colourName('#ffffff')).toBe('white');
    expect(colourName('#000000')).toBe('black');
    expect(colourName('#808080')).toBe('grey');
    expect(colourName('#ffff00')).toBe('yellow');
    expect(colourName('#8b4513')).toBe('brown'); // "saddle brown"
  });
});

describe('captions', () => {
  for (const preset of ['objects-orbit', 'walkthrough', 'saccades', 'movi-like', 'single-object']) {
    it(`${preset}: name only objects, colours and grounds in the record (5 seeds × 3)`, async () => {
      for (const rec of await scenes(preset, [0, 1, 2, 3, 4])) {
        const c = captionScene(rec);
        expect(falseClaims(c.text, rec), c.text).toEqual([]);
        // Every object is either named (with its colours) or counted.
        expect(c.mentions.length + c.unnamed).toBe(rec.objects.length);
        expect(c.mentions.length).toBe(Math.min(MAX_DESCRIBED, rec.objects.length));
        for (const m of c.mentions) {
          const o = rec.objects.find((x) => x.id === m.id)!;
          expect(c.text).toContain(m.category);
          expect(m.category).toBe(o.category);
          expect(m.colours[0]).toBe(colourName(o.materials.primary.color));
          for (const col of m.colours) expect(c.text).toContain(col);
          if (o.motion.kind === 'static') expect(m.motion).toMatch(/still|put|not move/);
        }
        expect(c.text).toContain(rec.background.name.replace(/^room-/, ''));
        expect(c.text).toMatch(/^[A-Z].*\.$/);
        expect(captionScene(rec).text).toBe(c.text); // a pure function of the record
      }
    });
  }

  it('the truth check can fail: captions of other scenes make false claims', async () => {
    const recs = await scenes('objects-orbit', [7, 8, 9], 4);
    let caught = 0;
    for (let i = 0; i < recs.length; i++) {
      const other = recs[(i + 1) % recs.length]!;
      if (falseClaims(captionScene(recs[i]!).text, other).length > 0) caught++;
    }
    expect(caught).toBeGreaterThan(recs.length / 2);
  });

  it('phrasing is seeded: several templates appear over many sequences', async () => {
    const texts = (await scenes('single-object', [0, 1, 2, 3], 5)).map((r) => captionScene(r).text);
    const openings = new Set(texts.map((t) => t.split(' ')[0]));
    expect(openings.size).toBeGreaterThanOrEqual(2);
  });

  it('says the direction an object moves as the camera sees it', async () => {
    const spec = parseSpec({
      objects: { count: 1, motion: { p_moving: 1, yaw_rate_deg_s: 0 } },
      camera: { trajectory: { kind: 'static' }, jitter_deg: 0 },
    });
    const base = sampleScene(spec, 0);
    const mid = Math.floor((base.frames - 1) / 2);
    const r = rotationOf(base.camera.world_from_camera.left[mid]!);
    const cameraX: Vec3 = [r[0], r[3], r[6]]; // the camera's x axis (right) in the world
    const cameraZ: Vec3 = [r[2], r[5], r[8]];
    const moved = (dir: Vec3): SceneRecord => {
      const rec = structuredClone(base);
      const o = rec.objects[0]!;
      const v: Vec3 = [dir[0] * 0.3, 0, dir[2] * 0.3];
      o.motion = { kind: 'linear', velocity: v, yaw_rate: 0 };
      o.poses = o.poses.map((p, t) => ({
        ...p,
        position: [0, 1, 2].map((i) => o.poses[0]!.position[i]! + (v[i]! * t) / rec.fps) as Vec3,
      }));
      return rec;
    };
    const flat = (v: Vec3): Vec3 => [v[0], 0, v[2]];
    const neg = (v: Vec3): Vec3 => [-v[0], -v[1], -v[2]];
    expect(captionScene(moved(flat(cameraX))).mentions[0]!.motion).toMatch(/ right$/);
    expect(captionScene(moved(neg(flat(cameraX)))).mentions[0]!.motion).toMatch(/ left$/);
    expect(captionScene(moved(flat(cameraZ))).mentions[0]!.motion).toMatch(/away from the camera$/);
    expect(captionScene(moved(neg(flat(cameraZ)))).mentions[0]!.motion).toMatch(
      /towards the camera$/,
    );
  });
});
