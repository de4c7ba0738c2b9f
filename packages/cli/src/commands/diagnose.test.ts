import { describe, expect, it } from 'vitest';
import { FerryError } from '@ferry/core';
import { diagnose } from './diagnose.ts';

const amqp = new URL('amqp://app:s3cret@rabbit.internal:5672/shop');

describe('diagnose', () => {
  it('tells refused credentials, a vhost, a missing permission and an address nobody answers on apart', () => {
    const login = new FerryError('FERRY_CONNECTION', 'Cannot connect: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN"');
    expect(diagnose(login, amqp)).toMatchObject({ kind: 'credentials', problem: 'RabbitMQ at rabbit.internal:5672 refused the credentials' });
    const declare = new Error(`Operation failed: ExchangeDeclare; 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - access to exchange 'orders' in vhost 'shop' refused for user 'app'"`);
    const permission = diagnose(declare, amqp);
    expect(permission.kind).toBe('permission');
    expect(permission.fix).toContain("rabbitmqctl set_permissions -p shop app '<configure>' '<write>' '<read>'");
    expect(diagnose(new Error('Expected ConnectionOpenOk; got <ConnectionClose channel:0>'), amqp).fix).toContain('rabbitmqctl set_permissions -p shop app');
    const refused = diagnose(new Error('connect ECONNREFUSED 127.0.0.1:1'), new URL('kafka://127.0.0.1:1'));
    expect(refused).toMatchObject({ kind: 'unreachable', problem: 'nothing answers at Kafka at 127.0.0.1:1' });
    expect(diagnose(new Error('The security token included in the request is invalid.'), new URL('sqs://k:s@eu-west-1')).kind).toBe('credentials');
    expect(diagnose(Object.assign(new Error('wrapped'), { cause: new Error('Not authorized to access topics: [Topic authorization failed] TOPIC_AUTHORIZATION_FAILED') }), new URL('kafka://h:9092')).kind).toBe('permission');
  });

  it('never repeats a password the error carried', () => {
    const d = diagnose(new Error('cannot reach amqp://app:s3cret@rabbit.internal:5672/shop: ECONNREFUSED'), amqp);
    expect(JSON.stringify(d)).not.toContain('s3cret');
  });
});
