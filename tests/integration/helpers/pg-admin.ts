/** The same server, database `postgres`: where test databases are created and dropped. */
export function adminUrl(databaseUrl: string): string {
  const u = new URL(databaseUrl);
  u.pathname = '/postgres';
  return u.toString();
}

/** Name of the migrated template of this run, derived from the run's database name. */
export function templateDatabaseName(databaseUrl: string): string {
  const name = new URL(databaseUrl).pathname.replace(/^\//, '') || 'lendbook';
  return `${name.slice(0, 40)}_tpl`;
}

export function testDatabaseName(databaseUrl: string, suffix: string): string {
  const name = new URL(databaseUrl).pathname.replace(/^\//, '') || 'lendbook';
  return `${name.slice(0, 40)}_t_${suffix}`;
}
