/** Routes `ferry relay ...` and `ferry outbox <migrate|status> ...` (the PostgreSQL outbox's commands). */
import { FerryError, redactText } from '@ferry/core';
import { OUTBOX_MIGRATE_USAGE, outboxMigrateCommand } from './outbox-migrate.ts';
import { OUTBOX_STATUS_USAGE, outboxStatusCommand } from './outbox-status.ts';
import { RELAY_USAGE, relayCommand } from './relay.ts';

export const OUTBOX_USAGE = [RELAY_USAGE, OUTBOX_MIGRATE_USAGE, OUTBOX_STATUS_USAGE].join('\n\n');

/** The exit code of an outbox command, or undefined when `argv` is none of them. */
export function outboxCommands(argv: string[], out: (line: string) => void, err: (line: string) => void, signal?: AbortSignal): Promise<number> | undefined {
  const [command, sub] = argv;
  let run: (() => Promise<number>) | undefined;
  if (command === 'relay') run = () => relayCommand(argv.slice(1), out, signal);
  else if (command === 'outbox' && sub === 'migrate') run = () => outboxMigrateCommand(argv.slice(2), out);
  else if (command === 'outbox' && sub === 'status') run = () => outboxStatusCommand(argv.slice(2), out);
  else if (command === 'outbox') run = async () => -1;
  if (!run) return undefined;
  return run().then(
    (code) => {
      if (code !== -1) return code;
      err(`Unknown or incomplete command: ${argv.join(' ')}\n\n${OUTBOX_USAGE}`);
      return 2;
    },
    (error: unknown) => {
      if (error instanceof FerryError) err(`${error.code}: ${error.message}`);
      else if ((error as { code?: unknown }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
        err(`${(error as Error).message}\n\n${OUTBOX_USAGE}`);
        return 2;
      } else err(`error: ${redactText((error as Error).message)}`);
      return 1;
    },
  );
}
