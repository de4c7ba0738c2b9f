import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';

/**
 * Socket options for a TLS connection to `host` that amqplib can make on every Node.js line.
 * amqplib sends the URL's host as the TLS server name (SNI); Node.js 26 refuses an IP address
 * there (older lines only warn, DEP0123). For an IP host without a `servername` of the user's,
 * the SNI is `localhost` (an IP has no name to send) and the certificate is still checked against
 * the IP itself, as Node.js would without SNI.
 */
export function tlsIdentityOptions(host: string, given: { servername?: string } | undefined): Record<string, unknown> {
  if (!isIP(host) || given?.servername) return {};
  return {
    servername: 'localhost',
    checkServerIdentity: (_name: string, cert: PeerCertificate) => checkServerIdentity(host, cert),
  };
}
