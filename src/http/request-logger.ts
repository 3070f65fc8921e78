import type { FastifyBaseLogger } from 'fastify';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type Bindings = Parameters<FastifyBaseLogger['child']>[0];

/**
 * `request.log` without a pino child made for every request. Fastify makes one per request (to bind the
 * request id), which costs an object and the bindings serialised to text even though almost every
 * request logs nothing (request logging is off; errors and slow requests log). This stands in for it and
 * makes the child, with the same bindings, the first time the request writes a line at an enabled level.
 */
class LazyRequestLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
  ) {}

  private get log(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings));
  }

  get level(): string {
    return (this.made ?? this.parent).level;
  }

  set level(level: string) {
    this.log.level = level;
  }

  isLevelEnabled(level: string): boolean {
    const log = (this.made ?? this.parent) as FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean };
    return log.isLevelEnabled?.(level) ?? true;
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: Parameters<FastifyBaseLogger['child']>[1]): FastifyBaseLogger {
    return this.log.child(bindings, options);
  }

  private write(level: Level, args: unknown[]): void {
    if (!this.isLevelEnabled(level)) return;
    const log = this.log;
    (log[level] as (...a: unknown[]) => void).apply(log, args);
  }
}

/** Fastify's `childLoggerFactory`: a route with a log level of its own still gets a real child at once. */
export function lazyRequestLogger(logger: FastifyBaseLogger, bindings: Bindings, options: NonNullable<Parameters<FastifyBaseLogger['child']>[1]>): FastifyBaseLogger {
  if (options.level) return logger.child(bindings, options);
  return new LazyRequestLogger(logger, bindings) as unknown as FastifyBaseLogger;
}
