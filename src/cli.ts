/**
 * `npm run hub -- <command>`: operator commands beside the server.
 *   print-schema   write the sorted SDL to schema/schema.graphql
 *   migrate        create/migrate the configured database
 *   seed           migrate, then add the district report data that is missing
 *   export-projects, export-events, export-oc4ids, import-projects, import-stage-changes:
 *                  data exchange (src/exchange/cli.ts; README-exchange.md)
 */
import { writeFileSync } from 'node:fs';
import { loadConfig } from './config.ts';
import { openDatabase } from './db/index.ts';
import { exchangeCommands } from './exchange/cli.ts';
import { printedSchema, schemaFile } from './print-schema.ts';
import { seedDistrict } from './services/seed.ts';

const commands: Record<string, (args: string[]) => Promise<void>> = {
  ...exchangeCommands,
  async 'print-schema'() {
    writeFileSync(schemaFile, printedSchema());
    console.log(`wrote ${schemaFile}`);
  },
  async migrate() {
    const db = await openDatabase(loadConfig());
    console.log(db.applied.length ? `applied: ${db.applied.join(', ')}` : 'database is up to date');
    await db.close();
  },
  async seed() {
    const db = await openDatabase(loadConfig());
    const created = await seedDistrict(db.prisma);
    console.log('created rows:', created);
    await db.close();
  },
};

const [name, ...args] = process.argv.slice(2);
const command = name ? commands[name] : undefined;
if (!command) {
  console.error(`usage: npm run hub -- <${Object.keys(commands).join('|')}>`);
  process.exit(2);
}
await command(args);
