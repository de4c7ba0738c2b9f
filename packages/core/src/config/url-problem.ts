/** What is wrong with a broker URL that `new URL()` refuses, in words (`has no host`). */
export function urlProblem(text: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (!scheme) return 'has no scheme (it should start with e.g. kafka://, amqp:// or sqs://)';
  const authority = text.slice(scheme[0].length).split(/[/?#]/, 1)[0]!;
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  if (hostPort === '' || hostPort.startsWith(':')) return 'has no host (give one before the port, e.g. localhost:9092)';
  const port = /:([^:\]]*)$/.exec(hostPort)?.[1];
  if (port !== undefined && !/^\d{1,5}$/.test(port)) return `has a port that is not a number (\`${port}\`)`;
  if (port !== undefined && Number(port) > 65_535) return `has a port above 65535 (${port})`;
  if (/\s/.test(text)) return 'contains a space';
  return 'is not a URL';
}
