import { z } from 'zod';

/**
 * PEM text, not a file path: node's tls takes the contents, and a path given by mistake would only
 * fail later in the handshake with an OpenSSL error that does not name the option. The message
 * never repeats the value (a key is a secret).
 */
const pem = (what: string) =>
  z.string().refine((value) => value.includes('-----BEGIN '), {
    message: `is not PEM text (${what} starting with -----BEGIN): give the file's contents, e.g. readFileSync('${what === 'a private key' ? 'client.key' : 'ca.pem'}', 'utf8'), not its path`,
  });

/** The node `tls` options adapters accept for encrypted broker connections (PEM strings). */
export const tlsOptionsSchema = z.strictObject({
  /** CAs to trust instead of node's bundled ones (a private CA, a self-signed broker). */
  ca: z.union([pem('a certificate'), z.array(pem('a certificate'))]).optional(),
  /** Client certificate and key, for brokers that ask for one (mutual TLS). */
  cert: pem('a certificate').optional(),
  key: pem('a private key').optional(),
  passphrase: z.string().optional(),
  servername: z.string().optional(),
  rejectUnauthorized: z.boolean().optional(),
});
