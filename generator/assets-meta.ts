import type { Spec } from '../scenes/index.ts';

/**
 * What the manifest says about user glTF assets and a splat backdrop: where each layer is exact and
 * where it is approximate or absent. Empty for specs with neither, so their manifests are unchanged.
 */
export function assetsManifest(spec: Spec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (spec.objects.assets) {
    out.assets = {
      entries: spec.objects.assets,
      probability: spec.objects.asset_probability ?? 1,
      conventions:
        "objects[].asset is set for glTF assets: object frame = asset.normalise.scale * glTF scene frame + asset.normalise.offset (longest side of the bounding box scaled to the category's size, standing on y = 0), then objects[].scale; parts = 1 on the meshes under asset.diagnostic_nodes (the node or mesh named part_node); asset categories that are not procedural get labels after the procedural ones; assets draw with their own glTF materials (objects.texture and cue_conflict apply to procedural objects only) and materials[].color is the first glTF material's base colour. Every layer is exact on assets as on procedural objects; skins, animations and compressed meshes/textures (Draco, meshopt, KTX2) are not supported.",
    };
  }
  const sp = spec.background.splat;
  if (sp) {
    const ground = sp.show_ground ? ' (the ground plane is drawn and exact)' : '';
    out.background_splat = {
      source: sp.path,
      format: sp.format ?? null,
      transform: sp.transform,
      show_ground: sp.show_ground,
      notes:
        'the capture replaces the sky, the room and (unless show_ground) the ground plane; physics still uses the floor y = 0, so align the capture with transform',
      layers: {
        rgb: 'splats rendered with Spark as a backdrop: every object is drawn over them, never occluded by a splat',
        depth: `exact on objects${ground}; absent over splats: depth_far`,
        seg: 'exact; 0 over splats',
        parts: 'exact; 0 over splats',
        flow: 'exact on objects; over splats approximate: the rotation-only flow of a point at infinity',
        normal: 'exact on objects; 0 over splats',
        valid:
          '1 on objects and the drawn ground; 0 over splats (no surface in the geometry layers)',
        occlusion:
          'exact on objects and the drawn ground; over splats as for sky (a direction at infinity, hidden only behind a surface)',
      },
    };
  }
  return out;
}
