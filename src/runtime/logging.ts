// Structured JSON logs on stdout, one object per line. Callers log names, generations, counts
// and reasons; never object contents, which may hold key material or Secret data.
import winston from 'winston';

export type Logger = winston.Logger;

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function createLogger(level: LogLevel = 'info'): Logger {
  const logger = winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: false }), winston.format.json()),
    transports: [new winston.transports.Console()],
  });
  // winston stamps and serializes a line before its transport drops it for its level: a
  // reconcile's debug line would cost that at info. The levels not logged do nothing instead
  // (child loggers inherit it; the level is fixed for the process's life).
  const silent: winston.LeveledLogMethod = () => logger;
  for (const quiet of LOG_LEVELS.slice(LOG_LEVELS.indexOf(level) + 1)) logger[quiet] = silent;
  return logger;
}
