#!/usr/bin/env node
// The packages ship TypeScript source; tsx loads it.
import { register } from 'tsx/esm/api';

// The SDK's notice that its 2027 releases need Node 22 is for library users (docs/adapters/sqs.md), not every CLI run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// `ferry tail ... | head`: the reader left; stop quietly, as other shell tools do.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
