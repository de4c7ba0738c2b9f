import { describe, expect, it, vi } from 'vitest';
import { withoutNodeVersionWarning } from './client.ts';

describe('withoutNodeVersionWarning', () => {
  it("takes out only the SDK's NodeVersionSupportWarning, for the logger, and restores process.emitWarning", () => {
    const original = process.emitWarning;
    const passed = vi.fn();
    process.emitWarning = passed as unknown as typeof process.emitWarning;
    const notices: string[] = [];
    try {
      const built = withoutNodeVersionWarning((text) => notices.push(text), () => {
        process.emitWarning('NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)\nversions published after ...\nwill require node >=22.');
        process.emitWarning('something else', 'DeprecationWarning');
        return 42;
      });
      expect(built).toBe(42);
      expect(notices).toEqual(['NodeVersionSupportWarning: The AWS SDK for JavaScript (v3) versions published after ... will require node >=22.']);
      expect(passed).toHaveBeenCalledTimes(1);
      expect(passed).toHaveBeenCalledWith('something else', 'DeprecationWarning');
      expect(process.emitWarning).toBe(passed);
    } finally {
      process.emitWarning = original;
    }
  });
});
