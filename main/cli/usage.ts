/** Where a command writes; injectable so tests can capture output. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  stdout: NodeJS.WriteStream;
}

/** A wrong command line: printed with the command's help, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly help: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The process's own stdout/stderr. */
export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  stdout: process.stdout,
};
