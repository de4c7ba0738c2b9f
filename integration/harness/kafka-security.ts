/**
 * Kafka's secured listener: SASL_SSL with SCRAM-SHA-512, its certificate from the harness's test
 * CA (tls-certs.ts), and the SCRAM user written into the metadata log when storage is formatted.
 */
import type { TestCertificates } from './tls-certs.ts';

export const SCRAM_MECHANISM = 'SCRAM-SHA-512';

/** The listener (`SASL_SSL://host:port`) and the properties that configure it. */
export function kafkaSecurityProperties(host: string, port: number, certs: TestCertificates): { listener: string; properties: string } {
  const prefix = 'listener.name.sasl_ssl';
  return {
    listener: `SASL_SSL://${host}:${port}`,
    properties: `# SASL_SSL listener (integration/harness/kafka-security.ts): SCRAM user made at format time.
sasl.enabled.mechanisms=${SCRAM_MECHANISM}
${prefix}.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
${prefix}.ssl.keystore.type=PKCS12
${prefix}.ssl.keystore.location=${certs.keystoreFile}
${prefix}.ssl.keystore.password=${certs.keystorePassword}
${prefix}.ssl.key.password=${certs.keystorePassword}
`,
  };
}

/** StorageTool `format` arguments that create the SCRAM user. */
export function scramFormatArgs(certs: TestCertificates): string[] {
  return ['--add-scram', `${SCRAM_MECHANISM}=[name=${certs.username},password=${certs.password}]`];
}
