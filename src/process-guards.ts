/**
 * The last line of defence of a server process. Every request, socket, queue and timer handler catches
 * its own errors; a promise rejection that still escapes is logged and the node keeps serving (one bad
 * request must not end every user's connection). An uncaught exception leaves the process in an unknown
 * state: it is logged and the node drains and exits, for the process manager to start a fresh one.
 */
export interface GuardLog {
  error(obj: object, msg: string): void;
  fatal(obj: object, msg: string): void;
}

export function installProcessGuards(log: GuardLog, onFatal: (err: unknown) => void): () => void {
  const onRejection = (reason: unknown) => log.error({ err: reason }, 'unhandled promise rejection; the server keeps running');
  const onException = (err: Error, origin: string) => {
    log.fatal({ err, origin }, 'uncaught exception; draining and exiting');
    onFatal(err);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
