import { describe, expect, it } from 'vitest';
import { findPython } from './python.js';

describe('findPython', () => {
  it('names the Debian packages when a module cannot be imported anywhere', () => {
    const peer = findPython(['datadiet_no_such_module_xyz']);
    expect(peer.python).toBeNull();
    if (peer.python === null) expect(peer.reason).toContain('python3-datadiet_no_such_module_xyz');
  });

  it('finds an interpreter for the standard library', () => {
    expect(findPython(['json']).python).not.toBeNull();
  });
});
