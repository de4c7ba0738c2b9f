import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SchemaError } from '../errors.ts';
import { defineMessage } from '../message.ts';
import { fakeContext } from './test-context.ts';
import { validateSchema } from './validate-schema.ts';

const Order = defineMessage('order', z.object({ id: z.string(), qty: z.number().int().positive(), at: z.coerce.date() }));

describe('validateSchema middleware', () => {
  it('hands on the parsed output (transforms applied)', async () => {
    const ctx = fakeContext({ definition: Order, payload: { id: 'a', qty: 2, at: '2026-01-01T00:00:00Z' } });
    let seen: unknown;
    await validateSchema()(async (c) => void (seen = c.payload))(ctx);
    expect((seen as { at: Date }).at).toBeInstanceOf(Date);
  });

  it('refuses a bad payload with every issue by path, and never calls the handler', async () => {
    let called = false;
    const ctx = fakeContext({ definition: Order, payload: { id: 7, qty: -1, at: 'x' } });
    const error = await validateSchema()(async () => void (called = true))(ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaError);
    expect((error as SchemaError).issues.map((i) => i.path).sort()).toEqual(['at', 'id', 'qty']);
    expect(called).toBe(false);
  });

  it('schemas with async refinements are parsed asynchronously: passing and failing both work', async () => {
    const taken = new Set(['alice']);
    const Signup = defineMessage('signup', z.object({ name: z.string().refine(async (name) => !taken.has(name), 'name taken') }));
    let seen: unknown;
    await validateSchema()(async (c) => void (seen = c.payload))(fakeContext({ definition: Signup, payload: { name: 'bob' } }));
    expect(seen).toEqual({ name: 'bob' });
    const error = await validateSchema()(async () => undefined)(fakeContext({ definition: Signup, payload: { name: 'alice' } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaError);
    expect((error as SchemaError).issues).toEqual([expect.objectContaining({ path: 'name', message: 'name taken' })]);
  });
});
