// Points electron-log's file transport at our log directory and makes it write our JSON
// lines verbatim (services/logger.ts formats them), rotating by size and keeping N files.
// Nothing else in the app talks to electron-log.

import log from 'electron-log/main';
import { join } from 'node:path';
import { rotateFiles, type LogWriter } from '../services/logger';

export const LOG_FILE_NAME = 'cloudbridge.log';

export interface ElectronLogOptions {
  readonly directory: string;
  readonly maxBytes?: number;
  readonly keep?: number;
}

export function createElectronLogWriter(options: ElectronLogOptions): LogWriter {
  const logger = log.create({ logId: 'cloudbridge' });
  const path = join(options.directory, LOG_FILE_NAME);
  const keep = options.keep ?? 5;
  logger.transports.console.level = false;
  logger.transports.file.level = 'silly';
  logger.transports.file.resolvePathFn = () => path;
  // Our lines are complete JSON records: no electron-log prefix, no inspection.
  logger.transports.file.format = '{text}';
  logger.transports.file.maxSize = options.maxBytes ?? 5 * 1024 * 1024;
  logger.transports.file.archiveLogFn = (oldFile) => rotateFiles(oldFile.path, keep);
  // Writes queue instead of blocking the main process on every line, and the log (which
  // names relays, tunnels and accounts) is readable by this user only.
  logger.transports.file.sync = false;
  logger.transports.file.writeOptions = { flag: 'a', mode: 0o600, encoding: 'utf8' };
  return {
    write(line) {
      logger.info(line);
    },
  };
}
