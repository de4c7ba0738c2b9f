/**
 * RabbitMQ through TLS (amqps://): a second RabbitMQ node started here with only a TLS listener and
 * the harness's test certificate, stopped at the end. The machine's node on 5672 is not touched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rabbitmqServerScript, startTlsRabbitmq, type TlsRabbitmq } from '../harness/rabbitmq-tls.ts';
import { printed, publishError, roundTrip, skipReason, wrongPassword } from './helpers.ts';

const skip = skipReason(() => rabbitmqServerScript().missing);

describe.skipIf(skip)('RabbitMQ over TLS (amqps)', () => {
  let rabbit: TlsRabbitmq;
  const url = (password: string) => `amqps://${rabbit.certs.username}:${encodeURIComponent(password)}@127.0.0.1:${rabbit.port}`;

  beforeAll(async () => {
    rabbit = await startTlsRabbitmq();
  });
  afterAll(async () => {
    await rabbit?.stop();
  });

  it('publishes and consumes through amqps:// with the CA given as tls.ca', async () => {
    const { sent, seen } = await roundTrip(url(rabbit.certs.password), { tls: { ca: rabbit.certs.caPem } });
    expect([...seen].sort()).toEqual([...sent].sort());
  });

  it('a wrong password fails with FERRY_AUTH at once, and neither password is in the message or the inspect output', async () => {
    const wrong = wrongPassword();
    const error = await publishError(url(wrong), { tls: { ca: rabbit.certs.caPem }, connectTimeoutMs: 60_000 });
    expect(error.code).toBe('FERRY_AUTH');
    expect(error.message).toMatch(/Cannot connect to RabbitMQ at amqps:\/\/ferry:\*\*\*@.*ACCESS.REFUSED.*refused the login: check the user name and password/);
    expect(printed(error)).not.toContain(wrong);
    expect(printed(error)).not.toContain(rabbit.certs.password);
  });

  it('a client without the harness CA fails with FERRY_TLS at once, naming the untrusted certificate and rabbitmq.tls.ca', async () => {
    const error = await publishError(url(rabbit.certs.password), { connectTimeoutMs: 60_000 });
    expect(error.code).toBe('FERRY_TLS');
    expect(error.message).toMatch(/self-signed certificate in certificate chain/);
    expect(error.message).toContain('`tls.ca`');
    expect(printed(error)).not.toContain(rabbit.certs.password);
  });
});
