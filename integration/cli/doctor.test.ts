import { describe, expect, it } from 'vitest';
import { uniqueName } from '../harness/index.ts';
import { ferry, rabbitmqctl, rabbitmqctlWorks, urls } from './run-cli.ts';

describe('ferry doctor', () => {
  for (const broker of ['memory', 'kafka', 'rabbitmq', 'sqs'] as const) {
    it(`${broker}: connects, round-trips a probe, cleans it up, exit 0`, async () => {
      const ran = await ferry(['doctor', urls[broker](), '--topic', uniqueName('cli-doc'), '--group', 'billing']);
      expect(ran.code, ran.all).toBe(0);
      expect(ran.stdout).toMatch(/ok\s+connect\s+\d+ ms/);
      expect(ran.stdout).toMatch(/ok\s+round trip\s+\d+ ms/);
      expect(ran.stdout).toMatch(/ok\s+clean up/);
      expect(ran.stdout).toMatch(/all checks passed/);
    });
  }

  const failures: Array<[string, () => string, RegExp]> = [
    ['a wrong RabbitMQ password', () => withPassword(urls.rabbitmq(), 'Wr0ngSecret'), /refused the credentials[\s\S]*fix: Check the user name and password/],
    ['a closed Kafka port', () => 'kafka://127.0.0.1:1', /nothing answers at Kafka at 127.0.0.1:1[\s\S]*fix: Check the host and port/],
    ['a closed RabbitMQ port', () => 'amqp://guest:Wr0ngSecret@127.0.0.1:1', /nothing answers at RabbitMQ at 127.0.0.1:1[\s\S]*fix: Check the host and port/],
    ['a closed SQS endpoint', () => 'sqs://key:Wr0ngSecret@us-east-1?endpoint=http://127.0.0.1:1', /nothing answers at SQS http:\/\/127.0.0.1:1[\s\S]*fix: Check the host and port/],
  ];
  for (const [what, url, expected] of failures) {
    it(`${what}: exit 1, the fix, no secret`, async () => {
      const ran = await ferry(['doctor', url(), '--timeout-ms', '8000']);
      expect(ran.code, ran.all).toBe(1);
      expect(ran.all).toMatch(expected);
      expect(ran.all).not.toContain('Wr0ngSecret');
    });
  }

  it.runIf(rabbitmqctlWorks())('a RabbitMQ user that may not configure: exit 1, the permission fix, no secret', async () => {
    const user = uniqueName('cli-noconf');
    rabbitmqctl('add_user', user, 'Perm1ssionSecret');
    try {
      rabbitmqctl('set_permissions', '-p', '/', user, '', '.*', '.*');
      const ran = await ferry(['doctor', withPassword(urls.rabbitmq(), 'Perm1ssionSecret', user)]);
      expect(ran.code, ran.all).toBe(1);
      expect(ran.stdout).toMatch(/ok\s+connect/);
      expect(ran.stdout).toMatch(/FAIL\s+probe declare\s+.*lacks permission/);
      expect(ran.stdout).toContain(`fix: Ferry declares an exchange per topic and a queue per group (configure)`);
      expect(ran.stdout).toContain(`rabbitmqctl set_permissions -p / ${user}`);
      expect(ran.all).not.toContain('Perm1ssionSecret');
    } finally {
      rabbitmqctl('delete_user', user);
    }
  });
});

describe('ferry capabilities', () => {
  it('connects: a wrong password is exit 1 with the fix; --offline says it did not connect', async () => {
    const bad = withPassword(urls.rabbitmq(), 'Wr0ngSecret');
    const ran = await ferry(['capabilities', bad]);
    expect(ran.code, ran.all).toBe(1);
    expect(ran.stderr).toMatch(/cannot connect: RabbitMQ at .* refused the credentials\n\s+fix: /);
    expect(ran.all).not.toContain('Wr0ngSecret');
    const offline = await ferry(['capabilities', bad, '--offline']);
    expect(offline.code, offline.all).toBe(0);
    expect(offline.stdout).toMatch(/^rabbitmq \(amqp:\/\/guest:\*\*\*@.*\), offline: not connected/);
  });

  it('takes adapter options from --options and FERRY_OPTIONS', async () => {
    const flag = await ferry(['capabilities', urls.kafka(), '--options', '{"maxMessageBytes": 65536}']);
    expect(flag.code, flag.all).toBe(0);
    expect(flag.stdout).toMatch(/max message\s+65536 bytes/);
    const env = await ferry(['capabilities', urls.rabbitmq()], { env: { FERRY_OPTIONS: '{"maxMessageBytes": 70000}' } });
    expect(env.code, env.all).toBe(0);
    expect(env.stdout).toMatch(/max message\s+70000 bytes/);
    const bad = await ferry(['capabilities', urls.rabbitmq(), '--options', '{"nope": 1}']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/nope/);
  });
});

function withPassword(url: string, password: string, user?: string): string {
  const u = new URL(url);
  if (user) u.username = user;
  u.password = password;
  return u.toString();
}
