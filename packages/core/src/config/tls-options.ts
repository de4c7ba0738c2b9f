import { z } from 'zod';

/** The node `tls` options adapters accept for encrypted broker connections (PEM strings). */
export const tlsOptionsSchema = z.strictObject({
  ca: z.union([z.string(), z.array(z.string())]).optional(),
  cert: z.string().optional(),
  key: z.string().optional(),
  passphrase: z.string().optional(),
  servername: z.string().optional(),
  rejectUnauthorized: z.boolean().optional(),
});
