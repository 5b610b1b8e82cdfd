#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { createDrillCommand } from './drill-command.js';
import { createLintCommand } from './lint-command.js';
import { createPrestopCommand } from './prestop-command.js';

const packageJson = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string };

const program = new Command('lameduck')
  .description(
    'graceful shutdown for services on Kubernetes: leave and rejoin traffic without failing a request',
  )
  .version(packageJson.version)
  .addCommand(createLintCommand(packageJson.version))
  .addCommand(createDrillCommand())
  .addCommand(createPrestopCommand());

await program.parseAsync(process.argv);
