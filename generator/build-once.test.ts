import { describe, expect, it } from 'vitest';
import { buildOnce } from './build-once.ts';

describe('buildOnce', () => {
  it('builds once while it succeeds, and again after a failure', async () => {
    let calls = 0;
    const get = buildOnce(async () => {
      calls++;
      if (calls === 1) throw new Error('transient');
      return `build ${calls}`;
    });
    await expect(get()).rejects.toThrow('transient');
    expect(await get()).toBe('build 2');
    expect(await get()).toBe('build 2');
    expect(calls).toBe(2);
  });
});
