import { expect } from 'vitest';

/** What a Ferry error looks like from outside (checked by code, so another copy of core still matches). */
export interface ErrorShape {
  readonly name: string;
  readonly code: string;
  readonly message: string;
  readonly transport?: string;
  readonly feature?: string;
}

/** Runs `action`, expects it to throw or reject, and returns the error for further checks. */
export async function caught(action: () => unknown): Promise<ErrorShape> {
  try {
    await action();
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return error as ErrorShape;
  }
  throw new Error('expected an error, but the call succeeded');
}

/**
 * Expects a CapabilityError naming the transport and the feature (`feature` is matched against
 * the message), i.e. a refusal a user can act on.
 */
export async function expectCapabilityError(action: () => unknown, transportName: string, feature: RegExp): Promise<ErrorShape> {
  const error = await caught(action);
  expect(error.code, `${error.name}: ${error.message}`).toBe('FERRY_CAPABILITY');
  expect(error.name).toBe('CapabilityError');
  expect(error.transport).toBe(transportName);
  expect(error.message).toContain(transportName);
  expect(error.message).toMatch(feature);
  return error;
}

export async function expectClosedError(action: () => unknown): Promise<ErrorShape> {
  const error = await caught(action);
  expect(error.code, `${error.name}: ${error.message}`).toBe('FERRY_CLOSED');
  expect(error.name).toBe('ClosedError');
  return error;
}
